"""Matching's day count on PostgreSQL: its pending-offer half reads the offer_pending_day index even when the
planner's statistics predate the rows (a bulk load nobody has ANALYZEd), and counts what the pickup join counts."""

import datetime as dt
import importlib
import io
import random

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace import matching
from marketplace.models import Offer, Pickup
from tests import factories

HAULERS, DAYS, PICKUPS_A_DAY, FANOUT = 30, 30, 60, 3


def bulk_book(location, haulers: list, first_day: dt.date) -> None:
    """A month of offered pickups, FANOUT pending offers each, their answer-by times spread as offers go out."""
    rng = random.Random(16)
    pickups = Pickup.objects.bulk_create(
        Pickup(
            customer=location.customer,
            location=location,
            waste_stream="trash",
            container="cart_96gal",
            quantity=1,
            service_date=first_day + dt.timedelta(days=n % DAYS),
            status=Pickup.Status.OFFERED,
            price_cents=3_000,
            payout_cents=2_400,
        )
        for n in range(DAYS * PICKUPS_A_DAY)
    )
    now = timezone.now()
    Offer.objects.bulk_create(
        Offer(
            pickup=pickup,
            hauler=hauler,
            payout_cents=2_400,
            service_date=pickup.service_date,
            answer_by=now + dt.timedelta(minutes=rng.randint(5, 240)),
        )
        for pickup in pickups
        for hauler in rng.sample(haulers, FANOUT)
    )


def offered_branch(sql: str) -> list[dict]:
    """The plan nodes of the day query's pending-offer half (the UNION's branch that reads offers)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]

    def nodes(node, rescanned=False):
        # rescanned: under the inner side of a nested loop, so run again for each row of its outer side
        node["rescanned"] = rescanned
        yield node
        for child in node.get("Plans", []):
            inner = node["Node Type"] == "Nested Loop" and child.get("Parent Relationship") == "Inner"
            yield from nodes(child, rescanned or inner)

    (branch,) = [b for b in plan["Plans"] if any(n.get("Relation Name") == "marketplace_offer" for n in nodes(b))]
    return list(nodes(branch))


def offer_indexes(branch: list[dict]) -> set[str]:
    """The offer indexes a branch reads (a bitmap scan names its index on a child without the relation)."""
    names = {node.get("Index Name") for node in branch} - {None}
    return {name for name in names if name.startswith(("offer_", "marketplace_offer_"))}


def pending_only_indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_offer' AND indexdef LIKE %s",
            ["%WHERE ((status)::text = 'pending'::text)"],
        )
        return {name for (name,) in cursor.fetchall()}


def day_query(ids, day):
    """The day query's SQL, and the jobs it found."""
    with CaptureQueriesContext(connection) as captured:
        jobs = matching.day_jobs(ids, day)
    (query,) = captured.captured_queries
    return query["sql"], sum(len(held) for held in jobs.values())


def analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_offer")
        cursor.execute("ANALYZE marketplace_pickup")


def pending_through_pickups(ids, day) -> int:
    return Offer.objects.filter(hauler_id__in=ids, status=Offer.Status.PENDING, pickup__service_date=day).count()


@pytest.fixture
def month(location):
    """Thirty haulers; ten of them the candidates; the tenth day of the month of offers."""
    haulers = [factories.HaulerFactory(zips=["78701"], stops=0) for _ in range(HAULERS)]
    first_day = timezone.localdate() + dt.timedelta(days=1)
    analyze()  # statistics of empty tables: then the month arrives
    bulk_book(location, haulers, first_day)
    return [hauler.pk for hauler in haulers[:10]], first_day + dt.timedelta(days=9)


@pytest.mark.services
@pytest.mark.django_db
def test_the_pending_offers_of_a_day_are_read_from_their_index(postgres, month):
    ids, day = month
    analyze()
    sql, found = day_query(ids, day)
    assert offer_indexes(offered_branch(sql)) == {"offer_pending_day"}
    assert found == pending_through_pickups(ids, day) > 0


@pytest.mark.services
@pytest.mark.django_db
def test_on_stale_statistics_no_pickup_of_the_day_is_scanned_for_each_offer(postgres, month):
    # What a bulk load nobody had ANALYZEd did to the count through the pickup's date: a nested loop whose
    # inner side scanned every pickup of the date again for each pending offer. Now offers come from an
    # index of pending offers only, never the whole table (which of those the planner takes depends on its
    # statistics; each reads only open offers), and no pickup scan is repeated per row unless by key.
    ids, day = month
    sql, found = day_query(ids, day)
    branch = offered_branch(sql)
    assert not any(node["Node Type"] == "Seq Scan" and node["Relation Name"] == "marketplace_offer" for node in branch)
    indexes = offer_indexes(branch)
    assert indexes and indexes <= pending_only_indexes(), indexes
    pickups = [node for node in branch if node.get("Relation Name") == "marketplace_pickup"]
    assert pickups and not any(node["Node Type"] == "Seq Scan" for node in pickups), pickups
    # pickups scanned again per outer row are looked up by key, never the day's pickups read again
    rescanned = [node for node in pickups if node["rescanned"]]
    assert all(node.get("Index Name") == "marketplace_pickup_pkey" for node in rescanned), rescanned
    assert found == pending_through_pickups(ids, day) > 0


@pytest.mark.services
@pytest.mark.django_db
@pytest.mark.parametrize("statement", ["POSTGRESQL_BACKFILL", "PORTABLE_BACKFILL"])
def test_the_migration_copies_each_pickup_s_date_onto_its_offers(postgres, location, statement):
    migration = importlib.import_module("marketplace.migrations.0011_offer_service_date")
    haulers = [factories.HaulerFactory(zips=["78701"], stops=0) for _ in range(3)]
    first_day = timezone.localdate() + dt.timedelta(days=1)
    bulk_book(location, haulers, first_day)
    with connection.cursor() as cursor:  # as the table was before the column: no date on any offer
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the rows' deferred key checks, before the ALTER
        cursor.execute("ALTER TABLE marketplace_offer ALTER COLUMN service_date DROP NOT NULL")
        cursor.execute("UPDATE marketplace_offer SET service_date = NULL")
        cursor.execute(getattr(migration, statement))
    wrong = Offer.objects.exclude(service_date=F("pickup__service_date")).count()
    assert (wrong, Offer.objects.filter(service_date__isnull=True).count()) == (0, 0)
    assert Offer.objects.count() == DAYS * PICKUPS_A_DAY * FANOUT


@pytest.mark.services
@pytest.mark.django_db
def test_seeding_leaves_statistics_that_describe_its_rows(postgres, location, monkeypatch):
    from django.core.management import call_command

    from marketplace.management.commands import seed_city

    haulers = [factories.HaulerFactory(zips=["78701"], stops=0) for _ in range(3)]
    analyze()  # statistics of an empty month
    # The command's own bulk load stands in for the city's: what matters is the ANALYZE after it.
    monkeypatch.setattr(seed_city, "seed_city", lambda: bulk_book(location, haulers, timezone.localdate()) or {})
    call_command("seed_city", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'marketplace_offer'")
        assert cursor.fetchone()[0] == Offer.objects.count() == DAYS * PICKUPS_A_DAY * FANOUT
