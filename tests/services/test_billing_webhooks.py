"""Stripe's webhooks end to end: the stand-in signs and sends events to a live server; out-of-order events."""

import time

import pytest

from billing import charges, ledger, payouts
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Payment, PayoutAccount, StripeEvent
from marketplace import payments, webhooks
from marketplace.models import Pickup
from tests import factories
from tests.services.billing_support import (
    WEBHOOK_URL,
    deliver_event,
    kind_totals,
    open_without_redirect,
    save_card,
    scheduled_pickup,
    stripe_request,
)

pytestmark = pytest.mark.services


@pytest.fixture
def webhook_to_live_server(stripe_on, live_server, postgres):
    """The stand-in sends its events, signed with the project's secret, to this test's live server.

    PostgreSQL only: SQLite's shared in-memory test database locks when the server thread writes as the test polls.
    """
    url = live_server.url + WEBHOOK_URL
    stripe_request(stripe_on, "POST", "/_config/webhooks/haulmatch", {"url": url, "secret": "whsec_test_secret"})
    yield
    stripe_request(stripe_on, "DELETE", "/_config/webhooks/haulmatch")


def wait_for_event(kind: str, object_id: str, *, timeout: float = 10) -> StripeEvent:
    """The event of this type about this object, once handled (an earlier test's events may arrive too)."""
    deadline = time.monotonic() + timeout
    events = StripeEvent.objects.filter(type=kind, payload__data__object__id=object_id)
    while time.monotonic() < deadline:
        event = events.filter(status=StripeEvent.Status.PROCESSED).first()
        if event is not None:
            return event
        time.sleep(0.1)
    seen = list(StripeEvent.objects.values_list("type", "status"))
    pytest.fail(f"no processed {kind} event for {object_id} within {timeout} s; received: {seen}")


def business():
    customer = factories.CustomerFactory()
    factories.LocationFactory(customer=customer)
    save_card(customer)
    return customer


@pytest.mark.django_db(transaction=True)
def test_a_charge_and_an_onboarding_come_back_as_signed_events_that_are_handled(webhook_to_live_server):
    customer = business()
    hauler = factories.HaulerFactory()
    pickup = scheduled_pickup(customer, hauler, status=Pickup.Status.COMPLETED)
    payment = payments.charge_pickup(pickup_id=pickup.pk)
    assert payment.status == Payment.Status.SUCCEEDED

    event = wait_for_event("payment_intent.succeeded", payment.stripe_payment_intent_id)
    assert event.outcome == f"payment {payment.pk} is succeeded"
    assert event.attempts == 1
    assert StripeEvent.objects.filter(type="customer.created", status=StripeEvent.Status.IGNORED).exists()
    assert kind_totals(pickup=pickup)["charge"] == 3_000  # the event settled nothing a second time

    url = payouts.start_payout_onboarding(
        by=None,
        hauler=hauler,
        email="owner@hauler.example",
        refresh_url="http://x.example/r",
        return_url="http://x.example/",
    )
    assert open_without_redirect(url)[0] == 302
    event = wait_for_event("account.updated", PayoutAccount.objects.get(hauler=hauler).stripe_account_id)
    assert event.outcome == "payouts enabled: True"
    account = PayoutAccount.objects.get(hauler=hauler)  # turned on by the event; nobody asked Stripe
    assert (account.details_submitted, account.payouts_enabled) == (True, True)


def intent_event(event_id: str, kind: str, intent_id: str, status: str) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": {"id": intent_id, "object": "payment_intent", "status": status}},
    }


@pytest.mark.django_db
def test_a_failure_event_arriving_after_the_success_changes_nothing(stripe_on, client, run_on_commit):
    customer = business()
    pickup = scheduled_pickup(customer, factories.HaulerFactory(), status=Pickup.Status.COMPLETED)
    payment = payments.charge_pickup(pickup_id=pickup.pk)
    intent = payment.stripe_payment_intent_id

    late = intent_event("evt_late_failure", "payment_intent.payment_failed", intent, "requires_payment_method")
    response = run_on_commit(deliver_event, client, late)

    assert response.status_code == 200
    row = StripeEvent.objects.get(event_id="evt_late_failure")
    assert (row.status, row.outcome) == (StripeEvent.Status.PROCESSED, f"payment {payment.pk} is succeeded")
    payment.refresh_from_db()
    assert (payment.status, payment.attempts, payment.failure_message) == (Payment.Status.SUCCEEDED, 0, "")
    assert run_on_commit(deliver_event, client, late).content == b"already received"
    assert kind_totals(pickup=pickup)["charge"] == 3_000
    assert ledger.unbalanced_pickups() == {}


@pytest.mark.django_db
def test_a_success_event_settles_a_payment_whose_outcome_was_not_recorded(stripe_on, client, run_on_commit):
    """The charge went through but the worker recorded only the PaymentIntent; the event (re-fetched) settles it."""
    customer = business()
    hauler = factories.HaulerFactory()
    pickup = scheduled_pickup(customer, hauler, status=Pickup.Status.COMPLETED)
    payment = charges.bill_pickup(
        pickup=pickup, customer=customer, hauler=hauler, amount_cents=3_000, payable_cents=2_400,
        description="Trash pickup",
    )  # fmt: skip
    account = BillingAccount.objects.get(customer=customer)
    charged = gateway.charge(
        idempotency_key=f"charge:payment:{payment.pk}:0", customer_id=account.stripe_customer_id,
        payment_method_id=account.payment_method_id, amount_cents=3_000, currency="usd", description="",
        metadata={"payment": str(payment.pk)},
    )  # fmt: skip
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=charged.payment_intent_id)
    endpoint = webhooks.create_endpoint(
        owner=customer, url="http://127.0.0.1:9/", events=["payment.succeeded"], by=None
    )

    # The event's snapshot is stale; the handler asks Stripe for the PaymentIntent's current state.
    event = intent_event("evt_stale", "payment_intent.succeeded", charged.payment_intent_id, "processing")
    assert run_on_commit(deliver_event, client, event).status_code == 200

    payment.refresh_from_db()
    assert (payment.status, payment.stripe_payment_intent_id) == (Payment.Status.SUCCEEDED, charged.payment_intent_id)
    assert kind_totals(pickup=pickup)["charge"] == 3_000
    assert ledger.unbalanced_pickups() == {}
    # Settled by the event, not by the charge: the business's webhook still hears of it, once.
    (told,) = endpoint.deliveries.all()
    assert (told.event_type, told.payload["data"]["payment"]["id"]) == ("payment.succeeded", payment.pk)
    assert run_on_commit(deliver_event, client, event).content == b"already received"
    assert endpoint.deliveries.count() == 1
