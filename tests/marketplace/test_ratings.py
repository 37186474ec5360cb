"""marketplace.ratings: who may rate which visit and when, what a second rating does, the errors, the summary."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from core.errors import Conflict, Forbidden
from marketplace import ratings
from marketplace.models import Pickup, Rating
from tests import factories
from tests.marketplace.rating_cast import completed_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(customer, in_area_hauler):
    return completed_visit(customer=customer, hauler=in_area_hauler)


@pytest.fixture
def enqueued(monkeypatch):
    """The tasks the ratings service asks for, by name and arguments (the score itself is the reliability tests')."""
    sent = []
    monkeypatch.setattr(ratings, "enqueue", lambda name, *args: sent.append((name, *args)))
    return sent


def test_a_completed_visit_is_rated_and_the_hauler_score_is_recomputed(visit, customer_owner, enqueued):
    rating = ratings.rate_pickup(
        pickup=visit, stars=4, tags=["great", "on_time"], comment="  Quick and tidy.  ", by=customer_owner
    )

    rating.refresh_from_db()
    assert (rating.stars, rating.tags, rating.comment) == (4, ["on_time", "great"], "Quick and tidy.")
    assert (rating.customer_id, rating.hauler_id, rating.rated_by) == (
        visit.customer_id,
        visit.hauler_id,
        customer_owner,
    )
    assert enqueued == [("marketplace.update_reliability", visit.hauler_id)]


def test_a_second_rating_updates_the_first(visit, customer_owner):
    first = ratings.rate_pickup(pickup=visit, stars=2, tags=["late"], comment="Came at noon.", by=customer_owner)
    second = ratings.rate_pickup(pickup=visit, stars=5, tags=[], comment="", by=customer_owner)

    assert second.pk == first.pk
    assert Rating.objects.count() == 1
    assert Rating.objects.values_list("stars", "tags", "comment").get() == (5, [], "")


def test_the_same_rating_again_writes_nothing_and_asks_for_no_recompute(visit, customer_owner, enqueued):
    ratings.rate_pickup(pickup=visit, stars=3, tags=["late"], comment="", by=customer_owner)
    saved_at = Rating.objects.get().updated_at

    ratings.rate_pickup(pickup=visit, stars=3, tags=["late", "late"], comment="", by=customer_owner)

    assert Rating.objects.get().updated_at == saved_at
    assert len(enqueued) == 1  # the first rating's, none for the repeat


@pytest.mark.parametrize(
    "status", [Pickup.Status.SCHEDULED, Pickup.Status.MISSED, Pickup.Status.CANCELLED, Pickup.Status.SKIPPED]
)
def test_only_a_completed_visit_can_be_rated(visit, customer_owner, status):
    Pickup.objects.filter(pk=visit.pk).update(status=status)
    visit.refresh_from_db()

    with pytest.raises(Conflict, match="Only a completed visit can be rated"):
        ratings.rate_pickup(pickup=visit, stars=5, tags=[], comment="", by=customer_owner)
    assert not Rating.objects.exists()


def test_the_window_closes_fourteen_days_after_completion(visit, customer_owner):
    closes = visit.completed_at + dt.timedelta(days=14)
    with time_machine.travel(closes - dt.timedelta(seconds=1), tick=False):
        ratings.rate_pickup(pickup=visit, stars=3, tags=[], comment="", by=customer_owner)
    with time_machine.travel(closes, tick=False), pytest.raises(Conflict, match="rated for 14 days"):
        ratings.rate_pickup(pickup=visit, stars=1, tags=[], comment="", by=customer_owner)
    assert Rating.objects.get().stars == 3  # the closed window kept the last rating, not half of a new one


def test_the_window_is_a_setting(visit, customer_owner, settings):
    settings.RATING_WINDOW_DAYS = 1
    assert ratings.rate_until(visit) == visit.completed_at + dt.timedelta(days=1)
    with time_machine.travel(visit.completed_at + dt.timedelta(days=1, minutes=1), tick=False):
        assert "rated for 1 days" in ratings.refusal(visit)


def test_the_state_is_read_under_the_lock_not_from_the_callers_copy(visit, customer_owner):
    stale = Pickup.objects.get(pk=visit.pk)
    Pickup.objects.filter(pk=visit.pk).update(status=Pickup.Status.REQUESTED)  # e.g. staff re-opened it

    with pytest.raises(Conflict):
        ratings.rate_pickup(pickup=stale, stars=5, tags=[], comment="", by=customer_owner)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"stars": 0}, {"stars"}),
        ({"stars": 6}, {"stars"}),
        ({"stars": "5"}, {"stars"}),
        ({"stars": True}, {"stars"}),
        ({"stars": None}, {"stars"}),
        ({"stars": 4.5}, {"stars"}),
        ({"tags": ["fast"]}, {"tags"}),
        ({"tags": "on_time"}, {"tags"}),
        ({"tags": [1]}, {"tags"}),
        ({"tags": ["on_time", "late"]}, {"tags"}),
        ({"comment": "x" * 501}, {"comment"}),
        ({"comment": "nul\x00here"}, {"comment"}),
        ({"comment": 12}, {"comment"}),
        ({"stars": 9, "tags": ["nope"], "comment": "x" * 600}, {"stars", "tags", "comment"}),
    ],
)
def test_bad_fields_are_named_and_nothing_is_saved(visit, customer_owner, fields, errors):
    values = {"stars": 4, "tags": [], "comment": "", **fields}
    with pytest.raises(ValidationError) as raised:
        ratings.rate_pickup(pickup=visit, by=customer_owner, **values)
    assert set(raised.value.message_dict) == errors
    assert not Rating.objects.exists()


def test_a_comment_of_exactly_the_limit_is_kept(visit, customer_owner):
    rating = ratings.rate_pickup(pickup=visit, stars=4, tags=None, comment="y" * 500, by=customer_owner)
    assert len(rating.comment) == 500 and rating.tags == []


def test_someone_outside_the_business_may_not_rate_its_visit(visit):
    outsider = factories.CustomerMembershipFactory().user
    with pytest.raises(Forbidden):
        ratings.rate_pickup(pickup=visit, stars=1, tags=[], comment="", by=outsider)
    assert not Rating.objects.exists()


def test_the_summary_counts_the_last_ninety_days(customer, customer_owner, in_area_hauler):
    rated = [
        (5, ["on_time", "great"]),
        (4, ["on_time"]),
        (2, ["late", "mess_left"]),
        (4, ["on_time", "bin_not_returned"]),
    ]
    for stars, tags in rated:
        visit = completed_visit(customer=customer, hauler=in_area_hauler)
        ratings.rate_pickup(pickup=visit, stars=stars, tags=tags, comment="", by=customer_owner)
    old = completed_visit(customer=customer, hauler=in_area_hauler, days_ago=100)
    Rating.objects.create(
        pickup=old, customer=customer, hauler=in_area_hauler, stars=1, tags=["late"], comment="long ago"
    )
    Rating.objects.filter(pickup=old).update(updated_at=timezone.now() - dt.timedelta(days=95))
    other = factories.HaulerFactory()
    ratings.rate_pickup(
        pickup=completed_visit(customer=customer, hauler=other), stars=1, tags=["late"], comment="", by=customer_owner
    )

    summary = ratings.summary_for_hauler(hauler=in_area_hauler)

    assert (summary.count, summary.average, summary.stars_shown) == (4, Decimal("3.8"), 4)
    assert summary.tags == [
        ("on_time", "On time", 3),
        ("late", "Late", 1),
        ("mess_left", "Mess left behind", 1),
        ("bin_not_returned", "Bin not put back", 1),
        ("great", "Great service", 1),
    ]
    assert ratings.ratings_for_hauler(hauler=in_area_hauler).count() == 5  # the list keeps the old one


def test_a_hauler_with_no_ratings_has_no_average(in_area_hauler):
    summary = ratings.summary_for_hauler(hauler=in_area_hauler)
    assert (summary.count, summary.average, summary.tags, summary.stars_shown) == (0, None, [], 0)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_leave_one_row(customer, customer_owner, in_area_hauler):
    visit = completed_visit(customer=customer, hauler=in_area_hauler)
    barrier = threading.Barrier(2)
    failures = []

    def rate(stars):
        try:
            barrier.wait()
            ratings.rate_pickup(pickup=visit, stars=stars, tags=[], comment="", by=customer_owner)
        except Exception as error:  # the test reports any failure of either thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=rate, args=(stars,)) for stars in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert Rating.objects.filter(pickup=visit).count() == 1
    assert Rating.objects.get().stars in (2, 5)


def test_saving_a_rating_runs_the_reliability_task_for_its_hauler(visit, customer_owner, run_on_commit):
    """The task by its registered name, for real (eagerly): the name the service sends is one a worker knows."""
    type(visit.hauler).objects.filter(pk=visit.hauler_id).update(reliability_score=0)

    run_on_commit(ratings.rate_pickup, pickup=visit, stars=4, tags=[], comment="", by=customer_owner)

    visit.hauler.refresh_from_db()
    assert visit.hauler.reliability_score > 0  # recomputed from its record, which has a completed visit
