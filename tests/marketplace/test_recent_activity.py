"""The dashboard's recent activity: written out for PostgreSQL, it answers as the ORM's querysets do."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from core.models import StatusChange
from marketplace import selectors
from marketplace.models import Pickup
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():
    """Two businesses' pickups with changes over the last 45 days (some older than the month), two of one pickup's
    at the same moment, and one pickup unchanged since long ago; each pickup's updated_at is its latest change's,
    as transition() stamps it."""
    now = timezone.now()
    kind = ContentType.objects.get_for_model(Pickup)
    mine, theirs = factories.LocationFactory(), factories.LocationFactory()
    for n in range(12):
        pickup = factories.PickupFactory(location=mine if n % 3 else theirs, hauler=None, status="requested")
        moments = [now - dt.timedelta(days=(n * 7 + step * 3) % 45, minutes=step) for step in range(n % 4)]
        if n == 6:
            moments = [now - dt.timedelta(days=2)] * 2  # at the same moment: the newest id first
        for step, at in enumerate(moments):
            change = StatusChange.objects.create(
                content_type=kind, object_id=pickup.pk, from_status="requested", to_status=f"s{n}.{step}"
            )
            StatusChange.objects.filter(pk=change.pk).update(at=at)
        Pickup.objects.filter(pk=pickup.pk).update(updated_at=max(moments, default=now - dt.timedelta(days=60)))
    month = now - dt.timedelta(days=selectors.ACTIVITY_DAYS)
    assert StatusChange.objects.filter(at__lt=month).exists() and StatusChange.objects.filter(at__gte=month).count() > 8
    return mine.customer, theirs.customer


def through_the_orm(monkeypatch, **arguments):
    with monkeypatch.context() as patched:
        patched.setattr(connection, "vendor", "portable")  # recent_activity's other path: the ORM's querysets
        return selectors.recent_activity(**arguments)


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_the_written_out_reads_answer_as_the_orm(history, monkeypatch, limit):
    if connection.vendor != "postgresql":
        pytest.skip("the reads are written out for PostgreSQL only; elsewhere the ORM's are the only ones")
    for customer in history:
        written = selectors.recent_activity(customer=customer, limit=limit)
        assert written == through_the_orm(monkeypatch, customer=customer, limit=limit)
        assert len(written) == min(limit, len(written)) and all(isinstance(c.at, dt.datetime) for c in written)
    mine, _ = history
    assert len(selectors.recent_activity(customer=mine)) > 3  # the case has enough to tell the limits apart


def test_no_change_this_month_reads_no_changes(django_assert_num_queries):
    quiet = factories.LocationFactory().customer
    with django_assert_num_queries(1):  # the business's pickups changed lately: none, so no second read
        assert selectors.recent_activity(customer=quiet) == []
