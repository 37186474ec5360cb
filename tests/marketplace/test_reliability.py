"""The reliability score: its formula, what each part counts from the rows, and that events keep it current."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.transitions import transition
from marketplace import reliability, scheduling
from marketplace.models import Case, Offer, Pickup, Rating, ServiceProof
from marketplace.reliability import Counts
from tests import factories


def test_a_new_hauler_starts_at_the_prior():
    assert reliability.score(Counts()) == Decimal("0.900")


def test_doing_the_job_on_time_weighs_most():
    perfect = reliability.score(Counts(on_time=20, kept=20, ratings=20, stars_total=100))
    late = reliability.score(Counts(outside_window=20, kept=20, ratings=20, stars_total=100))
    picky = reliability.score(Counts(on_time=20, kept=20, declined=20, ratings=20, stars_total=100))
    quitter = reliability.score(Counts(on_time=10, kept=10, given_back=10, ratings=10, stars_total=50))
    # worked by hand: on time (20 + 4.5) / 25 = 0.98; the same for keeping, answering, and 20 five-star ratings
    assert perfect == Decimal("0.980")
    assert perfect > picky > quitter > late  # giving back half its jobs is worse than declining half its offers


def test_an_overturned_claim_costs_two_misses_and_a_late_give_back_two_give_backs():
    base = Counts(on_time=10, kept=10)
    assert reliability.score(Counts(on_time=10, kept=10, overturned=1)) == reliability.score(
        Counts(on_time=10, kept=10, missed=2)
    )
    assert reliability.score(Counts(on_time=10, kept=10, given_back=1, late=1)) < reliability.score(
        Counts(on_time=10, kept=10, given_back=1)
    )
    assert reliability.score(Counts(on_time=10, kept=10, missed=1)) < reliability.score(base)


def test_ratings_count_from_one_star_zero_to_five_stars_one():
    parts = {p.name: p for p in reliability.parts(Counts(ratings=2, stars_total=4))}  # two 2-star ratings
    assert parts["ratings"].good == Decimal("0.5")  # (1/4 + 1/4)
    assert parts["ratings"].rate == (Decimal("0.5") + Decimal("4.5")) / 7


def test_the_score_is_always_between_zero_and_one():
    assert reliability.score(Counts(missed=500, declined=500, expired=500, ratings=500, stars_total=500)) >= 0
    assert reliability.score(Counts(on_time=500, kept=500, ratings=500, stars_total=2500)) <= 1


def _pickup(location, hauler, *, status, days_ago=5, **fields):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return factories.PickupFactory(
        location=location, hauler=hauler, status=status, service_date=day, window_start=dt.time(7),
        window_end=dt.time(11), **fields,
    )  # fmt: skip


def _done(pickup, local_time: dt.time):
    at = scheduling.at_local(pickup.service_date, local_time, pickup.location.timezone)
    ServiceProof.objects.create(pickup=pickup, photo="proof/p.jpg", serviced_at=at)
    Pickup.objects.filter(pk=pickup.pk).update(completed_at=at)


@pytest.mark.django_db
def test_each_part_counts_its_rows(location, in_area_hauler):
    hauler = in_area_hauler
    _done(_pickup(location, hauler, status="completed"), dt.time(9, 30))  # inside 7-11 local
    _done(_pickup(location, hauler, status="completed"), dt.time(12, 15))  # after the window closed
    _done(_pickup(location, hauler, status="completed", days_ago=120), dt.time(9))  # before the 90 days
    _pickup(location, hauler, status="missed")
    _pickup(location, hauler, status="missed", exception_reason="blocked")  # the customer's side: not counted
    claimed = _pickup(location, hauler, status="missed", exception_reason="not_out")
    Case.objects.create(
        customer=location.customer, pickup=claimed, hauler=hauler, problem="missed", claim_overturned=True,
        respond_by=timezone.now(),
    )  # fmt: skip
    rated = _pickup(location, hauler, status="completed")
    Rating.objects.create(pickup=rated, customer=location.customer, hauler=hauler, stars=4)

    counts = reliability.counts_for(hauler_id=hauler.pk)

    assert (counts.on_time, counts.outside_window, counts.missed, counts.overturned) == (1, 1, 1, 1)
    assert (counts.ratings, counts.stars_total) == (1, 4)


@pytest.mark.django_db
def test_a_give_back_inside_a_day_of_the_window_is_a_late_cancellation(location, in_area_hauler):
    def released(days_ahead):
        pickup = _pickup(location, None, status="requested", days_ago=-days_ahead)
        offer = Offer.objects.create(
            pickup=pickup, hauler=in_area_hauler, status="accepted", payout_cents=50, answer_by=timezone.now()
        )
        transition(offer, Offer.Status.RELEASED, reason="Given back")

    released(days_ahead=5)
    released(days_ahead=0)  # today: its window opens within hours, or has
    Offer.objects.create(
        pickup=_pickup(location, in_area_hauler, status="scheduled", days_ago=-3), hauler=in_area_hauler,
        status="accepted", payout_cents=50, answer_by=timezone.now(),
    )  # fmt: skip

    counts = reliability.counts_for(hauler_id=in_area_hauler.pk)

    assert (counts.kept, counts.given_back, counts.late) == (1, 2, 1)


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
    assert reliability.update_reliability(hauler_id=in_area_hauler.pk) < Decimal("0.900")
    with time_machine.travel(timezone.now() + dt.timedelta(days=85)):
        assert reliability.update_reliability(hauler_id=in_area_hauler.pk) == Decimal("0.900")


@pytest.mark.django_db
def test_the_report_gives_the_parts_the_page_shows(in_area_hauler):
    report = reliability.report_for(hauler=in_area_hauler)
    assert report.score == Decimal("0.900")
    assert list(report.parts) == ["on_time", "follow_through", "answering", "ratings"]
    assert sum(part.weight for part in report.parts.values()) == 1
    assert report.paused_until is None


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


@pytest.mark.django_db
def test_the_nightly_sweep_refreshes_every_active_hauler(in_area_hauler):
    from marketplace import tasks

    type(in_area_hauler).objects.filter(pk=in_area_hauler.pk).update(reliability_score=Decimal("0.100"))
    assert tasks.refresh_reliability() == 1
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.reliability_score == Decimal("0.900")
