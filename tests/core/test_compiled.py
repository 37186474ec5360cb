"""Querysets compiled once per shape: the SQL the ORM would send, the rows it would give, no build per call."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.compiled import CompiledQuery
from marketplace.models import Pickup, Quote
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def pickups(*, customer_id, since, statuses, hauler_id):
    return (
        Pickup.objects.filter(
            customer_id=customer_id, service_date__gte=since, status__in=statuses, hauler_id=hauler_id
        )
        .order_by("service_date", "pk")
        .values_list("pk", "service_date", "status", "location__zip_code")
    )


@pytest.fixture
def book():
    """Two businesses' pickups over a week, some with a hauler, some still unassigned."""
    hauler = factories.HaulerFactory()
    mine, theirs = factories.LocationFactory(), factories.LocationFactory()
    for n in range(8):
        factories.PickupFactory(
            location=mine if n % 3 else theirs,
            hauler=hauler if n % 2 else None,
            status=Pickup.Status.SCHEDULED if n % 2 else Pickup.Status.REQUESTED,
            service_date=TODAY + dt.timedelta(days=n),
        )
    return mine.customer_id, hauler.pk


def sql_and_rows(run):
    with CaptureQueriesContext(connection) as captured:
        rows = run()
    return [query["sql"] for query in captured.captured_queries], rows


CASES = [
    {"since": TODAY, "statuses": ["scheduled"], "hauler": True, "found": 3},
    {"since": TODAY + dt.timedelta(days=3), "statuses": ["scheduled", "requested"], "hauler": True, "found": 2},
    {"since": TODAY, "statuses": ["requested", "scheduled"], "hauler": False, "found": 2},  # hauler_id IS NULL
    {"since": TODAY, "statuses": ["requested"], "hauler": True, "found": 0},
    {"since": TODAY + dt.timedelta(days=30), "statuses": ["scheduled"], "hauler": True, "found": 0},
]


@pytest.mark.parametrize("case", CASES)
def test_it_sends_the_orm_s_statement_and_gives_its_rows(book, case):
    customer_id, hauler_id = book
    values = {
        "customer_id": customer_id,
        "since": case["since"],
        "statuses": case["statuses"],
        "hauler_id": hauler_id if case["hauler"] else None,
    }
    compiled = CompiledQuery(pickups)
    orm_sql, orm_rows = sql_and_rows(lambda: list(pickups(**values)))
    for _ in range(2):  # compiling, then from the cache
        assert sql_and_rows(lambda: compiled.rows(**values)) == (orm_sql, orm_rows)
    assert (len(orm_sql), len(orm_rows)) == (1, case["found"])


def test_it_builds_once_per_shape(book):
    customer_id, hauler_id = book
    builds = []

    def counted(**values):
        builds.append(values)
        return pickups(**values)

    compiled = CompiledQuery(counted)
    for days in range(5):  # new values, the same shape: no new build
        compiled.rows(customer_id=customer_id, since=TODAY + dt.timedelta(days=days), statuses=["a"], hauler_id=9)
    assert len(builds) == 1
    compiled.rows(customer_id=customer_id, since=TODAY, statuses=["a", "b"], hauler_id=9)  # a longer IN list
    compiled.rows(customer_id=customer_id, since=TODAY, statuses=["a"], hauler_id=None)  # IS NULL, not = %s
    assert len(builds) == 3
    compiled.rows(customer_id=hauler_id, since=TODAY, statuses=["b"], hauler_id=None)
    assert len(builds) == 3


def test_an_empty_in_list_asks_the_database_nothing(book, django_assert_num_queries):
    customer_id, _ = book
    with django_assert_num_queries(0):  # as the ORM: it knows nothing matches
        assert CompiledQuery(pickups).rows(customer_id=customer_id, since=TODAY, statuses=[], hauler_id=None) == []


def test_a_value_written_into_the_sql_instead_of_a_parameter_is_refused(book):
    # Compiled once, the value would be frozen into the statement and every later call given the first one's rows.
    def inlined(*, zip_code):
        return Pickup.objects.filter(pk__in=RawSQL(f"SELECT id FROM marketplace_pickup WHERE '{zip_code}' = ''", []))

    with pytest.raises(ValueError, match="not bound as SQL parameters"):
        CompiledQuery(inlined).rows(zip_code="78701")


@pytest.mark.parametrize("value", [1.5, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), b"x", [True]])
def test_only_ints_strs_and_dates_are_bound(book, value):
    with pytest.raises(TypeError, match="binds ints, strs and dates"):
        CompiledQuery(pickups).rows(customer_id=value, since=TODAY, statuses=["a"], hauler_id=None)


def test_rows_are_converted_as_values_list_converts_them():
    location = factories.LocationFactory()
    quote = Quote.objects.create(
        customer=location.customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=TODAY,
        price_cents=10_200,
        payout_cents=8_500,
        currency="usd",
        ranking=[{"hauler": 7, "payout_cents": 8_500}],
        expires_at=timezone.now(),
    )

    def ranking(*, quote_id):
        return Quote.objects.filter(pk=quote_id).values_list("ranking", "created_at")

    (row,) = CompiledQuery(ranking).rows(quote_id=quote.pk)
    assert row == tuple(ranking(quote_id=quote.pk).get())
    assert row[0] == [{"hauler": 7, "payout_cents": 8_500}]  # JSON decoded, not its text
