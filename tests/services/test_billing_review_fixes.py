"""Money moved once against the Stripe stand-in when an outcome is lost and the retry comes after Stripe forgot its key.

Stripe keeps an idempotency key for a day; changing STRIPE_IDEMPOTENCY_PREFIX between the lost request and the retry
is how these tests make the stand-in forget it.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import ledger, payouts, refunds
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Payment, Payout, Refund
from core.errors import Conflict
from marketplace import payments
from tests.services.billing_support import (
    NEEDS_AUTHENTICATION,
    VISA,
    complete,
    kind_totals,
    onboard,
    remote,
    save_card,
    scheduled_pickup,
    stand_in_post,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_pending_payout_whose_transfer_was_made_is_not_sent_again_after_stripe_forgot_the_key(
    stripe_on, settings, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    onboard(in_area_hauler)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    destination = in_area_hauler.payout_account.stripe_account_id
    sent = []
    real_transfer = gateway.transfer

    def transfer_then_crash(**kwargs):
        sent.append(real_transfer(**kwargs))
        raise gateway.StripeUnreachable("Stripe could not be reached; it will be tried again.")

    gateway.transfer = transfer_then_crash
    try:
        with pytest.raises(gateway.GatewayError):
            payouts.pay_hauler(hauler=in_area_hauler)
    finally:
        gateway.transfer = real_transfer
    [payout] = Payout.objects.filter(hauler=in_area_hauler)
    assert payout.status == Payout.Status.PENDING and len(sent) == 1
    settings.STRIPE_IDEMPOTENCY_PREFIX = "a-week-later:"

    payouts.run_payouts()

    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PAID, sent[0])
    assert [t["id"] for t in remote("/v1/transfers", destination=destination)["data"]] == [sent[0]]
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {}


def test_a_refund_whose_answer_was_lost_is_finished_by_the_sweep_not_made_again(
    stripe_on, settings, customer, in_area_hauler, run_on_commit, staff_user
):
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    paid = Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)
    made = []
    real_refund = gateway.refund

    def refund_then_lose_the_answer(**kwargs):
        made.append(real_refund(**kwargs))
        raise gateway.StripeUnreachable("Stripe could not be reached; it will be tried again.")

    gateway.refund = refund_then_lose_the_answer
    try:
        with pytest.raises(Conflict, match="will be sent again"):
            refunds.refund_payment(payment=paid, amount_cents=4_000, reason="Bins half full", by=staff_user)
    finally:
        gateway.refund = real_refund
    with pytest.raises(ValidationError, match="At most 6200 cents"):  # staff try again: the first still counts
        refunds.refund_payment(payment=paid, amount_cents=10_200, reason="Bins half full", by=staff_user)
    settings.STRIPE_IDEMPOTENCY_PREFIX = "a-day-later:"

    assert refunds.send_pending_refunds(now=timezone.now() + dt.timedelta(minutes=10)) == 1

    [refund] = Refund.objects.all()
    assert refund.stripe_refund_id == made[0][0]
    intent = remote(f"/v1/payment_intents/{paid.stripe_payment_intent_id}")
    assert intent["latest_charge"]["amount_refunded"] == 4_000
    assert kind_totals(pickup=pickup)["refund"] == 4_000
    assert ledger.unbalanced_pickups() == {}


def _challenged_payment(customer, hauler, run_on_commit) -> Payment:
    """A completed pickup whose charge the bank challenged: the payment failed, its PaymentIntent awaits the holder."""
    account = save_card(customer)
    method = stand_in_post(
        "/v1/payment_methods",
        {"type": "card", "card[number]": NEEDS_AUTHENTICATION, "card[exp_month]": 12, "card[exp_year]": 2030,
         "card[cvc]": 123},
    )  # fmt: skip
    stand_in_post(f"/v1/payment_methods/{method['id']}/attach", {"customer": account.stripe_customer_id})
    BillingAccount.objects.filter(pk=account.pk).update(payment_method_id=method["id"])
    pickup = complete(run_on_commit, scheduled_pickup(customer, hauler))
    payment = Payment.objects.get(pickup=pickup)
    assert (payment.status, payment.attempts) == (Payment.Status.FAILED, 1)
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["status"] == "requires_action"
    return payment


def test_a_challenged_payment_the_holder_later_confirmed_is_settled_on_retry_not_charged_again(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    payment = _challenged_payment(customer, in_area_hauler, run_on_commit)
    intent = remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
    stand_in_post(f"/v1/payment_intents/{intent['id']}/_authenticate", {"client_secret": intent["client_secret"],
                                                                         "success": "true"})  # fmt: skip

    run_on_commit(payments.retry_payments, now=payment.next_attempt_at)

    payment.refresh_from_db()
    assert (payment.status, payment.stripe_payment_intent_id) == (Payment.Status.SUCCEEDED, intent["id"])
    assert [i["id"] for i in remote("/v1/payment_intents", limit=100)["data"]] == [intent["id"]]
    assert kind_totals(pickup=payment.pickup)["charge"] == 3_000
    assert ledger.unbalanced_pickups() == {}


def test_a_challenged_payment_is_cancelled_before_the_new_card_is_charged(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    payment = _challenged_payment(customer, in_area_hauler, run_on_commit)
    challenged = payment.stripe_payment_intent_id
    save_card(customer, VISA)

    assert run_on_commit(payments.retry_payments) == 1

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.stripe_payment_intent_id != challenged
    assert remote(f"/v1/payment_intents/{challenged}")["status"] == "canceled"  # the holder can no longer pay it
    assert ledger.unbalanced_pickups() == {}
