"""Receipts against the Stripe stand-in: a pickup charged, refunded in part and then in full by staff, reads the same
on the receipts API and its PDF as Stripe's own charge says."""

import pytest
from django.urls import reverse

from billing import receipts, refunds
from billing.models import Payment
from tests.billing.pdf_text import receipt_text
from tests.marketplace.api.conftest import client_for
from tests.services.billing_support import complete, remote, save_card, scheduled_pickup

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_refunded_charge_reads_on_its_receipt_as_stripe_has_it(
    stripe_on, customer, customer_owner, in_area_hauler, run_on_commit, staff_user
):
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=8_220, payout=6_000))
    paid = Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)
    api = client_for(customer_owner)

    refunds.refund_payment(payment=paid, amount_cents=2_000, reason="Bin not fully emptied", by=staff_user)
    part = api.get(reverse("api:receipt", args=[paid.pk])).json()
    refunds.refund_payment(payment=paid, amount_cents=6_220, reason="Not serviced", by=staff_user)
    full = api.get(reverse("api:receipt", args=[paid.pk])).json()

    charge = remote(f"/v1/payment_intents/{paid.stripe_payment_intent_id}")["latest_charge"]
    assert (part["charged_cents"], part["refunded_cents"], part["paid_cents"]) == (8_220, 2_000, 6_220)
    assert (full["refunded_cents"], full["paid_cents"]) == (charge["amount_refunded"], 0) == (8_220, 0)
    assert full["card"]["last4"] == "4242"
    text = receipt_text(receipts.receipt_of(customer=customer, payment_id=paid.pk))
    assert "-$20.00" in text and "-$62.20" in text and "You paid $0.00" in text
    assert api.get(reverse("api:receipt-pdf", args=[paid.pk])).content.startswith(b"%PDF-")
