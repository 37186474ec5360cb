"""Refunds made at Stripe itself (its Dashboard) reach the books through charge.refunded, once each.

localstripe never sends charge.* events: the refund is made at the stand-in and the event is signed here.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from billing import charges, ledger, reconcile, refunds
from billing.models import LedgerEntry, Payment, Refund, StripeEvent
from tests.billing.support import completed_pickup, invoice_for
from tests.services.billing_support import (
    complete,
    deliver_event,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
    stand_in_post,
)

pytestmark = pytest.mark.services

OUTSIDE = refunds.OUTSIDE_REFUND_REASON


def charge_of(payment: Payment) -> dict:
    return remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["latest_charge"]


def refund_at_stripe(payment: Payment, amount_cents: int) -> str:
    """A refund made in Stripe's Dashboard: against the charge, with no metadata of ours."""
    return stand_in_post("/v1/refunds", {"charge": charge_of(payment)["id"], "amount": amount_cents})["id"]


def charge_refunded(event_id: str, payment: Payment, *, amount_refunded: int = 0) -> dict:
    """Stripe's charge.refunded event; its snapshot (amount_refunded) may be stale and is never trusted."""
    charge = charge_of(payment)
    return {
        "id": event_id,
        "object": "event",
        "type": "charge.refunded",
        "data": {
            "object": {
                "id": charge["id"],
                "object": "charge",
                "payment_intent": payment.stripe_payment_intent_id,
                "amount_refunded": amount_refunded,
                "refunded": False,
            }
        },
    }


@pytest.fixture
def paid(stripe_on, customer, in_area_hauler, run_on_commit) -> Payment:
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    return Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)


@pytest.mark.django_db
def test_a_dashboard_refund_is_booked_once_from_the_event(paid, client, run_on_commit):
    stripe_id = refund_at_stripe(paid, 2_500)

    assert reconcile.differences() == [
        f"Payment {paid.pk} ({paid.description}): Stripe refunded 2500 cents, we recorded 0."
    ]
    response = run_on_commit(deliver_event, client, charge_refunded("evt_dash_1", paid))

    assert response.status_code == 200
    event = StripeEvent.objects.get(event_id="evt_dash_1")
    assert (event.status, event.outcome) == (
        StripeEvent.Status.PROCESSED,
        f"payment {paid.pk}: booked 2500 cents refunded outside HaulMatch (1 refund rows)",
    )
    [row] = Refund.objects.filter(payment=paid)
    assert (row.pickup_id, row.amount_cents, row.stripe_refund_id, row.reason, row.created_by) == (
        paid.pickup_id,
        2_500,
        stripe_id,
        OUTSIDE,
        None,
    )
    assert {e.kind: e.amount_cents for e in LedgerEntry.objects.filter(refund=row)} == {
        "refund": 2_500,
        "platform_fee": -2_500,
    }
    totals = kind_totals(pickup=paid.pickup)
    assert (totals["charge"], totals["refund"], totals["hauler_payable"], totals["platform_fee"]) == (
        10_200,
        2_500,
        8_500,
        1_700 - 2_500,
    )
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []
    assert refunds.refundable_cents(payment=paid, pickup_id=paid.pickup_id) == 7_700

    # The same event again, and the same news under new event ids (Stripe's retries, charge.refund.updated).
    for _ in range(3):
        assert run_on_commit(deliver_event, client, charge_refunded("evt_dash_1", paid)).content == b"already received"
    for n in range(3):
        run_on_commit(deliver_event, client, charge_refunded(f"evt_dash_again_{n}", paid, amount_refunded=2_500))
    updated = {
        "id": "evt_dash_updated",
        "type": "charge.refund.updated",
        "data": {"object": {"id": stripe_id, "object": "refund", "payment_intent": paid.stripe_payment_intent_id}},
    }
    run_on_commit(deliver_event, client, updated)

    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.PROCESSED}
    assert StripeEvent.objects.get(event_id="evt_dash_updated").outcome == f"payment {paid.pk}: no refund to book"
    assert Refund.objects.filter(payment=paid).count() == 1
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert reconcile.differences() == []


@pytest.mark.django_db
def test_our_own_refunds_are_not_booked_again_and_a_later_dashboard_refund_is(paid, client, run_on_commit, staff_user):
    ours = refunds.refund_payment(payment=paid, amount_cents=1_000, reason="Late arrival", by=staff_user)
    run_on_commit(deliver_event, client, charge_refunded("evt_ours", paid))

    assert StripeEvent.objects.get(event_id="evt_ours").outcome == f"payment {paid.pk}: no refund to book"
    assert list(Refund.objects.filter(payment=paid)) == [ours]

    first = refund_at_stripe(paid, 700)
    second = refund_at_stripe(paid, 8_500)  # the rest, before the first one's event is handled
    run_on_commit(deliver_event, client, charge_refunded("evt_two", paid))

    rows = Refund.objects.filter(payment=paid, created_by=None)
    assert {(r.stripe_refund_id, r.amount_cents, r.reason) for r in rows} == {
        (first, 700, OUTSIDE),
        (second, 8_500, OUTSIDE),
    }
    assert refunds.refundable_cents(payment=paid, pickup_id=paid.pickup_id) == 0
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


@pytest.mark.django_db
def test_an_invoice_refunded_at_stripe_is_spread_over_its_visits(stripe_on, customer, in_area_hauler, staff_user):
    save_card(customer)
    location = customer.locations.get()
    visits = [
        completed_pickup(location=location, hauler=in_area_hauler, price_cents=price, payout_cents=payout)
        for price, payout in ((6_000, 4_800), (6_000, 4_800), (9_000, 7_000))
    ]
    invoice = invoice_for(customer, visits)
    payment = charges.attempt_payment(payment_id=invoice.payment.pk)
    assert (payment.status, payment.charged_cents) == (Payment.Status.SUCCEEDED, 21_000)
    refunds.refund_payment(
        payment=payment, pickup_id=visits[0].pk, amount_cents=1_000, reason="Lid left open", by=staff_user
    )
    stripe_id = refund_at_stripe(payment, 3_001)  # refundable 5000 / 6000 / 9000: shares 750.25 / 900.3 / 1350.45

    made = refunds.record_outside_refunds(payment_intent_id=payment.stripe_payment_intent_id)

    assert [(r.pickup_id, r.amount_cents, r.stripe_refund_id) for r in made] == [
        (visits[0].pk, 750, stripe_id),
        (visits[1].pk, 900, stripe_id),
        (visits[2].pk, 1_351, stripe_id),  # the cent rounding left goes to the largest remainder
    ]
    assert {v.pk: refunds.refundable_cents(payment=payment, pickup_id=v.pk) for v in visits} == {
        visits[0].pk: 4_250,
        visits[1].pk: 5_100,
        visits[2].pk: 7_649,
    }
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []
    assert refunds.record_outside_refunds(payment_intent_id=payment.stripe_payment_intent_id) == []

    rest = refund_at_stripe(payment, 4_250 + 5_100 + 7_649)  # the Dashboard's "refund all" of what is left
    made = refunds.record_outside_refunds(payment_intent_id=payment.stripe_payment_intent_id)
    assert [(r.pickup_id, r.amount_cents, r.stripe_refund_id) for r in made] == [
        (visits[0].pk, 4_250, rest),
        (visits[1].pk, 5_100, rest),
        (visits[2].pk, 7_649, rest),
    ]
    assert remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")["latest_charge"]["refunded"] is True
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


@pytest.mark.django_db(transaction=True)
def test_two_events_handled_at_once_book_a_refund_once(postgres, stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    payment = Payment.objects.get(pickup=pickup)
    refund_at_stripe(payment, 3_000)
    barrier = threading.Barrier(4)
    outcomes = []

    def handle():
        try:
            barrier.wait()
            outcomes.append(len(refunds.record_outside_refunds(payment_intent_id=payment.stripe_payment_intent_id)))
        except Exception as error:  # recorded, so the assertion shows it
            outcomes.append(repr(error))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=handle) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=str) == [0, 0, 0, 1]
    assert Refund.objects.get(payment=payment).amount_cents == 3_000
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []
