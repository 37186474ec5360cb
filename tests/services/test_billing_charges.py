"""Charging finished pickups against the Stripe stand-in: success, declines and retries, fees, credits, crashes."""

import datetime as dt
import threading

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import close_old_connections
from django.utils import timezone

from billing import cards, charges, ledger
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Payment
from marketplace import followup, payments
from marketplace import services as market
from marketplace.models import Pickup
from tests import factories
from tests.services.billing_support import (
    DECLINES_ON_CHARGE,
    NEEDS_AUTHENTICATION,
    VISA,
    complete,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
    stand_in_post,
)

pytestmark = pytest.mark.services


def intents() -> list[dict]:
    return remote("/v1/payment_intents", limit=100)["data"]


@pytest.mark.django_db
def test_a_completed_pickup_is_charged_once_and_its_books_balance(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))

    payment = Payment.objects.get(pickup=pickup)
    assert payment.status == Payment.Status.SUCCEEDED and payment.paid_at
    assert (payment.amount_cents, payment.credit_cents, payment.payable_cents) == (10_200, 0, 8_500)
    assert payment.stripe_payment_intent_id.startswith("pi_")
    intent = remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 10_200, "usd")
    assert intent["customer"] == BillingAccount.objects.get(customer=customer).stripe_customer_id
    assert intent["metadata"] == {"payment": str(payment.pk), "customer": str(customer.pk)}
    totals = kind_totals(pickup=pickup)
    assert (totals["charge"], totals["hauler_payable"], totals["platform_fee"]) == (10_200, 8_500, 1_700)
    assert ledger.unbalanced_pickups() == {}

    again = payments.charge_pickup(pickup_id=pickup.pk)
    assert again.pk == payment.pk
    assert charges.attempt_payment(payment_id=payment.pk).stripe_payment_intent_id == payment.stripe_payment_intent_id
    assert len(intents()) == 1
    assert kind_totals(pickup=pickup)["charge"] == 10_200


@pytest.mark.django_db
def test_a_declined_card_fails_tells_the_business_retries_on_schedule_and_pauses_bookings(
    stripe_on, customer, customer_owner, in_area_hauler, run_on_commit
):
    save_card(customer, DECLINES_ON_CHARGE)
    mail.outbox.clear()
    before = timezone.now()
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler))

    payment = Payment.objects.get(pickup=pickup)
    assert payment.status == Payment.Status.FAILED
    assert (payment.attempts, payment.failure_message) == (1, "Your card was declined.")
    first_retry = settings.PAYMENT_RETRY_SCHEDULE[0]
    assert before + first_retry <= payment.next_attempt_at <= timezone.now() + first_retry
    assert payment.stripe_payment_intent_id.startswith("pi_")  # the declined attempt, as Stripe names it
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["status"] == "requires_payment_method"
    assert kind_totals(pickup=pickup)["charge"] == 0
    failed_mail = [m for m in mail.outbox if m.subject.startswith("Payment failed")]
    assert [m.to for m in failed_mail] == [[customer_owner.email]]
    assert "Your card was declined." in failed_mail[0].body
    assert cards.booking_block(customer=customer) is None  # one failure does not pause bookings

    # Nothing is due before the schedule says so; then each retry declines again.
    assert run_on_commit(payments.retry_payments) == 0
    assert Payment.objects.get(pk=payment.pk).attempts == 1
    for attempt in range(2, settings.PAYMENT_FAILURES_BEFORE_PAUSE + 1):
        run_on_commit(payments.retry_payments, now=Payment.objects.get(pk=payment.pk).next_attempt_at)
        assert Payment.objects.get(pk=payment.pk).attempts == attempt
    payment.refresh_from_db()
    last_retry = settings.PAYMENT_RETRY_SCHEDULE[2]
    assert timezone.now() - payment.next_attempt_at + last_retry < dt.timedelta(minutes=1)
    assert len([m for m in mail.outbox if m.subject.startswith("Payment failed")]) == 3
    assert cards.booking_block(customer=customer).startswith("New bookings are paused: 3 payments in a row failed")

    # A new card lifts the pause and makes the payment due now; the sweep charges it.
    save_card(customer, VISA)
    assert run_on_commit(payments.retry_payments) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED and payment.failure_message == ""
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["status"] == "succeeded"
    assert kind_totals(pickup=pickup)["charge"] == pickup.price_cents
    assert ledger.unbalanced_pickups() == {}
    assert cards.booking_block(customer=customer) is None


@pytest.mark.django_db
def test_a_card_the_bank_challenges_off_session_fails_asking_for_an_update(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    # Authenticated when it was saved, challenged again when charged without the holder: it happens with real banks.
    account = save_card(customer)
    method = stand_in_post(
        "/v1/payment_methods",
        {
            "type": "card",
            "card[number]": NEEDS_AUTHENTICATION,
            "card[exp_month]": 12,
            "card[exp_year]": 2030,
            "card[cvc]": 123,
        },
    )
    stand_in_post(f"/v1/payment_methods/{method['id']}/attach", {"customer": account.stripe_customer_id})
    BillingAccount.objects.filter(pk=account.pk).update(payment_method_id=method["id"])

    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler))

    payment = Payment.objects.get(pickup=pickup)
    assert (payment.status, payment.attempts) == (Payment.Status.FAILED, 1)
    assert payment.failure_message == "Your bank asks you to confirm this payment; update your card to pay."
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["status"] == "requires_action"
    assert kind_totals(pickup=pickup)["charge"] == 0


@pytest.mark.django_db
def test_skipped_visits_and_free_cancellations_are_not_charged(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    free = scheduled_pickup(customer, in_area_hauler, service_date=timezone.localdate() + dt.timedelta(days=3))
    run_on_commit(market.cancel_pickup, pickup=free)
    free.refresh_from_db()
    assert (free.status, free.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 0)
    skipped = scheduled_pickup(customer, in_area_hauler, status=Pickup.Status.SKIPPED)
    missed = scheduled_pickup(customer, in_area_hauler, status=Pickup.Status.MISSED)

    assert [payments.charge_pickup(pickup_id=p.pk) for p in (free, skipped, missed)] == [None, None, None]
    assert not Payment.objects.exists()
    assert intents() == []


@pytest.mark.django_db
def test_a_late_cancellation_charges_the_fee_and_owes_the_hauler_nothing(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    pickup = scheduled_pickup(customer, in_area_hauler, service_date=timezone.localdate() + dt.timedelta(days=2))
    with time_machine.travel(pickup.window()[0] - dt.timedelta(hours=2)):
        run_on_commit(market.cancel_pickup, pickup=pickup)

    payment = Payment.objects.get(pickup=pickup)
    fee = settings.CANCELLATION_FEE_CENTS
    assert (payment.status, payment.amount_cents, payment.payable_cents, payment.hauler) == (
        Payment.Status.SUCCEEDED,
        fee,
        0,
        None,
    )
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["amount"] == fee
    totals = kind_totals(pickup=pickup)
    assert (totals["charge"], totals["platform_fee"], totals["hauler_payable"]) == (fee, fee, 0)
    assert ledger.unbalanced_pickups() == {}


@pytest.mark.django_db
def test_a_missed_pickup_credits_the_business_once_and_the_next_charge_spends_it(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    no_show = scheduled_pickup(customer, in_area_hauler, service_date=timezone.localdate() - dt.timedelta(days=1))
    assert run_on_commit(followup.mark_missed, pickup_id=no_show.pk)
    assert not run_on_commit(followup.mark_missed, pickup_id=no_show.pk)
    payments.credit_missed_pickup(pickup_id=no_show.pk)  # a redelivered task
    credit = settings.MISSED_PICKUP_CREDIT_CENTS
    assert ledger.credit_balance_cents(customer_id=customer.pk) == credit
    assert not Payment.objects.filter(pickup=no_show).exists()

    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))

    payment = Payment.objects.get(pickup=pickup)
    assert (payment.status, payment.amount_cents, payment.credit_cents) == (Payment.Status.SUCCEEDED, 10_200, credit)
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["amount"] == 10_200 - credit
    totals = kind_totals(pickup=pickup)
    assert (totals["charge"], totals["credit"], totals["hauler_payable"], totals["platform_fee"]) == (
        10_200 - credit,
        credit,
        8_500,
        1_700,
    )
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 0
    assert ledger.unbalanced_pickups() == {}


@pytest.mark.django_db
def test_a_charge_whose_outcome_was_lost_is_not_made_twice(stripe_on, customer, in_area_hauler):
    """Stripe charged, then the worker died before recording it: the retry sends the same key and gets that charge."""
    account = save_card(customer)
    pickup = scheduled_pickup(customer, in_area_hauler, status=Pickup.Status.COMPLETED)
    payment = charges.bill_pickup(
        pickup=pickup, customer=customer, hauler=in_area_hauler, amount_cents=3_000, payable_cents=2_400,
        description="Trash pickup",
    )  # fmt: skip
    lost = gateway.charge(
        idempotency_key=f"charge:payment:{payment.pk}:0", customer_id=account.stripe_customer_id,
        payment_method_id=account.payment_method_id, amount_cents=3_000, currency="usd", description="Trash pickup",
        metadata={"payment": str(payment.pk), "customer": str(customer.pk)},
    )  # fmt: skip
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.PENDING

    assert payments.retry_payments() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.stripe_payment_intent_id) == (Payment.Status.SUCCEEDED, lost.payment_intent_id)
    assert [intent["id"] for intent in intents()] == [lost.payment_intent_id]


@pytest.mark.django_db(transaction=True)
def test_two_workers_charging_one_payment_at_once_make_one_payment_intent(stripe_on, postgres):
    customer = factories.CustomerFactory()
    factories.LocationFactory(customer=customer)
    save_card(customer)
    hauler = factories.HaulerFactory()
    pickup = scheduled_pickup(customer, hauler, status=Pickup.Status.COMPLETED)
    payment = charges.bill_pickup(
        pickup=pickup, customer=customer, hauler=hauler, amount_cents=3_000, payable_cents=2_400,
        description="Trash pickup",
    )  # fmt: skip
    start = threading.Barrier(2)
    outcomes = []

    def worker():
        try:
            start.wait()
            outcomes.append(charges.attempt_payment(payment_id=payment.pk).status)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes == [Payment.Status.SUCCEEDED] * 2
    assert len(intents()) == 1
    assert kind_totals(pickup=pickup)["charge"] == 3_000
    assert ledger.unbalanced_pickups() == {}
