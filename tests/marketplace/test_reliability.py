"""The reliability score: its formula, and that events keep it current."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from marketplace import reliability
from marketplace.models import Offer, Pickup
from tests import factories


def test_a_new_hauler_starts_at_the_prior():
    assert reliability.score(accepted=0, declined=0, expired=0, released=0, completed=0, missed=0) == Decimal("0.900")


def test_doing_the_job_weighs_most():
    perfect = reliability.score(accepted=20, declined=0, expired=0, released=0, completed=20, missed=0)
    picky = reliability.score(accepted=20, declined=20, expired=0, released=0, completed=20, missed=0)
    flaky = reliability.score(accepted=20, declined=0, expired=0, released=0, completed=10, missed=10)
    quitter = reliability.score(accepted=10, declined=0, expired=0, released=10, completed=10, missed=0)
    assert perfect > picky > flaky
    assert perfect > quitter
    assert Decimal("0") <= flaky <= Decimal("1")
    # worked by hand: acceptance (20+4.5)/(20+5)=0.98, on-time 0.98, follow-through 0.98 -> 0.98
    assert perfect == Decimal("0.980")


def test_the_score_is_always_between_zero_and_one():
    assert reliability.score(accepted=0, declined=500, expired=500, released=0, completed=0, missed=500) >= 0
    assert reliability.score(accepted=500, declined=0, expired=0, released=0, completed=500, missed=0) <= 1


@pytest.mark.django_db
def test_only_the_last_ninety_days_count(location, in_area_hauler):
    def offer(status, days_ago):
        pickup = Pickup.objects.create(
            customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd",
            quantity=1, service_date=timezone.localdate(), price_cents=100, payout_cents=50,
        )  # fmt: skip
        created = Offer.objects.create(
            pickup=pickup, hauler=in_area_hauler, status=status, payout_cents=50, answer_by=timezone.now()
        )
        Offer.objects.filter(pk=created.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))

    for _ in range(5):
        offer("declined", days_ago=120)
    assert reliability.update_reliability(hauler_id=in_area_hauler.pk) == Decimal("0.900")
    for _ in range(5):
        offer("declined", days_ago=10)
    in_area_hauler.refresh_from_db()
    assert reliability.update_reliability(hauler_id=in_area_hauler.pk) < Decimal("0.900")
    with time_machine.travel(timezone.now() + dt.timedelta(days=85)):
        assert reliability.update_reliability(hauler_id=in_area_hauler.pk) == Decimal("0.900")


@pytest.mark.django_db
def test_a_decline_lowers_the_stored_score_through_the_task(
    location, in_area_hauler, django_capture_on_commit_callbacks
):
    from marketplace import dispatch, services

    second = factories.HaulerFactory(zips=["78701"])
    factories.RateFactory(hauler=second, price_cents=9_000)
    quote = services.create_quote(
        customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        pickup = services.book_quote(quote=quote, customer=location.customer)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.decline_offer(offer_id=pickup.offers.get().pk, hauler=in_area_hauler)
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.reliability_score < Decimal("0.900")
