"""Errors to Sentry: settings start the SDK only when SENTRY_DSN is set, in every process (web, worker, beat)."""

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration


def start(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    """Start the SDK with the Django and Celery integrations; no personal data (cookies, users, addresses) is sent."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_request_id,
    )


def _tag_request_id(event, hint):
    """An error in Sentry names the request id, to find its log lines (and its tasks' lines) next to it."""
    from core.request_id import current  # not at import: settings.py imports this module

    request_id = current.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
