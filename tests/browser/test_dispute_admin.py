"""The card dispute queue in the staff admin: nearest deadline first, the clock in words, readable on a phone and a
desktop, with no serious accessibility violations."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Dispute, LedgerEntry, Payment
from tests import factories
from tests.browser.test_staff_console import problems, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def disputed(location, hauler, *, n: int, due_in: dt.timedelta, **fields) -> Dispute:
    pickup = factories.PickupFactory(location=location, hauler=hauler, price_cents=10_200, payout_cents=8_500)
    payment = Payment.objects.create(
        customer=location.customer,
        pickup=pickup,
        description=f"Trash pickup on {pickup.service_date:%b %-d, %Y}",
        amount_cents=10_200,
        hauler=hauler,
        payable_cents=8_500,
        status=Payment.Status.SUCCEEDED,
        stripe_payment_intent_id=f"pi_browser_{n}",
    )
    dispute = Dispute.objects.create(
        payment=payment,
        stripe_dispute_id=f"du_browser_{n}",
        stripe_charge_id=f"ch_browser_{n}",
        amount_cents=10_200,
        fee_cents=1_500,
        reason="product_not_received",
        status=fields.pop("status", Dispute.Status.NEEDS_RESPONSE),
        due_by=timezone.now() + due_in,
        **fields,
    )
    refs = {"customer": location.customer, "pickup": pickup, "payment": payment, "dispute": dispute}
    LedgerEntry.objects.create(kind="dispute_withdrawn", amount_cents=10_200, key=f"browser:{n}:w", **refs)
    LedgerEntry.objects.create(kind="dispute_fee", amount_cents=1_500, key=f"browser:{n}:f", **refs)
    return dispute


@pytest.mark.parametrize("width", [390, 1280])
def test_the_dispute_queue_shows_the_nearest_deadline_first_and_fits(page, staff_user, location, in_area_hauler, width):
    later = disputed(location, in_area_hauler, n=1, due_in=dt.timedelta(days=6), evidence_staged_at=timezone.now())
    soon = disputed(
        location, in_area_hauler, n=2, due_in=dt.timedelta(hours=30, minutes=30), evidence_staged_at=timezone.now()
    )
    disputed(
        location,
        in_area_hauler,
        n=3,
        due_in=dt.timedelta(days=9),
        status=Dispute.Status.UNDER_REVIEW,
        evidence_staged_at=timezone.now(),
        evidence_submitted_at=timezone.now(),
    )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, staff_user)

    page.goto(reverse("admin:billing_dispute_changelist"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert soon.stripe_dispute_id in rows.nth(0).inner_text()
    assert "Due in 30 hours" in rows.nth(0).inner_text()
    assert "Due in 5 days" in rows.nth(1).inner_text() or "Due in 6 days" in rows.nth(1).inner_text()
    assert "Evidence sent" in rows.nth(2).inner_text()
    assert "Needs a response: evidence staged, not sent" in rows.nth(0).inner_text()
    assert "Product not received" in rows.nth(0).inner_text()
    page.snap(f"queue-{width}")
    assert problems(page) == []

    page.goto(reverse("admin:billing_dispute_change", args=[later.pk]))
    assert "$102.00" in page.locator("#content").inner_text()
    assert "$15.00" in page.locator("#content").inner_text()
    page.snap(f"dispute-{width}")
    assert problems(page) == []
