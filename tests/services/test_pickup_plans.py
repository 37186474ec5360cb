"""A business's pickup list and recent activity on PostgreSQL read their own indexes (pickup_customer_day,
pickup_customer_updated) when the market is large and the planner's statistics predate its rows: the work is
bounded by the business's page or month, not by every business's pickups or every status change."""

import datetime as dt
import random

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import StatusChange
from marketplace import selectors
from marketplace.models import Pickup
from tests import factories
from tests.marketplace.api.conftest import client_for

BUSINESSES, PICKUPS_EACH = 40, 150


def book(location, count: int, rng: random.Random) -> list[Pickup]:
    today = timezone.localdate()
    return Pickup.objects.bulk_create(
        Pickup(
            customer=location.customer,
            location=location,
            waste_stream="trash",
            container="cart_96gal",
            quantity=1,
            service_date=today + dt.timedelta(days=rng.randint(-700, 60)),
            status=Pickup.Status.REQUESTED,
            price_cents=3_000,
            payout_cents=2_400,
        )
        for _ in range(count)
    )


@pytest.fixture
def market(location):
    """Forty businesses with two years of pickups each and their history, loaded after the tables were ANALYZEd
    empty (stale statistics); `location`'s business has a few pickups, one of which changed today."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_pickup")
        cursor.execute("ANALYZE core_statuschange")
    rng = random.Random(16)
    pickups = [p for _ in range(BUSINESSES) for p in book(factories.LocationFactory(), PICKUPS_EACH, rng)]
    mine = book(location, 5, rng)
    big_location = factories.LocationFactory()
    factories.CustomerMembershipFactory(customer=big_location.customer)
    big = book(big_location, 2_000, rng)
    kind, now = ContentType.objects.get_for_model(Pickup), timezone.now()
    old = now - dt.timedelta(days=90)
    pickups += big
    Pickup.objects.filter(pk__in=[p.pk for p in pickups + mine]).update(updated_at=old)
    StatusChange.objects.bulk_create(
        StatusChange(content_type=kind, object_id=p.pk, from_status="requested", to_status="offered", reason="")
        for p in pickups + mine
    )
    StatusChange.objects.filter(content_type=kind).update(at=old)
    # today's change, as transition() makes it: the pickup's updated_at stamped with it
    Pickup.objects.filter(pk=mine[0].pk).update(updated_at=now)
    StatusChange.objects.create(content_type=kind, object_id=mine[0].pk, from_status="offered", to_status="requested")
    return mine, big_location.customer


def plan_nodes(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0][0]["Plan"]

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return list(nodes(plan))


def pickup_reads(nodes: list[dict]) -> list[tuple[str, str | None]]:
    """How the plan reads marketplace_pickup: (node type, index), a bitmap scan's index from its child."""
    reads = []
    for node in nodes:
        if node.get("Relation Name") != "marketplace_pickup":
            continue
        index = node.get("Index Name") or next(
            (child.get("Index Name") for child in node.get("Plans", []) if child.get("Index Name")), None
        )
        reads.append((node["Node Type"], index))
    return reads


def by_business() -> set[str]:
    """marketplace_pickup's indexes that lead with the business (the two of this change and the foreign key's)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'marketplace_pickup' AND indexdef LIKE %s",
                       ["%USING btree (customer_id%"])  # fmt: skip
        return {name for (name,) in cursor.fetchall()}


def first_page(user) -> tuple[list[int], list[dict]]:
    """The ids on the API's first page of pickups, and the plan of the query that read them."""
    with CaptureQueriesContext(connection) as captured:
        body = client_for(user).get("/api/v1/pickups/").json()
    (page,) = [q["sql"] for q in captured.captured_queries if 'FROM "marketplace_pickup"' in q["sql"]]
    return [row["id"] for row in body["results"]], plan_nodes(page)


@pytest.mark.services
@pytest.mark.django_db
def test_on_stale_statistics_a_small_business_s_page_reads_only_its_own_pickups(postgres, market, customer_owner):
    mine, _ = market
    ids, nodes = first_page(customer_owner)
    assert ids == [p.pk for p in sorted(mine, key=lambda p: (p.service_date, p.pk))]
    reads = pickup_reads(nodes)
    # by the business: never the date index of every business's pickups, nor the whole table
    assert reads and all(index in by_business() for _, index in reads), reads


@pytest.mark.services
@pytest.mark.django_db
def test_a_large_business_s_page_comes_in_order_from_its_index(postgres, market):
    _, big = market
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE marketplace_pickup")
    ids, nodes = first_page(big.memberships.get().user)
    assert len(ids) == 20
    assert pickup_reads(nodes) == [("Index Scan", "pickup_customer_day")]
    # the page's order is the index's: the business's 2,000 pickups are not sorted to find 21
    assert not any(node["Node Type"] in ("Sort", "Incremental Sort") for node in nodes)


@pytest.mark.services
@pytest.mark.django_db
def test_recent_activity_reads_the_pickups_that_changed_lately(postgres, market, customer):
    with CaptureQueriesContext(connection) as captured:
        activity = list(selectors.recent_activity(customer=customer))
    mine, _ = market
    assert [change.object_id for change in activity] == [mine[0].pk]  # the 90-day-old history is not recent
    changed, changes = (plan_nodes(query["sql"]) for query in captured.captured_queries)
    # by an index of the business's pickups (on these stale statistics the planner may take either of this
    # change's two; with fresh ones, the one by updated_at)
    assert pickup_reads(changed) and all(index in by_business() for _, index in pickup_reads(changed))
    # the changes of those pickups by key: not every pickup change in the table
    reads = [(n["Node Type"], n.get("Index Name")) for n in changes if n.get("Relation Name") == "core_statuschange"]
    assert reads and all(index == "core_status_content_0ec41e_idx" for _, index in reads), reads
