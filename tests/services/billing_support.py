"""Helpers for the billing tests: cards, finished pickups, onboarding, and reading the Stripe stand-in's objects."""

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from billing import cards, payouts
from billing.models import LedgerEntry
from marketplace import services as market
from marketplace.models import Pickup
from tests import factories

VISA = "4242424242424242"
DECLINES_ON_CHARGE = "4000000000000341"
NEEDS_AUTHENTICATION = "4000002500003155"
DECLINED_AT_SAVE = "4000000000000002"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBHOOK_URL = "/billing/stripe/webhook/"


def save_card(customer, number=VISA, *, exp_year=2030):
    return cards.save_test_card(by=None, customer=customer, number=number, exp_month=12, exp_year=exp_year, cvc="123")


def scheduled_pickup(customer, hauler, *, price=3_000, payout=2_400, service_date=None, **fields) -> Pickup:
    location = customer.locations.first() or factories.LocationFactory(customer=customer)
    return factories.PickupFactory(
        customer=customer,
        location=location,
        hauler=hauler,
        price_cents=price,
        payout_cents=payout,
        service_date=service_date or timezone.localdate(),
        **fields,
    )


def complete(run_on_commit, pickup: Pickup) -> Pickup:
    """The hauler closes the job with a photo; what it queues (the charge included) runs as after a commit. The
    reason is asked for only when the suite runs before the window opens (billing does not depend on the hour)."""
    photo = SimpleUploadedFile("bins.png", PNG, content_type="image/png")
    close = {"pickup_id": pickup.pk, "hauler": pickup.hauler, "photo": photo, "early_reason": "The customer asked"}
    run_on_commit(market.complete_pickup, **close)
    pickup.refresh_from_db()
    return pickup


def remote(path: str, **query):
    """GET an object (or list) from the Stripe stand-in with the test key, as plain data."""
    url = settings.STRIPE_API_BASE + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def open_without_redirect(url: str) -> tuple[int, str]:
    """Open a URL as a browser would, without following its redirect: (status, Location)."""

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(Stop).open(url, timeout=5) as response:
            return response.status, ""
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers.get("Location", "")


def onboard(hauler) -> None:
    """The hauler goes through the stand-in's hosted onboarding; payouts are on afterwards."""
    url = payouts.start_payout_onboarding(
        by=None,
        hauler=hauler,
        email=f"payouts{hauler.pk}@example.com",
        refresh_url="http://testserver/billing/payouts/connect/",
        return_url="http://testserver/billing/payouts/return/",
    )
    status, location = open_without_redirect(url)
    assert (status, location) == (302, "http://testserver/billing/payouts/return/")
    payouts.refresh_payout_account(stripe_account_id=hauler.payout_account.stripe_account_id)


def signed(payload: bytes, *, secret: str = "whsec_test_secret", at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def deliver_event(client, event: dict):
    payload = json.dumps(event).encode()
    signature = signed(payload)
    return client.post(WEBHOOK_URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def kind_totals(**filters) -> dict[str, int]:
    """Each ledger kind's total in cents, over the entries matching `filters`."""
    rows = LedgerEntry.objects.filter(**filters).values("kind").annotate(cents=Sum("amount_cents"))
    found = {row["kind"]: row["cents"] for row in rows}
    return {kind: found.get(kind, 0) for kind in LedgerEntry.Kind.values}


def last_month(today: dt.date) -> dt.date:
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def stand_in_post(path: str, data: dict) -> dict:
    """POST form fields to the Stripe stand-in with the test key (objects the project never makes itself)."""
    request = urllib.request.Request(
        settings.STRIPE_API_BASE + path,
        data=urllib.parse.urlencode(data).encode(),
        headers={"Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def stripe_request(base: str, method: str, path: str, data: dict | None = None) -> int:
    """One call to the Stripe stand-in's own configuration routes (no API key needed); returns the status."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(base + path, data=body, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status
