"""Refunds against the Stripe stand-in: partial, full, never more than was paid; the fee absorbs them."""

import pytest
from django.core.exceptions import ValidationError

from billing import ledger, refunds
from billing.models import Payment, Refund
from core.errors import Conflict
from tests.services.billing_support import (
    DECLINES_ON_CHARGE,
    complete,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def paid(stripe_on, customer, in_area_hauler, run_on_commit) -> Payment:
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    return Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)


def refunded_at_stripe(payment: Payment) -> int:
    return remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["latest_charge"]["amount_refunded"]


def test_partial_then_full_refunds_reach_stripe_and_keep_the_books_balanced(paid, staff_user):
    part = refunds.refund_payment(payment=paid, amount_cents=2_000, reason="Bins left half full", by=staff_user)

    assert part.stripe_refund_id.startswith("re_")
    stripe_refund = remote(f"/v1/refunds/{part.stripe_refund_id}")
    assert (stripe_refund["amount"], stripe_refund["status"]) == (2_000, "succeeded")
    assert refunded_at_stripe(paid) == 2_000
    assert ledger.unbalanced_pickups() == {}
    assert refunds.refundable_cents(payment=paid, pickup_id=paid.pickup_id) == 8_200

    with pytest.raises(ValidationError, match="At most 8200 cents"):
        refunds.refund_payment(payment=paid, amount_cents=8_201, reason="Too much", by=staff_user)
    assert Refund.objects.count() == 1
    assert refunded_at_stripe(paid) == 2_000

    rest = refunds.refund_payment(payment=paid, amount_cents=8_200, reason="Service not done", by=staff_user)

    assert remote(f"/v1/refunds/{rest.stripe_refund_id}")["amount"] == 8_200
    assert refunded_at_stripe(paid) == 10_200
    totals = kind_totals(pickup=paid.pickup)
    # the hauler keeps its payable; HaulMatch's fee pays the refund back
    assert (totals["charge"], totals["refund"], totals["hauler_payable"], totals["platform_fee"]) == (
        10_200,
        10_200,
        8_500,
        1_700 - 10_200,
    )
    assert ledger.unbalanced_pickups() == {}
    with pytest.raises(ValidationError, match="At most 0 cents"):
        refunds.refund_payment(payment=paid, amount_cents=1, reason="Once more", by=staff_user)


def test_a_refund_needs_a_reason_and_a_paid_card_payment(paid, staff_user, customer, in_area_hauler, run_on_commit):
    with pytest.raises(ValidationError) as raised:
        refunds.refund_payment(payment=paid, amount_cents=0, reason=" ", by=staff_user)
    assert set(raised.value.message_dict) == {"reason", "amount_cents"}

    save_card(customer, DECLINES_ON_CHARGE)
    failed = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler))
    with pytest.raises(Conflict, match="Only a paid card payment"):
        refunds.refund_payment(payment=failed.payment, amount_cents=100, reason="Goodwill", by=staff_user)
    assert not Refund.objects.exists()
    assert refunded_at_stripe(paid) == 0
