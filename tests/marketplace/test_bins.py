"""Sensors drive pickups: a full bin is collected once; a nearly empty one's plan visit is skipped."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from marketplace import bins, tasks
from marketplace.models import Notification, Pickup, ServicePlan
from sensors.models import Device, Reading, hash_token
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=AUSTIN)  # a Wednesday morning


def device_at(location, **rules):
    values = {"collect_at_percent": 80, "auto_book": True, "skip_below_percent": 30, **rules}
    return Device.objects.create(
        serial=f"SN-{location.pk}",
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        token_hash=hash_token(f"token-{location.pk}-{rules}"),
        token_hint="abcd",
        **values,
    )


def read(device, fill, at):
    return Reading.objects.create(device=device, fill_percent=fill, measured_at=at)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_full_bin_books_one_pickup_and_only_one(location, in_area_hauler, customer_owner, clock, run_on_commit):
    device = device_at(location)
    read(device, 55, NOW - dt.timedelta(hours=3))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "not full"
    read(device, 82, NOW - dt.timedelta(hours=1))

    assert run_on_commit(tasks.evaluate_device, device.pk) == "booked"
    read(device, 90, NOW)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "already booked"

    pickup = Pickup.objects.get()
    assert (pickup.device, pickup.service_date, pickup.status) == (device, NOW.date(), Pickup.Status.OFFERED)
    assert pickup.offers.get().hauler == in_area_hauler
    subjects = [m.subject for m in mail.outbox if customer_owner.email in m.to]
    assert "Your bin is full: we booked a pickup for Wed, Nov 18" in subjects


@pytest.mark.django_db
def test_late_in_the_day_the_pickup_is_booked_for_tomorrow(location, in_area_hauler, clock, run_on_commit):
    clock.move_to(dt.datetime(2026, 11, 18, 16, 0, tzinfo=AUSTIN))  # within 2 h of the 17:00 window end
    device = device_at(location)
    read(device, 95, dt.datetime(2026, 11, 18, 15, 50, tzinfo=AUSTIN))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "booked"
    assert Pickup.objects.get().service_date == dt.date(2026, 11, 19)


@pytest.mark.django_db
def test_without_auto_booking_the_business_gets_one_suggestion_per_full_spell(
    location, in_area_hauler, customer_owner, clock, run_on_commit
):
    device = device_at(location, auto_book=False)
    read(device, 85, NOW - dt.timedelta(hours=2))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "suggested"
    read(device, 88, NOW - dt.timedelta(hours=1))
    run_on_commit(tasks.evaluate_device, device.pk)
    assert not Pickup.objects.exists()
    notes = Notification.objects.filter(user=customer_owner, kind="bin_full_suggest")
    assert notes.count() == 1  # the same full spell: one suggestion
    assert "/book/?location=" in notes.get().url
    read(device, 10, NOW - dt.timedelta(minutes=30))  # emptied
    read(device, 81, NOW)  # full again: a new spell, a new suggestion
    run_on_commit(tasks.evaluate_device, device.pk)
    assert notes.count() == 2


@pytest.mark.django_db
def test_no_hauler_turns_an_auto_booking_into_a_suggestion(location, out_of_area_hauler, clock, run_on_commit):
    device = device_at(location)
    read(device, 90, NOW)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "no hauler"
    assert not Pickup.objects.exists()


def plan_visit(location, hauler, day):
    plan = ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash", container="dumpster_4yd",
        quantity=1, frequency="weekly", weekdays=1 << day.weekday(), start_date=day, status="active",
        price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, plan=plan, plan_date=day,
        waste_stream="trash", container="dumpster_4yd", quantity=1, service_date=day, status="scheduled",
        price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("fill", "skipped"), [(29, True), (30, False), (75, False)])
def test_a_plan_visit_is_skipped_when_the_bin_is_below_the_mark_at_the_cutoff(
    location, in_area_hauler, customer_owner, clock, run_on_commit, fill, skipped
):
    factories.HaulerMembershipFactory(hauler=in_area_hauler)
    device = device_at(location, auto_book=False)
    visit = plan_visit(location, in_area_hauler, dt.date(2026, 11, 19))  # Thursday; cutoff Wed 16:00
    read(device, fill, dt.datetime(2026, 11, 18, 15, 0, tzinfo=AUSTIN))

    clock.move_to(dt.datetime(2026, 11, 18, 15, 59, tzinfo=AUSTIN))
    assert run_on_commit(tasks.skip_empty_visits) == 0  # not yet
    read(device, 95, dt.datetime(2026, 11, 18, 16, 30, tzinfo=AUSTIN))  # after the cutoff: does not count
    clock.move_to(dt.datetime(2026, 11, 18, 16, 45, tzinfo=AUSTIN))
    assert run_on_commit(tasks.skip_empty_visits) == int(skipped)
    assert run_on_commit(tasks.skip_empty_visits) == 0  # checked once

    visit.refresh_from_db()
    assert visit.sensor_checked_at is not None
    assert visit.status == (Pickup.Status.SKIPPED if skipped else Pickup.Status.SCHEDULED)
    if skipped:
        assert visit.device == device
        subjects = [m.subject for m in mail.outbox]
        assert "Skipped: your Thu, Nov 19 pickup (the bin can wait)" in subjects
        assert "Skipped: no visit to ZIP 78701 on Thu, Nov 19" in subjects
        assert bins.savings_of(customer=location.customer) == {
            "visits_avoided": 1,
            "truck_km": 8.0,
            "diesel_litres": 7.2,
            "co2_kg": 19.3,
        }


@pytest.mark.django_db
def test_a_stale_reading_does_not_skip_a_visit(location, in_area_hauler, clock, run_on_commit):
    device = device_at(location, auto_book=False)
    visit = plan_visit(location, in_area_hauler, dt.date(2026, 11, 19))
    read(device, 5, dt.datetime(2026, 11, 14, 9, 0, tzinfo=AUSTIN))  # four days before the cutoff
    clock.move_to(dt.datetime(2026, 11, 18, 17, 0, tzinfo=AUSTIN))
    assert run_on_commit(tasks.skip_empty_visits) == 0
    visit.refresh_from_db()
    assert visit.status == Pickup.Status.SCHEDULED


@pytest.mark.django_db
def test_one_time_pickups_are_never_skipped_by_a_sensor(location, in_area_hauler, clock, run_on_commit):
    device = device_at(location, auto_book=False)
    one_time = Pickup.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, service_date=dt.date(2026, 11, 19), status="scheduled",
        price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip
    read(device, 3, dt.datetime(2026, 11, 18, 15, 0, tzinfo=AUSTIN))
    clock.move_to(dt.datetime(2026, 11, 18, 17, 0, tzinfo=AUSTIN))
    assert run_on_commit(tasks.skip_empty_visits) == 0
    one_time.refresh_from_db()
    assert one_time.status == Pickup.Status.SCHEDULED
