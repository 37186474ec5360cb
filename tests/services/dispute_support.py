"""What the card dispute tests share: the bank (the stand-in's test routes), its events, and a payment's books."""

import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from billing.models import Payment
from tests.services.billing_support import kind_totals, remote, stand_in_post

PRICE, PAYOUT, FEE = 10_200, 8_500, 1_500
DISPUTE_EVENTS = ("created", "funds_withdrawn", "updated", "closed", "funds_reinstated")


def bank_opens(payment: Payment, *, reason: str = "product_not_received") -> dict:
    return stand_in_post("/_config/disputes", {"payment_intent": payment.stripe_payment_intent_id, "reason": reason})


def bank_decides(dispute_id: str, status: str) -> dict:
    return stand_in_post(f"/_config/disputes/{dispute_id}/close", {"status": status})


def stand_in_events(dispute_id: str) -> list[dict]:
    """The events the stand-in made about one dispute, oldest first, exactly as it sends them."""
    found = [
        event
        for event in remote("/v1/events", limit=100)["data"]
        if event["type"].startswith("charge.dispute.") and event["data"]["object"]["id"] == dispute_id
    ]
    return sorted(found, key=lambda event: (event["created"], DISPUTE_EVENTS.index(event["type"].split(".")[-1])))


def books(payment: Payment) -> dict:
    totals = kind_totals(pickup=payment.pickup)
    names = ("charge", "hauler_payable", "platform_fee", "dispute_withdrawn", "dispute_fee", "dispute_reinstated")
    return {name: totals[name] for name in names}


def call(method: str, path: str, data: dict | None = None, *, key: str | None = None):
    """(status, body) of one form-encoded call to the stand-in with the test key."""
    headers = {"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"}
    if key:
        headers["Idempotency-Key"] = key
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(settings.STRIPE_API_BASE + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as answer:
        return answer.code, json.load(answer)
