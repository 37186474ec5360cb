"""The API's pickup, written out (PickupSerializer.to_representation) for speed, is exactly what DRF's walk over
its declared fields gives: for every kind of pickup a business sees (waiting for a hauler, taken, done and paid,
refunded, failed, a plan's invoiced visit), in a list and in the detail with its history."""

import datetime as dt

import pytest
from rest_framework import serializers

from billing.models import Refund
from core.transitions import history, transition
from marketplace import selectors
from marketplace.api.business import serializers as s
from marketplace.api.business.billing_serializers import PickupPaymentSerializer, payment_status
from marketplace.models import Pickup
from tests import factories
from tests.billing import support


def drf_walk(serializer: serializers.Serializer, pickup) -> dict:
    """What DRF's Serializer.to_representation gives for the declared fields, the payment block included."""
    walked = serializers.Serializer.to_representation(serializer, pickup)
    walked["payment"] = PickupPaymentSerializer().to_representation(payment_status(pickup))
    return walked


@pytest.fixture
def pickups(customer, location, in_area_hauler):
    waiting = factories.PickupFactory(
        customer=customer, location=location, hauler=None, status=Pickup.Status.REQUESTED, window_start=dt.time(11)
    )
    taken = factories.PickupFactory(
        customer=customer, location=location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED
    )
    paid = support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
    Refund.objects.create(
        payment=paid, pickup_id=paid.pickup_id, amount_cents=700, reason="Late", stripe_refund_id="re_late"
    )
    support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=5))
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40 + n) for n in range(2)]
    support.invoice_for(customer, visits)
    return [waiting.pk, taken.pk, paid.pickup_id, *[visit.pk for visit in visits]]


@pytest.mark.django_db
def test_a_page_of_pickups_is_what_drf_would_give(customer, pickups):
    serializer = s.PickupSerializer()
    rows = list(selectors.with_payment_status(selectors.pickups_of(customer=customer)))
    assert len(rows) == 6

    for pickup in rows:
        assert serializer.to_representation(pickup) == drf_walk(serializer, pickup)
        assert list(serializer.to_representation(pickup)) == list(serializer.fields)  # the same order of keys


@pytest.mark.django_db
def test_a_pickup_in_detail_with_its_history_is_what_drf_would_give(customer, pickups):
    serializer = s.PickupDetailSerializer()
    for pickup_id in pickups:
        pickup = selectors.pickup_with_payment(customer=customer, pickup_id=pickup_id)
        pickup.timeline = selectors.pickup_timeline(pickup=pickup)

        assert serializer.to_representation(pickup) == drf_walk(serializer, pickup)
        assert list(serializer.to_representation(pickup)) == list(serializer.fields)


@pytest.mark.django_db
def test_times_come_in_the_same_form_as_every_other_answer(customer, pickups):
    pickup = selectors.pickup_with_payment(customer=customer, pickup_id=pickups[2])  # paid, with a refund
    shown = s.PickupSerializer().to_representation(pickup)

    assert shown["created_at"] == serializers.DateTimeField().to_representation(pickup.created_at)
    assert shown["payment"]["paid_at"] == serializers.DateTimeField().to_representation(pickup.payment.paid_at)
    assert shown["payment"]["refunded_cents"] == 700
    assert shown["window_start"] == "07:00:00"


@pytest.mark.django_db
def test_the_timeline_is_the_pickups_history_with_who_made_each_change(customer, pickups, django_assert_num_queries):
    pickup = Pickup.objects.get(pk=pickups[1])  # taken: requested, offered, scheduled
    transition(pickup, Pickup.Status.COMPLETED, by=factories.UserFactory(), reason="Done")

    with django_assert_num_queries(1):
        timeline = selectors.pickup_timeline(pickup=pickup)
        whom = [change.by for change in timeline]

    assert timeline == list(history(pickup))
    assert whom == [change.by for change in history(pickup)]
    assert whom[-1] is not None
