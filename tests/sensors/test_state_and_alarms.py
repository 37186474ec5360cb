"""A device's state on its row (the latest reading and both forecasts) and alarms that open once and close."""

import datetime as dt

import pytest

from sensors import alarms, services, state
from sensors.models import Alarm, Device, Reading

NOW = dt.datetime(2026, 5, 1, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def device(location):
    return services.register_device(
        by=None, location=location, serial="ST-1", waste_stream="trash", container="dumpster_4yd"
    )[0]


def readings(device, series):
    Reading.objects.bulk_create(
        [
            Reading(
                device=device, measured_at=NOW - dt.timedelta(hours=hours), fill_percent=fill, battery_percent=battery
            )
            for hours, fill, battery in series
        ]
    )


@pytest.mark.django_db
def test_refresh_keeps_the_latest_reading_and_forecasts_full_and_battery_on_the_row(device):
    # Battery losing a point a day over three weeks; the bin filling 2 points an hour since it was
    # emptied a day ago (the 90 -> 10 drop).
    readings(device, [(24 * day, 85, 60 + day) for day in range(21, 1, -1)])
    readings(device, [(30, 90, 61), *[(hours, 10 + 2 * (24 - hours), 60) for hours in range(24, -1, -2)]])

    assert state.refresh([device.pk], now=NOW) == 1

    device.refresh_from_db()
    assert device.last_reading_at == NOW and device.last_fill_percent == 58
    assert device.fill_rate_per_day == pytest.approx(48, abs=0.5)
    # 42 points to go at 2 an hour: 21 hours from now.
    assert device.full_at == pytest.approx(NOW + dt.timedelta(hours=21), abs=dt.timedelta(minutes=20))
    assert device.battery_empty_at is not None and device.battery_empty_at == pytest.approx(
        NOW + dt.timedelta(days=60), abs=dt.timedelta(days=2)
    )


@pytest.mark.django_db
def test_refresh_of_a_silent_device_keeps_its_last_reading_and_forecasts_nothing(device):
    readings(device, [(24 * 40, 35, 60)])

    state.refresh([device.pk], now=NOW)

    device.refresh_from_db()
    assert device.last_fill_percent == 35 and device.last_reading_at == NOW - dt.timedelta(days=40)
    assert device.full_at is None and device.fill_rate_per_day is None and device.battery_empty_at is None


def test_battery_that_is_not_falling_has_no_end():
    flat = [(NOW - dt.timedelta(days=day), 70) for day in range(10)]
    assert state.battery_empty_at(flat) is None
    assert state.battery_empty_at(flat[:1]) is None


@pytest.mark.django_db
def test_an_alarm_opens_once_and_a_cleared_one_can_open_again(device):
    first = alarms.open_alarm(device=device, kind=Alarm.Kind.OFFLINE, detail="No reading for 2 hours.", now=NOW)
    again = alarms.open_alarm(device=device, kind=Alarm.Kind.OFFLINE, detail="Still nothing.", now=NOW)

    assert first is not None and again is None
    assert Alarm.objects.filter(device=device, closed_at__isnull=True).count() == 1

    assert alarms.set_alarm(device=device, kind=Alarm.Kind.OFFLINE, active=False, now=NOW) is None
    assert not alarms.close_alarm(device=device, kind=Alarm.Kind.OFFLINE, now=NOW)
    first.refresh_from_db()
    assert first.closed_at == NOW

    reopened = alarms.set_alarm(device=device, kind=Alarm.Kind.OFFLINE, active=True, detail="Silent again.", now=NOW)
    assert reopened is not None and reopened.pk != first.pk
    assert Device.objects.get(pk=device.pk).alarms.count() == 2
