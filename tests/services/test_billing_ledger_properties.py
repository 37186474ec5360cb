"""Random sequences of charges, refunds, credits, payouts and card disputes against the Stripe stand-in: the books
always balance.

After every step: each pickup's entries balance, the platform-wide identity holds (charges - refunds - disputes lost
= hauler payables + platform fees - credits applied), no hauler is sent more than it earned,
and Stripe's view (PaymentIntents, refunds, transfers) matches the ledger. Each example has its own business and
hauler, so examples do not disturb each other; the identities are checked over the whole ledger.
"""

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import charges, disputes, ledger, payouts, refunds
from billing.models import Dispute, LedgerEntry, Payment
from core.errors import Conflict
from marketplace import payments
from marketplace.models import Pickup
from tests import factories
from tests.services.billing_support import kind_totals, onboard, remote, save_card, scheduled_pickup, stand_in_post

pytestmark = [pytest.mark.services, pytest.mark.django_db]

Kind = LedgerEntry.Kind
keys = itertools.count()

charge = st.tuples(st.just("charge"), st.integers(50, 20_000), st.integers(0, 100))  # price, payout percent
refund = st.tuples(st.just("refund"), st.integers(0, 7), st.integers(1, 20_000))  # which payment, amount
credit = st.tuples(st.just("credit"), st.integers(1, 6_000))
payout = st.tuples(st.just("payout"))
# the bank disputes a payment and (perhaps) decides it: which payment, and open / won / lost
dispute = st.tuples(st.just("dispute"), st.integers(0, 7), st.sampled_from(["open", "won", "lost"]))
steps = st.lists(st.one_of(charge, charge, refund, credit, payout, dispute), min_size=1, max_size=8)


def assert_books_balance(hauler) -> None:
    assert ledger.unbalanced_pickups() == {}
    total = ledger.totals()
    disputes_lost = total[Kind.DISPUTE_WITHDRAWN] + total[Kind.DISPUTE_FEE] - total[Kind.DISPUTE_REINSTATED]
    assert total[Kind.CHARGE] - total[Kind.REFUND] - disputes_lost == (
        total[Kind.HAULER_PAYABLE] + total[Kind.PLATFORM_FEE] - total[Kind.CREDIT]
    )
    per_hauler = (
        LedgerEntry.objects.filter(hauler__isnull=False)
        .values("hauler")
        .annotate(
            earned=Sum("amount_cents", filter=Q(kind=Kind.HAULER_PAYABLE), default=0),
            sent=Sum("amount_cents", filter=Q(kind=Kind.TRANSFER), default=0),
        )
    )
    assert all(row["sent"] <= row["earned"] for row in per_hauler)
    sent_by_stripe = remote("/v1/transfers", destination=hauler.payout_account.stripe_account_id, limit=100)["data"]
    assert sum(t["amount"] for t in sent_by_stripe) == kind_totals(hauler=hauler)[Kind.TRANSFER]


def assert_stripe_agrees(customer) -> None:
    for payment in Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED):
        in_ledger = kind_totals(payment=payment)
        if not payment.stripe_payment_intent_id:  # paid by credit alone
            assert in_ledger[Kind.CHARGE] == 0
            continue
        intent = remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
        assert intent["amount"] == in_ledger[Kind.CHARGE] == payment.charged_cents
        assert intent["latest_charge"]["amount_refunded"] == in_ledger[Kind.REFUND]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_any_sequence_of_money_movements_keeps_the_books_balanced(stripe_on, staff_user, steps):
    customer = factories.CustomerFactory()
    factories.LocationFactory(customer=customer)
    save_card(customer)
    hauler = factories.HaulerFactory()
    onboard(hauler)
    credit_before = ledger.credit_balance_cents(customer_id=customer.pk)
    granted = 0

    for step in steps:
        if step[0] == "charge":
            _, price, percent = step
            pickup = scheduled_pickup(
                customer, hauler, price=price, payout=price * percent // 100, status=Pickup.Status.COMPLETED
            )
            payment = payments.charge_pickup(pickup_id=pickup.pk)
            assert payment.status == Payment.Status.SUCCEEDED
            assert payment.charged_cents == 0 or payment.charged_cents >= charges.MIN_CHARGE_CENTS
        elif step[0] == "refund":
            _, which, amount = step
            paid = list(
                Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED)
                .exclude(stripe_payment_intent_id="")
                .order_by("pk")
            )
            if not paid:
                continue
            payment = paid[which % len(paid)]
            refundable = refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id)
            if payment.disputes.exists():  # the bank decides a disputed payment's money, not a refund
                with pytest.raises(Conflict):
                    refunds.refund_payment(payment=payment, amount_cents=amount, reason="Goodwill", by=staff_user)
            elif amount > refundable:
                with pytest.raises(ValidationError):
                    refunds.refund_payment(payment=payment, amount_cents=amount, reason="Too much", by=staff_user)
                assert refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id) == refundable
            else:
                made = refunds.refund_payment(payment=payment, amount_cents=amount, reason="Goodwill", by=staff_user)
                assert remote(f"/v1/refunds/{made.stripe_refund_id}")["amount"] == amount
        elif step[0] == "dispute":
            _, which, outcome = step
            paid = list(
                Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED)
                .exclude(stripe_payment_intent_id="")
                .filter(disputes__isnull=True)
                .order_by("pk")
            )
            payment = paid[which % len(paid)] if paid else None
            if payment is None or refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id) == 0:
                continue  # nothing left to dispute
            opened = stand_in_post("/_config/disputes", {"payment_intent": payment.stripe_payment_intent_id})
            disputes.record_from_stripe(stripe_dispute_id=opened["id"])  # what each charge.dispute.* event does
            if outcome != "open":
                stand_in_post(f"/_config/disputes/{opened['id']}/close", {"status": outcome})
                disputes.record_from_stripe(stripe_dispute_id=opened["id"])
            assert Dispute.objects.get(stripe_dispute_id=opened["id"]).status == (
                "needs_response" if outcome == "open" else outcome
            )
        elif step[0] == "credit":
            refunds.grant_credit(customer=customer, amount_cents=step[1], reason="Goodwill", key=f"prop:{next(keys)}")
            granted += step[1]
        else:
            payouts.run_payouts()
        assert_books_balance(hauler)
        assert ledger.credit_balance_cents(customer_id=customer.pk) >= 0

    assert_stripe_agrees(customer)
    spent = kind_totals(customer=customer)[Kind.CREDIT]
    assert ledger.credit_balance_cents(customer_id=customer.pk) == credit_before + granted - spent
