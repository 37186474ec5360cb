"""Fleet alarms: the sweep over every bin opens each alarm once, closes it when the condition clears, and costs the
same few queries for ten bins as for a hundred."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from marketplace import alarms, tasks
from marketplace.models import Pickup
from sensors import services as sensor_services
from sensors import state
from sensors.models import Alarm, Device, Reading
from tests import factories
from tests.marketplace.alarm_cast import NOW, completed_visit, device_at, open_alarms, readings, visit

K = Alarm.Kind


@pytest.fixture
def clock():
    """Friday morning in Austin, standing still (tests move it on)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_bin_that_stops_reporting_raises_an_offline_alarm_and_it_closes_when_a_reading_arrives(
    location, clock, django_capture_on_commit_callbacks
):
    device, token = sensor_services.register_device(
        by=None, location=location, serial="OFF-1", waste_stream="trash", container="dumpster_4yd"
    )
    sensor = APIClient()
    sensor.credentials(HTTP_X_DEVICE_TOKEN=token)

    def post(fill: int):
        with django_capture_on_commit_callbacks(execute=True):
            body = {"readings": [{"fill_percent": fill, "measured_at": NOW.isoformat()}]}
            return sensor.post("/api/v1/sensors/readings/", body, format="json")

    assert post(40).status_code in (200, 201)
    assert open_alarms(device) == {}

    clock.move_to(NOW + dt.timedelta(minutes=119))
    assert tasks.check_alarms() == 0
    clock.move_to(NOW + dt.timedelta(hours=2))
    assert tasks.check_alarms() == 1
    offline = open_alarms(device)[K.OFFLINE]
    assert offline.detail == "No reading since Fri, May 1, 9:00 AM; it reports every 60 minutes."
    assert offline.opened_at == NOW + dt.timedelta(hours=2)

    # However often the sweep runs, it stays one alarm.
    clock.move_to(NOW + dt.timedelta(hours=3))
    assert tasks.check_alarms() == 0
    assert tasks.check_alarms() == 0
    assert Alarm.objects.filter(device=device, kind=K.OFFLINE).count() == 1

    # It reports again: the evaluation right after the reading closes the alarm, no sweep needed.
    NOW_AGAIN = NOW + dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        body = {"readings": [{"fill_percent": 42, "measured_at": NOW_AGAIN.isoformat()}]}
        assert sensor.post("/api/v1/sensors/readings/", body, format="json").status_code in (200, 201)
    offline.refresh_from_db()
    assert offline.closed_at == NOW_AGAIN
    assert open_alarms(device) == {}


@pytest.mark.django_db
def test_overflow_risk_when_forecast_full_before_the_next_visit_and_closed_when_one_is_booked_in_time(location, clock):
    device = device_at(location, "OVR-1")
    readings(device, *[(24 * day, 50 - 10 * day) for day in range(5)])  # 10 points a day: full Wed at 9 AM
    later = visit(location, 7)

    [risk] = alarms.check(now=NOW)
    assert risk.kind == K.OVERFLOW_RISK
    assert risk.detail == (
        "It is forecast full by Wed, May 6, 9:00 AM; the next visit is not until Fri, May 8 (from 7:00 AM)."
    )
    assert risk.context["pickup"] == later.pk

    visit(location, 3)  # a visit on Monday comes in time
    assert alarms.check(now=NOW) == []
    risk.refresh_from_db()
    assert risk.closed_at == NOW


@pytest.mark.django_db
def test_with_no_visit_coming_overflow_risk_looks_within_its_horizon(location, clock, settings):
    settings.SENSOR_ALARM_OVERFLOW_HORIZON = dt.timedelta(days=2)
    device = device_at(location, "OVR-2")
    readings(device, *[(24 * day, 50 - 10 * day) for day in range(5)])  # full in five days
    visit(location, 1, Pickup.Status.UNMATCHED)  # no hauler took it: nobody is coming

    assert alarms.check(now=NOW) == []

    settings.SENSOR_ALARM_OVERFLOW_HORIZON = dt.timedelta(days=6)
    [risk] = alarms.check(now=NOW)
    assert risk.detail == "It is forecast full by Wed, May 6, 9:00 AM, and no visit is booked."


@pytest.mark.django_db
def test_a_bin_still_full_after_a_proven_visit_opens_fill_not_dropping_naming_the_pickup(location, clock):
    device = device_at(location, "FND-1", collect_at_percent=80)
    pickup = completed_visit(location, hours_ago=5)
    # Full before the visit; after it, one reading inside the two-hour grace and two after, all still full.
    readings(device, (6, 90), (4, 86), (2.5, 88), (1, 89))

    opened = {alarm.kind: alarm for alarm in alarms.check(now=NOW)}
    alarm = opened[K.FILL_NOT_DROPPING]  # (and, with no visit booked, at risk of overflowing)
    assert alarm.context["pickup"] == pickup.pk
    assert alarm.detail == (
        f"Pickup #{pickup.pk} was marked done on Fri, May 1, 4:00 AM, but the bin read at or above 80% in all "
        "2 readings since (89% now): a case for the trust flow."
    )
    assert alarms.check(now=NOW) == []  # once

    readings(device, (-1, 4))  # emptied after all
    assert alarms.check(now=NOW + dt.timedelta(hours=1)) == []
    alarm.refresh_from_db()
    assert alarm.closed_at == NOW + dt.timedelta(hours=1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "story",
    [
        "emptied",  # the readings after the visit dropped
        "no proof",  # nothing recorded: not a visit to hold against anyone
        "one reading",  # too little seen after it yet
        "in the grace",  # the visit was an hour ago
    ],
)
def test_fill_not_dropping_needs_a_proven_visit_and_enough_readings_still_full(location, clock, story):
    device = device_at(location, "FND-2", collect_at_percent=80)
    completed_visit(location, hours_ago=1 if story == "in the grace" else 5, proof=story != "no proof")
    after = {"emptied": [(2.5, 6), (1, 8)], "one reading": [(1, 89)]}.get(story, [(2.5, 88), (1, 89)])
    readings(device, (6, 90), *after)

    assert K.FILL_NOT_DROPPING not in {alarm.kind for alarm in alarms.check(now=NOW)}


@pytest.mark.django_db
def test_fire_and_tilt_alarms_open_right_after_ingest_for_those_devices_only(location, clock):
    hot = device_at(location, "HOT-1")
    calm = device_at(location, "CALM-1")
    Reading.objects.create(device=hot, measured_at=NOW, fill_percent=40, temperature_c=81, tilt_degrees=90)
    Reading.objects.create(device=calm, measured_at=NOW, fill_percent=40, temperature_c=81)
    state.refresh([hot.pk, calm.pk], now=NOW)

    opened = alarms.check(device_ids=[hot.pk], now=NOW)

    assert {(alarm.device_id, alarm.kind) for alarm in opened} == {(hot.pk, K.TEMPERATURE), (hot.pk, K.TILT)}
    assert not Alarm.objects.filter(device=calm).exists()  # not in this check


@pytest.mark.django_db
def test_switching_a_device_off_or_archiving_its_location_closes_its_alarms(location, clock):
    device = device_at(location, "GONE-1")
    readings(device, (5, 40))
    [offline] = alarms.check(now=NOW)

    Device.objects.filter(pk=device.pk).update(active=False)
    assert alarms.check(now=NOW) == []
    offline.refresh_from_db()
    assert offline.closed_at == NOW

    Device.objects.filter(pk=device.pk).update(active=True)
    [again] = alarms.check(now=NOW)
    location.archived_at = NOW
    location.save(update_fields=["archived_at"])
    alarms.check(device_ids=[device.pk], now=NOW)
    again.refresh_from_db()
    assert again.closed_at == NOW


def city(count: int) -> list[Device]:
    """`count` bins across businesses, a quarter each offline, about to overflow, left full by a visit, on fire."""
    made = []
    for n in range(count):
        location = factories.LocationFactory()
        device = device_at(location, f"CITY-{count}-{n}", collect_at_percent=80)
        story = n % 4
        if story == 0:
            rows = [(5, 40)]
        elif story == 1:
            rows = [(24 * day, 50 - 10 * day) for day in range(5)]
            visit(location, 7)
        elif story == 2:
            completed_visit(location, hours_ago=5)
            rows = [(6, 90), (2.5, 88), (1, 89)]
        else:
            rows = []
            Reading.objects.create(device=device, measured_at=NOW, fill_percent=30, temperature_c=85)
        Reading.objects.bulk_create(
            [Reading(device=device, measured_at=NOW - dt.timedelta(hours=h), fill_percent=f) for h, f in rows]
        )
        made.append(device)
    state.refresh([device.pk for device in made], now=NOW)
    return made


@pytest.mark.django_db
def test_the_sweep_costs_the_same_queries_for_ten_bins_as_for_a_hundred(clock):
    def sweep(count: int) -> tuple[int, int]:
        city(count)
        with CaptureQueriesContext(connection) as queries:
            opened = alarms.check(now=NOW)
        assert {alarm.kind for alarm in opened} == {K.OFFLINE, K.OVERFLOW_RISK, K.FILL_NOT_DROPPING, K.TEMPERATURE}
        assert len(opened) == count
        Device.objects.all().delete()
        return len(queries), len(opened)

    ten, hundred = sweep(10), sweep(100)

    assert ten[0] == hundred[0], (ten, hundred)
    assert ten[0] <= 12, ten
