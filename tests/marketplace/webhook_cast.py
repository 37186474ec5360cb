"""What the webhook tests share: an endpoint for an owner, a delivery read back (their fixtures, the loopback
receiver and the business, are in tests/marketplace/conftest.py)."""

from marketplace import webhooks
from marketplace.models import WebhookDelivery, WebhookEndpoint
from tests.marketplace.api.conftest import client_for as api_for  # noqa: F401 (the tests' name for it)


def endpoint_for(owner, url: str, events=("pickup.completed",)) -> WebhookEndpoint:
    return webhooks.create_endpoint(owner=owner, url=url, events=list(events), by=None)


def sent(delivery: WebhookDelivery) -> WebhookDelivery:
    delivery.refresh_from_db()
    return delivery
