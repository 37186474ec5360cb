"""The simulated city in the demo: its bins as one business's sites and sensors, recent readings, state and alarms."""

import datetime as dt

import pytest
from django.core import mail

from customers.models import Customer
from marketplace.demo import city_seed
from marketplace.models import Notification
from sensors.models import Alarm, Device, Reading

NOW = dt.datetime(2026, 11, 18, 15, 0, tzinfo=dt.UTC)  # a Wednesday, 09:00 in Austin
BINS = 30


@pytest.fixture
def seeded(db, settings, django_capture_on_commit_callbacks):
    settings.STAFF_ALERT_EMAILS = ["ops@haulmatch.invalid"]
    with django_capture_on_commit_callbacks(execute=True):  # the notices go out after commit, as in the demo
        return city_seed.seed_city(now=NOW, bins=BINS)


def test_every_bin_is_a_site_and_a_sensor_of_the_city(seeded):
    customer = Customer.objects.get(name=city_seed.CITY_NAME)
    devices = Device.objects.filter(location__customer=customer)
    assert seeded["city_bins"] == devices.count() == customer.locations.count() == BINS
    compactors = devices.filter(kind=Device.Kind.COMPACTOR)
    assert compactors.exists() and all(device.capacity_multiplier == 5 for device in compactors)
    assert {device.location.city for device in devices} >= {"Austin"}
    assert all(device.reporting_interval_minutes in (60, 120, 240) for device in devices)


def test_the_last_days_of_readings_and_the_state_on_each_row(seeded):
    readings = Reading.objects.filter(device__serial__startswith="CITY-")
    assert readings.count() == seeded["city_readings_added"] > BINS * 12
    newest = max(readings.values_list("measured_at", flat=True))
    oldest = min(readings.values_list("measured_at", flat=True))
    assert newest <= NOW and oldest >= NOW - dt.timedelta(days=city_seed.READING_DAYS)
    for device in Device.objects.filter(serial__startswith="CITY-"):
        latest = device.readings.order_by("-measured_at").first()
        assert (device.last_reading_at, device.last_fill_percent) == (latest.measured_at, latest.fill_percent)
    assert Device.objects.filter(serial__startswith="CITY-", full_at__isnull=False).count() > BINS // 2


def test_live_alarms_with_notices_in_the_app_only(seeded):
    hot = Device.objects.get(serial=f"CITY-{city_seed.HOT_BIN:04d}")
    assert Alarm.objects.filter(device=hot, kind=Alarm.Kind.TEMPERATURE, closed_at__isnull=True).exists()
    assert seeded["city_alarms_opened"] == Alarm.objects.filter(closed_at__isnull=True).count()
    owner = Customer.objects.get(name=city_seed.CITY_NAME).memberships.get().user
    assert Notification.objects.filter(user=owner, kind="alarm_temperature").exists()
    assert not [message for message in mail.outbox if owner.email in message.to]
    assert any("ops@haulmatch.invalid" in message.to for message in mail.outbox)  # staff hear of the fire


def test_seeding_again_adds_only_the_new_hours(seeded):
    again = city_seed.seed_city(now=NOW, bins=BINS)
    assert again == {"city_bins": BINS, "city_readings_added": 0, "city_alarms_opened": 0}
    later = city_seed.seed_city(now=NOW + dt.timedelta(hours=3), bins=BINS)
    assert 0 < later["city_readings_added"] <= BINS * 3
    assert Customer.objects.filter(name=city_seed.CITY_NAME).count() == 1
