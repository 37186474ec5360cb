"""Querysets compiled once per shape: the SQL the ORM would send, the rows it would give, no build per call."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.compiled import CompiledQuery
from core.models import StatusChange
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


def test_a_choices_member_binds_as_its_value_in_the_same_statement(book):
    customer_id, hauler_id = book
    compiled = CompiledQuery(pickups)
    plain = compiled.rows(customer_id=customer_id, since=TODAY, statuses=["scheduled"], hauler_id=hauler_id)
    members = compiled.rows(
        customer_id=customer_id, since=TODAY, statuses=[Pickup.Status.SCHEDULED], hauler_id=hauler_id
    )
    assert members == plain and len(plain) == 3
    one = CompiledQuery(lambda *, status: Pickup.objects.filter(status=status).values_list("pk"))
    assert one.rows(status=Pickup.Status.REQUESTED) == one.rows(status="requested") != []
    assert one._compiled.cache_info().currsize == 1  # one statement for both


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


def fields_of(instance, seen=()) -> dict:
    """An instance's column values and, recursively, the related instances select_related() attached to it."""
    if instance is None or id(instance) in seen:  # a one-to-one caches its way back too
        return None
    found = {name: value for name, value in vars(instance).items() if not name.startswith("_")}
    cached = instance._state.fields_cache
    return found | {name: fields_of(related, (*seen, id(instance))) for name, related in cached.items()}


def tokens(*, key):
    return Token.objects.select_related(
        "user__customer_membership__customer", "user__hauler_membership__hauler"
    ).filter(key=key)[:1]


def test_objects_are_the_orm_s_with_what_select_related_joins(book):
    business = factories.CustomerMembershipFactory().user
    hauler = factories.HaulerMembershipFactory().user
    compiled = CompiledQuery(tokens)
    for user in (business, hauler):
        key = Token.objects.create(user=user).key
        (found,) = compiled.objects(key=key)
        (expected,) = tokens(key=key)
        assert fields_of(found) == fields_of(expected)
        assert found.user.pk == user.pk and not found._state.adding and found._state.db == "default"
    assert fields_of(found)["user"]["hauler_membership"]["hauler"]["name"] == hauler.hauler_membership.hauler.name
    assert fields_of(found)["user"]["customer_membership"] is None  # a hauler's user has no business seat
    assert compiled.objects(key="nobody") == []


def test_rows_and_objects_each_refuse_the_other_kind_of_queryset(book):
    customer_id, _ = book
    with pytest.raises(TypeError, match="call rows"):
        CompiledQuery(pickups).objects(customer_id=customer_id, since=TODAY, statuses=["scheduled"], hauler_id=None)
    with pytest.raises(TypeError, match="call objects"):
        CompiledQuery(lambda *, customer_id: Pickup.objects.filter(customer_id=customer_id)).rows(
            customer_id=customer_id
        )


def test_an_id_beyond_the_column_s_range_finds_nothing_as_through_the_orm(book):
    # The ORM answers such a lookup without asking; compiled, PostgreSQL compares it as a wider number.
    def by_id(*, pickup_id):
        return Pickup.objects.filter(pk=pickup_id).values_list("pk")

    compiled = CompiledQuery(by_id)
    for huge in (2**63, 10**30, -(2**63) - 1):
        assert compiled.rows(pickup_id=huge) == list(by_id(pickup_id=huge)) == []
    existing = Pickup.objects.values_list("pk", flat=True).first()
    assert compiled.rows(pickup_id=existing) == [(existing,)]


def test_a_column_that_holds_no_negative_number_still_binds_its_value(book):
    # StatusChange.object_id is a PositiveIntegerField: the ORM empties a lookup of a negative stand-in without
    # asking, which once compiled the timeline as "always empty" for every pickup.
    pickup = Pickup.objects.order_by("pk").first()
    change = StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Pickup), object_id=pickup.pk, from_status="", to_status="x"
    )

    def changes_of(*, object_id):
        return StatusChange.objects.filter(object_id=object_id).values_list("pk")

    compiled = CompiledQuery(changes_of)
    assert compiled.rows(object_id=change.object_id) == list(changes_of(object_id=change.object_id))
    assert compiled.rows(object_id=change.object_id) != []
