"""Day-before reminders at a sensible local time, and missed-pickup detection, across timezones."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from marketplace import followup, tasks
from marketplace.models import Notification, Pickup
from tests import factories

DAY = dt.date(2027, 3, 15)  # a Monday, the day after US daylight saving time begins


def scheduled(zip_code, hauler, day=DAY):
    location = factories.LocationFactory(zip_code=zip_code)
    factories.CustomerMembershipFactory(customer=location.customer)
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash", container="cart_96gal",
        quantity=1, service_date=day, status=Pickup.Status.SCHEDULED, price_cents=3_000, payout_cents=2_400,
    )  # fmt: skip


@pytest.fixture
def hauler(db):
    hauler = factories.HaulerFactory(credentials_until=DAY + dt.timedelta(days=300))
    factories.HaulerMembershipFactory(hauler=hauler)
    return hauler


def local(day, hour, minute, tz):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(tz))


@pytest.mark.django_db
def test_reminders_go_out_at_five_pm_local_the_day_before_in_each_timezone(hauler, run_on_commit):
    austin = scheduled("78701", hauler)  # America/Chicago
    new_york = scheduled("10001", hauler)  # America/New_York
    honolulu = scheduled("96813", hauler)  # Pacific/Honolulu
    eve = DAY - dt.timedelta(days=1)

    with time_machine.travel(local(eve, 16, 59, "America/New_York"), tick=False):
        assert followup.reminders_due() == []
    with time_machine.travel(local(eve, 17, 0, "America/New_York"), tick=False):
        assert followup.reminders_due() == [new_york.pk]
        assert run_on_commit(tasks.send_reminders) == 1
        assert run_on_commit(tasks.send_reminders) == 0  # once per pickup
    with time_machine.travel(local(eve, 17, 5, "America/Chicago"), tick=False):
        assert followup.reminders_due() == [austin.pk]
    with time_machine.travel(local(eve, 17, 0, "Pacific/Honolulu"), tick=False):
        assert set(followup.reminders_due()) == {austin.pk, honolulu.pk}
        run_on_commit(tasks.send_reminders)

    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects.count("Tomorrow: trash pickup from 7 AM") == 3
    assert sorted(s for s in subjects if s.startswith("Tomorrow: job")) == [
        "Tomorrow: job at ZIP 10001 from 7 AM",
        "Tomorrow: job at ZIP 78701 from 7 AM",
        "Tomorrow: job at ZIP 96813 from 7 AM",
    ]
    to_hauler = Notification.objects.get(
        kind="pickup_reminder_hauler", dedupe_key=f"pickup_reminder_hauler:{austin.pk}"
    )
    assert austin.location.street in to_hauler.body and austin.customer.name in to_hauler.body


@pytest.mark.django_db
def test_no_reminder_once_the_window_has_opened(hauler):
    scheduled("78701", hauler)
    with time_machine.travel(local(DAY, 7, 30, "America/Chicago"), tick=False):
        assert followup.reminders_due() == []


@pytest.mark.django_db
def test_a_pickup_not_done_an_hour_after_its_window_is_missed(hauler, run_on_commit):
    austin = scheduled("78701", hauler)
    honolulu = scheduled("96813", hauler)
    with time_machine.travel(local(DAY, 17, 59, "America/Chicago"), tick=False):
        assert followup.overdue() == []
    with time_machine.travel(local(DAY, 18, 0, "America/Chicago"), tick=False):
        assert followup.overdue() == [austin.pk]  # Honolulu's window is still open
        assert run_on_commit(tasks.detect_missed) == 1
        assert run_on_commit(tasks.detect_missed) == 0
    austin.refresh_from_db()
    honolulu.refresh_from_db()
    assert (austin.status, honolulu.status) == (Pickup.Status.MISSED, Pickup.Status.SCHEDULED)
    assert any(m.subject.startswith("Missed: your pickup") for m in mail.outbox)
    hauler.refresh_from_db()
    assert hauler.reliability_score < Decimal("0.900")


@pytest.mark.django_db
def test_a_completed_pickup_is_never_marked_missed(hauler):
    from core.transitions import transition

    pickup = scheduled("78701", hauler)
    transition(pickup, Pickup.Status.COMPLETED)
    with time_machine.travel(local(DAY + dt.timedelta(days=1), 12, 0, "America/Chicago"), tick=False):
        assert followup.detect_missed() == 0
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.COMPLETED


@pytest.mark.django_db
def test_a_sweep_that_did_not_run_for_days_still_catches_old_pickups(hauler):
    old = scheduled("78701", hauler, day=DAY - dt.timedelta(days=10))
    with time_machine.travel(local(DAY, 12, 0, "America/Chicago"), tick=False):
        assert followup.detect_missed() == 1
    old.refresh_from_db()
    assert old.status == Pickup.Status.MISSED
