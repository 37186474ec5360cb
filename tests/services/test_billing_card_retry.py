"""A new card retries the business's failed payments at once, against the Stripe stand-in: no wait for the sweep."""

import pytest
from django.core import mail

from billing import ledger
from billing.models import Payment
from marketplace import payments
from tests.services.billing_support import (
    DECLINES_ON_CHARGE,
    VISA,
    complete,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def queued_task_names(callbacks) -> list[str]:
    """The tasks the on-commit callbacks send (core.enqueue queues the task's delay)."""
    return [callback.func.__self__.name for callback in callbacks if hasattr(callback.func, "__self__")]


def intents() -> list[dict]:
    return remote("/v1/payment_intents", limit=100)["data"]  # the stand-in starts each test empty


def test_a_new_card_retries_a_failed_payment_at_once_and_charges_it_once(
    stripe_on, customer, customer_owner, in_area_hauler, run_on_commit, django_capture_on_commit_callbacks
):
    save_card(customer, DECLINES_ON_CHARGE)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler))
    payment = Payment.objects.get(pickup=pickup)
    assert payment.status == Payment.Status.FAILED  # and, by the schedule, not due again for a day
    mail.outbox.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        save_card(customer, VISA)
    assert queued_task_names(callbacks) == ["marketplace.retry_failed_payments"]
    for callback in callbacks:  # the commit: the task runs (in-process here), no sweep involved
        callback()

    payment.refresh_from_db()
    assert (payment.status, payment.failure_message, payment.next_attempt_at) == (Payment.Status.SUCCEEDED, "", None)
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["status"] == "succeeded"
    assert kind_totals(pickup=pickup)["charge"] == pickup.price_cents
    assert ledger.unbalanced_pickups() == {}
    assert not [m for m in mail.outbox if m.subject.startswith("Payment failed")]

    # The task delivered twice, and the sweep after it, change nothing: one charge at Stripe, one in the books.
    for callback in callbacks:
        callback()
    assert run_on_commit(payments.retry_payments) == 0
    succeeded = [intent for intent in intents() if intent["status"] == "succeeded"]
    assert [intent["amount"] for intent in succeeded] == [pickup.price_cents]
    assert kind_totals(pickup=pickup)["charge"] == pickup.price_cents


def test_a_new_card_declined_again_is_counted_once_and_the_business_told(
    stripe_on, customer, customer_owner, in_area_hauler, run_on_commit, django_capture_on_commit_callbacks
):
    save_card(customer, DECLINES_ON_CHARGE)
    payment = Payment.objects.get(pickup=complete(run_on_commit, scheduled_pickup(customer, in_area_hauler)))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        save_card(customer, DECLINES_ON_CHARGE)
    payment.refresh_from_db()
    assert (payment.status, payment.attempts) == (Payment.Status.FAILED, 2)
    assert [m.to for m in mail.outbox if m.subject.startswith("Payment failed")] == [[customer_owner.email]]

    # Run again (a redelivered task): the payment is not due until its next retry, so nothing more is charged.
    assert payments.retry_failed_payments(customer_id=customer.pk) == 0
    assert Payment.objects.get(pk=payment.pk).attempts == 2


def test_a_card_saved_with_nothing_failed_queues_nothing(stripe_on, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        save_card(customer, VISA)
    assert queued_task_names(callbacks) == []
