"""Money edge cases found in review, without Stripe: lost answers, retries off schedule, credit that proves no card."""

import contextlib
import datetime as dt
import re
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from billing import cards, ledger, refunds
from billing import charges as charging
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, LedgerEntry, Payment, Refund
from core.errors import Conflict
from marketplace import payments
from marketplace.models import ServicePlan
from tests import factories
from tests.billing.support import completed_pickup, failed_payment, paid_payment

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(minutes=10)


@pytest.fixture
def payment(location, in_area_hauler):
    """A $30.00 card payment, paid."""
    return paid_payment(completed_pickup(location=location, hauler=in_area_hauler, price_cents=3_000))


def unreachable(**kwargs):
    raise gateway.StripeUnreachable("Stripe could not be reached; it will be tried again.")


# --- Refunds whose answer was lost ---------------------------------------------------------------------------


def test_a_refund_stripe_did_not_answer_for_is_kept_so_it_is_neither_lost_nor_made_twice(
    monkeypatch, payment, staff_user
):
    monkeypatch.setattr(gateway, "refund", unreachable)

    with pytest.raises(Conflict, match="will be sent again"):
        refunds.refund_payment(payment=payment, amount_cents=3_000, reason="Bin not emptied", by=staff_user)

    [kept] = Refund.objects.all()
    assert (kept.amount_cents, kept.stripe_refund_id) == (3_000, "")
    assert refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id) == 0
    assert not LedgerEntry.objects.filter(refund=kept).exists()
    with pytest.raises(ValidationError, match="At most 0 cents"):  # a second click cannot refund it again
        refunds.refund_payment(payment=payment, amount_cents=3_000, reason="Bin not emptied", by=staff_user)


def test_the_sweep_books_a_lost_refund_it_finds_at_stripe_without_sending_another(monkeypatch, payment, staff_user):
    monkeypatch.setattr(gateway, "refund", unreachable)
    with pytest.raises(Conflict):
        refunds.refund_payment(payment=payment, amount_cents=1_200, reason="Late", by=staff_user)
    kept = Refund.objects.get()
    looked = []

    def find_refund(*, payment_intent_id, refund_ref):
        looked.append((payment_intent_id, refund_ref))
        return "re_made_before"

    monkeypatch.setattr(gateway, "find_refund", find_refund)
    assert refunds.send_pending_refunds() == 0  # not while its first send may still be running

    assert refunds.send_pending_refunds(now=timezone.now() + LATER) == 1

    kept.refresh_from_db()
    assert kept.stripe_refund_id == "re_made_before"
    assert looked == [(payment.stripe_payment_intent_id, str(kept.pk))]
    entries = {entry.kind: entry.amount_cents for entry in LedgerEntry.objects.filter(refund=kept)}
    assert entries == {LedgerEntry.Kind.REFUND: 1_200, LedgerEntry.Kind.PLATFORM_FEE: -1_200}
    assert ledger.unbalanced_pickups() == {}
    assert refunds.send_pending_refunds(now=timezone.now() + LATER) == 0


def test_the_sweep_sends_a_refund_stripe_never_made_with_its_own_key(monkeypatch, payment, staff_user):
    monkeypatch.setattr(gateway, "refund", unreachable)
    with pytest.raises(Conflict):
        refunds.refund_payment(payment=payment, amount_cents=500, reason="Late", by=staff_user)
    kept = Refund.objects.get()
    sent = []
    monkeypatch.setattr(gateway, "find_refund", lambda **kwargs: None)
    monkeypatch.setattr(gateway, "refund", lambda **kwargs: sent.append(kwargs) or ("re_now", "succeeded"))

    assert refunds.send_pending_refunds(now=timezone.now() + LATER) == 1

    assert [call["idempotency_key"] for call in sent] == [f"refund:{kept.pk}"]
    assert Refund.objects.get().stripe_refund_id == "re_now"
    assert ledger.unbalanced_pickups() == {}


def test_a_refund_stripe_refuses_leaves_nothing(monkeypatch, payment, staff_user):
    def refused(**kwargs):
        raise gateway.RequestRefused("Charge has already been refunded.")

    monkeypatch.setattr(gateway, "refund", refused)

    with pytest.raises(Conflict, match="Stripe refused the refund"):
        refunds.refund_payment(payment=payment, amount_cents=500, reason="Late", by=staff_user)

    assert not Refund.objects.exists()
    assert refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id) == 3_000


# --- Declined payments are retried on schedule only ----------------------------------------------------------


@pytest.fixture
def charges(monkeypatch):
    """Every charge attempt that reaches the gateway (each one declined)."""
    made = []

    def charge(**kwargs):
        made.append(kwargs["idempotency_key"])
        raise gateway.PaymentDeclined("Your card was declined.", code="card_declined")

    monkeypatch.setattr(gateway, "charge", charge)
    return made


def test_a_redelivered_charge_task_does_not_retry_a_declined_card_before_its_time(
    payments_on, charges, location, in_area_hauler
):
    factories.BillingAccountFactory(customer=location.customer)
    pickup = completed_pickup(location=location, hauler=in_area_hauler)
    declined = failed_payment(pickup)

    assert payments.charge_pickup(pickup_id=pickup.pk).pk == declined.pk

    declined.refresh_from_db()
    assert charges == []
    assert (declined.status, declined.attempts) == (Payment.Status.FAILED, 1)
    assert BillingAccount.objects.get(customer=location.customer).failed_payments == 0


def test_a_late_plan_visit_does_not_make_each_invoice_run_retry_last_months_declined_invoice(
    payments_on, charges, customer, location, in_area_hauler
):
    factories.BillingAccountFactory(customer=customer)
    today = timezone.localdate()
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    plan = ServicePlan.objects.create(
        customer=customer, location=location, hauler=in_area_hauler, waste_stream="trash", container="cart_96gal",
        quantity=1, frequency="weekly", weekdays=0b1111111, start_date=month - dt.timedelta(days=60),
        status=ServicePlan.Status.ACTIVE, price_cents=6_000, payout_cents=4_800,
    )  # fmt: skip

    def visit(day):
        days_ago = (today - day).days
        return completed_pickup(location=location, hauler=in_area_hauler, plan=plan, plan_date=day, days_ago=days_ago,
                                price_cents=6_000, payout_cents=4_800)  # fmt: skip

    visit(month + dt.timedelta(days=2))
    [invoice] = payments.issue_invoices(today=today)
    assert len(charges) == 1 and Payment.objects.get(invoice=invoice).status == Payment.Status.FAILED
    visit(month + dt.timedelta(days=9))  # completed late, after the invoice was issued

    for hours in (6, 12, 18):
        with time_machine.travel(timezone.now() + dt.timedelta(hours=hours)):
            payments.issue_invoices(today=today)

    assert len(charges) == 1
    assert Payment.objects.get(invoice=invoice).attempts == 1
    assert BillingAccount.objects.get(customer=customer).bookings_paused_at is None


# --- A payment whose PaymentIntent is still out ----------------------------------------------------------------


@pytest.fixture
def pending_with_intent(payments_on, location, in_area_hauler):
    """A $30.00 payment whose first attempt left a PaymentIntent that was processing."""
    factories.BillingAccountFactory(customer=location.customer)
    pickup = completed_pickup(location=location, hauler=in_area_hauler)
    payment = charging.bill_pickup(
        pickup=pickup, customer=pickup.customer, hauler=in_area_hauler, amount_cents=3_000, payable_cents=2_400,
        description="Trash pickup",
    )  # fmt: skip
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id="pi_slow")
    return payment


def test_a_payment_whose_intent_succeeded_after_processing_is_settled_not_charged_again(
    monkeypatch, charges, pending_with_intent
):
    monkeypatch.setattr(gateway, "retrieve_charge", lambda intent: gateway.Charge(intent, "succeeded", 3_000))

    payment = charging.attempt_payment(payment_id=pending_with_intent.pk)

    assert (payment.status, payment.stripe_payment_intent_id) == (Payment.Status.SUCCEEDED, "pi_slow")
    assert charges == []
    assert ledger.unbalanced_pickups() == {}


def test_a_payment_still_processing_waits_for_its_outcome(monkeypatch, charges, pending_with_intent):
    monkeypatch.setattr(gateway, "retrieve_charge", lambda intent: gateway.Charge(intent, "processing", 3_000))

    payment = charging.attempt_payment(payment_id=pending_with_intent.pk)

    assert (payment.status, payment.attempts) == (Payment.Status.PENDING, 0)
    assert payment.next_attempt_at > timezone.now()
    assert charges == []


# --- Credit is no proof that the card works --------------------------------------------------------------------


def test_a_payment_covered_by_credit_does_not_lift_a_pause_for_failing_card_payments(location, in_area_hauler):
    customer = location.customer
    paused_at = timezone.now() - dt.timedelta(days=1)
    factories.BillingAccountFactory(customer=customer, failed_payments=3, bookings_paused_at=paused_at)
    refunds.grant_credit(customer=customer, amount_cents=5_000, reason="Missed pickup", key="test:goodwill")

    paid = charging.bill_pickup(
        pickup=completed_pickup(location=location, hauler=in_area_hauler), customer=customer, hauler=in_area_hauler,
        amount_cents=3_000, payable_cents=2_400, description="Trash pickup",
    )  # fmt: skip

    assert (paid.status, paid.credit_cents, paid.charged_cents) == (Payment.Status.SUCCEEDED, 3_000, 0)
    account = BillingAccount.objects.get(customer=customer)
    assert (account.failed_payments, account.bookings_paused_at) == (3, paused_at)


# --- A charge Stripe refuses outright --------------------------------------------------------------------------


def test_a_charge_stripe_refuses_outright_fails_on_the_schedule_instead_of_retrying_unseen_for_ever(
    monkeypatch, payments_on, location, in_area_hauler
):
    factories.BillingAccountFactory(customer=location.customer)
    pickup = completed_pickup(location=location, hauler=in_area_hauler, price_cents=40, payout_cents=0)
    sent = []

    def charge(**kwargs):
        sent.append(kwargs["amount_cents"])
        raise gateway.RequestRefused("Amount must be at least $0.50 usd")

    monkeypatch.setattr(gateway, "charge", charge)

    payment = payments.charge_pickup(pickup_id=pickup.pk)

    assert sent == [40]
    assert (payment.status, payment.attempts) == (Payment.Status.FAILED, 1)
    assert "Amount must be at least $0.50 usd" in payment.failure_message
    assert payment.next_attempt_at > timezone.now() + dt.timedelta(hours=23)
    assert charging.due_payment_ids(now=timezone.now() + dt.timedelta(hours=1)) == []


# --- A new card while a retry settles --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_saving_a_card_while_a_failed_payment_settles_does_not_deadlock(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    location = factories.LocationFactory()
    customer = location.customer
    factories.BillingAccountFactory(customer=customer, failed_payments=1)
    pickup = completed_pickup(location=location, hauler=factories.HaulerFactory())
    declined = failed_payment(pickup)
    card = gateway.Card("pm_new", "visa", "4242", 12, timezone.localdate().year + 2)
    monkeypatch.setattr(gateway, "saved_card", lambda **kwargs: card)
    both_hold_a_lock = threading.Barrier(2, timeout=3)
    real_locked_account = cards.locked_account

    def locked_account(customer):
        account = real_locked_account(customer)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_hold_a_lock.wait()
        return account

    monkeypatch.setattr(cards, "locked_account", locked_account)
    errors = []

    def settle():  # a retry that succeeded at Stripe, recording it
        try:
            with transaction.atomic():
                payment = Payment.objects.select_for_update().get(pk=declined.pk)
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_hold_a_lock.wait()
                charging._settle(payment, payment_intent_id="pi_retried")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    def save_card():  # the business saves a new card at that moment
        try:
            cards.save_card(by=None, customer=customer, setup_intent_id="seti_new")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=settle), threading.Thread(target=save_card)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Payment.objects.get(pk=declined.pk).status == Payment.Status.SUCCEEDED
    assert BillingAccount.objects.get(customer=customer).payment_method_id == "pm_new"


# --- The refund form sent twice --------------------------------------------------------------------------------


def test_a_refund_form_sent_twice_refunds_once(monkeypatch, staff_client, payment):
    sent = []
    monkeypatch.setattr(gateway, "refund", lambda **kwargs: sent.append(kwargs) or (f"re_{len(sent)}", "succeeded"))
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    token = re.search(r'name="token" value="([0-9a-f-]+)"', staff_client.get(url).content.decode()).group(1)
    form = {"amount_cents": "10.00", "reason": "Bin not emptied", "token": token}

    first, second = staff_client.post(url, form), staff_client.post(url, form)  # a double click

    assert (first.status_code, second.status_code) == (302, 302)
    assert len(sent) == 1
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [1_000]
    assert refunds.refundable_cents(payment=payment, pickup_id=payment.pickup_id) == 2_000
    assert ledger.unbalanced_pickups() == {}
