"""The sensor-only alarm rules (offline, battery, impossible values, fire, tilt) and how verdicts become alarms."""

import datetime as dt
from decimal import Decimal

import pytest

from sensors import alarms, services, state
from sensors.models import Alarm, Device, Reading
from tests import factories

# 9:00 a.m. in Austin (CDT, UTC-5).
NOW = dt.datetime(2026, 5, 1, 14, 0, tzinfo=dt.UTC)
K = Alarm.Kind


@pytest.fixture
def device(location):
    device = services.register_device(
        by=None, location=location, serial="AR-1", waste_stream="trash", container="dumpster_4yd"
    )[0]
    Device.objects.filter(pk=device.pk).update(created_at=NOW - dt.timedelta(days=60))
    return Device.objects.select_related("location").get(pk=device.pk)


def add(device, *rows, **fields):
    """Readings (hours before NOW, fill) with the same extra fields, then the row's state as ingest leaves it."""
    Reading.objects.bulk_create(
        [Reading(device=device, measured_at=NOW - dt.timedelta(hours=hours), fill_percent=fill, **fields)
         for hours, fill in rows]
    )  # fmt: skip
    state.refresh([device.pk], now=NOW)


def verdicts(device, now=NOW) -> dict[str, alarms.Verdict]:
    scope = Device.objects.filter(pk=device.pk)
    devices = list(scope.select_related("location"))
    found = alarms.sensor_verdicts(devices, scope=scope, alarms=alarms.open_alarms(scope), now=now)
    return {verdict.kind: verdict for verdict in found}


def run(device, now=NOW) -> list[Alarm]:
    scope = Device.objects.filter(pk=device.pk)
    devices = list(scope.select_related("location"))
    open_now = alarms.open_alarms(scope)
    return alarms.apply(
        alarms.sensor_verdicts(devices, scope=scope, alarms=open_now, now=now), alarms=open_now, now=now
    ).opened


@pytest.mark.django_db
def test_offline_after_two_reporting_intervals_with_the_last_reading_in_local_time(device):
    add(device, (2, 40))

    offline = verdicts(device)[K.OFFLINE]
    assert offline.active
    assert offline.detail == "No reading since Fri, May 1, 7:00 AM; it reports every 60 minutes."
    assert not verdicts(device, now=NOW - dt.timedelta(minutes=1))[K.OFFLINE].active

    Device.objects.filter(pk=device.pk).update(reporting_interval_minutes=6 * 60)
    device.refresh_from_db()
    assert not verdicts(device)[K.OFFLINE].active  # a device that reports every 6 hours is not late yet


@pytest.mark.django_db
def test_a_device_that_never_reported_counts_from_when_it_was_added(device):
    assert verdicts(device)[K.OFFLINE].detail.startswith("No reading since it was added on Mon, Mar 2, 8:00 AM;")
    Device.objects.filter(pk=device.pk).update(created_at=NOW - dt.timedelta(minutes=30))
    device.refresh_from_db()
    assert not verdicts(device)[K.OFFLINE].active


@pytest.mark.django_db
def test_battery_low_when_forecast_to_run_out_within_30_days_or_nearly_flat(device):
    # One point a day: 20% today runs out in about 20 days.
    for day in range(20, -1, -1):
        add(device, (24 * day, 30), battery_percent=20 + day)
    device.refresh_from_db()

    battery = verdicts(device)[K.BATTERY_LOW]
    assert battery.active and battery.detail == "The battery is forecast to run out around May 21 (20% now)."

    # Swapped for a fresh one: level high, nothing falling.
    Device.objects.filter(pk=device.pk).update(battery_empty_at=NOW + dt.timedelta(days=200), last_battery_percent=95)
    device.refresh_from_db()
    assert not verdicts(device)[K.BATTERY_LOW].active

    Device.objects.filter(pk=device.pk).update(battery_empty_at=None, last_battery_percent=8)
    device.refresh_from_db()
    battery = verdicts(device)[K.BATTERY_LOW]
    assert battery.active and battery.detail == "The battery is at 8%: replace it soon."


@pytest.mark.django_db
def test_fire_and_tilt_come_from_the_latest_reading_only(device):
    add(device, (3, 40), temperature_c=Decimal("75.0"), tilt_degrees=80)
    add(device, (0, 41), temperature_c=Decimal("72.5"), tilt_degrees=50)

    found = verdicts(device)
    assert found[K.TEMPERATURE].active
    assert found[K.TEMPERATURE].detail == "It read 72.5 °C at Fri, May 1, 9:00 AM: a possible fire."
    assert found[K.TILT].active and "leaned 50° from upright" in found[K.TILT].detail

    add(device, (-0.5, 42), temperature_c=Decimal("69.9"), tilt_degrees=None)
    found = verdicts(device, now=NOW + dt.timedelta(hours=1))
    assert not found[K.TEMPERATURE].active and not found[K.TILT].active


@pytest.mark.django_db
def test_an_open_fire_or_tilt_alarm_holds_until_well_under_its_line(device):
    add(device, (1, 40), temperature_c=Decimal("67.0"), tilt_degrees=40)
    assert not verdicts(device)[K.TEMPERATURE].active and not verdicts(device)[K.TILT].active  # none open yet

    alarms.open_alarm(device=device, kind=K.TEMPERATURE, detail="It read 75 °C.", now=NOW)
    alarms.open_alarm(device=device, kind=K.TILT, detail="It leaned 80°.", now=NOW)
    found = verdicts(device)
    assert found[K.TEMPERATURE].active and found[K.TILT].active  # 67 °C and 40° hover near 70 and 45

    add(device, (0, 41), temperature_c=Decimal("64.9"), tilt_degrees=34)
    found = verdicts(device)
    assert not found[K.TEMPERATURE].active and not found[K.TILT].active


@pytest.mark.django_db
def test_fill_rising_faster_than_a_bin_can_fill_for_hours_is_an_impossible_value(device, settings):
    settings.SENSOR_ALARM_MAX_FILL_PER_HOUR = 30
    # Emptied (90% to 0%) two and a half hours ago, then 40 points an hour, read every half hour.
    add(device, (4, 90), *[(hours / 2, 100 - round(40 * hours / 2)) for hours in range(5, -1, -1)])

    found = verdicts(device)[K.IMPOSSIBLE_VALUE]
    assert found.active and found.detail.startswith("The fill rose 40 points an hour for 2.5 hours")
    assert found.context["last_seen_at"] == NOW.isoformat()


@pytest.mark.django_db
def test_a_busy_bin_and_a_single_jump_are_not_impossible(device, settings):
    settings.SENSOR_ALARM_MAX_FILL_PER_HOUR = 30
    add(device, *[(hours, 90 - 10 * hours) for hours in range(6, -1, -1)])  # 10 points an hour, for six hours
    assert K.IMPOSSIBLE_VALUE not in verdicts(device)

    Reading.objects.filter(device=device).delete()
    add(device, (1, 10), (0, 90))  # one bag seen from close by: a jump, not a sustained rise
    assert K.IMPOSSIBLE_VALUE not in verdicts(device)


@pytest.mark.django_db
def test_an_impossible_value_alarm_from_ingest_closes_after_a_day_of_valid_readings(device, settings):
    settings.SENSOR_ALARM_VALID_FOR = dt.timedelta(days=1)
    sent = {device.pk: ("It sent a fill of 140%.", {"field": "fill_percent", "value": 140})}
    [opened] = alarms.report_impossible_values(seen=sent, now=NOW)
    assert opened.detail == "It sent a fill of 140%."
    assert opened.context == {"field": "fill_percent", "value": 140, "last_seen_at": NOW.isoformat()}

    # Still at it two hours later: the same alarm, with the later sighting.
    later = NOW + dt.timedelta(hours=2)
    assert alarms.report_impossible_values(seen={device.pk: ("It sent 150%.", {"value": 150})}, now=later) == []
    opened.refresh_from_db()
    assert opened.context["last_seen_at"] == later.isoformat() and opened.detail == "It sent a fill of 140%."

    add(device, (-20, 40))  # valid, but less than a day after the last bad one
    device.refresh_from_db()
    assert run(device, now=NOW + dt.timedelta(hours=21)) == []
    opened.refresh_from_db()
    assert opened.closed_at is None

    add(device, (-26.5, 41))  # a day and a half hour clear
    device.refresh_from_db()
    run(device, now=NOW + dt.timedelta(hours=27))
    opened.refresh_from_db()
    assert opened.closed_at == NOW + dt.timedelta(hours=27)


@pytest.mark.django_db
def test_apply_opens_once_closes_supersedes_and_refreshes(device):
    def verdict(active, **context):
        return alarms.Verdict(device.pk, K.FILL_NOT_DROPPING, active, "Still full.", context, ("pickup",), ("seen",))

    def apply(*found, now=NOW):
        return alarms.apply(found, alarms=alarms.open_alarms(Device.objects.filter(pk=device.pk)), now=now)

    [first] = apply(verdict(True, pickup=1, seen=1)).opened
    assert apply(verdict(True, pickup=1, seen=2)).opened == []  # the same alarm, seen again
    first.refresh_from_db()
    assert first.context == {"pickup": 1, "seen": 2} and first.closed_at is None

    later = NOW + dt.timedelta(hours=1)
    outcome = apply(verdict(True, pickup=2, seen=3), now=later)  # about another visit: a new alarm
    [second] = outcome.opened
    first.refresh_from_db()
    assert outcome.closed == {first.pk} and first.closed_at == later and second.context["pickup"] == 2

    assert apply(verdict(False), now=later).closed == {second.pk}
    assert not Alarm.objects.filter(closed_at__isnull=True).exists()


@pytest.mark.django_db
def test_acknowledging_keeps_the_first_who_and_when(device, staff_user):
    alarm = alarms.open_alarm(device=device, kind=K.OFFLINE, detail="Quiet.", now=NOW)
    assert alarms.acknowledge(alarms=Alarm.objects.all(), user=staff_user, now=NOW) == 1
    assert alarms.acknowledge(alarms=Alarm.objects.all(), user=factories.UserFactory(), now=NOW) == 0
    alarm.refresh_from_db()
    assert (alarm.acknowledged_by, alarm.acknowledged_at) == (staff_user, NOW)


@pytest.mark.django_db
def test_an_impossible_value_alarm_opened_without_a_sighting_time_counts_from_when_it_opened(device):
    alarm = alarms.open_alarm(
        device=device,
        kind=K.IMPOSSIBLE_VALUE,
        detail="It sent a tilt of 270°.",
        context={"field": "tilt_degrees"},
        now=NOW,
    )
    add(device, (-23, 40))
    device.refresh_from_db()
    run(device, now=NOW + dt.timedelta(hours=23))
    alarm.refresh_from_db()
    assert alarm.closed_at is None

    add(device, (-24, 41))
    device.refresh_from_db()
    run(device, now=NOW + dt.timedelta(hours=24))
    alarm.refresh_from_db()
    assert alarm.closed_at == NOW + dt.timedelta(hours=24)
