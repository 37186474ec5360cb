"""Ingest and the alarm sweep against real PostgreSQL: identical batches and sweeps racing on their own connections."""

import datetime as dt

import pytest
from django.core import mail

from marketplace import alarms
from marketplace.models import Notification
from sensors import integrations
from sensors.alarms import report_impossible_values
from sensors.models import Alarm, Device, Reading
from tests.marketplace.alarm_cast import device_at, readings
from tests.services.threads import race

THREADS = 4


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_identical_batches_at_once_store_each_reading_once_and_count_the_rest_as_duplicates(postgres, location):
    integration, _ = integrations.create_integration(name="City LoRaWAN")
    devices = []
    for n in range(10):
        device = device_at(location, f"RACE-{n}")
        Device.objects.filter(pk=device.pk).update(external_id=f"race-{n}")
        devices.append(device)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    items = [
        {
            "device": f"race-{n % 10}",
            "measured_at": (now - dt.timedelta(minutes=n // 10 + 1)).isoformat(),
            "fill_percent": n % 90,
        }
        for n in range(500)
    ]

    results = race(lambda: integrations.ingest_batch(integration=integration, items=items, now=now), THREADS)

    assert all(not isinstance(result, str) for result in results), results
    assert sum(result.accepted for result in results) == 500
    assert sum(result.duplicates for result in results) == 500 * (THREADS - 1)
    assert Reading.objects.count() == 500
    for device in Device.objects.filter(pk__in=[device.pk for device in devices]):
        # Each device's row holds its latest reading (a minute ago), whichever batch stored it.
        assert device.last_reading_at == now - dt.timedelta(minutes=1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_sweeps_at_once_open_each_alarm_once_and_tell_each_once(postgres, location, customer_owner, settings):
    settings.STAFF_ALERT_EMAILS = ["ops@example.com"]
    silent = [device_at(location, f"QUIET-{n}") for n in range(20)]
    for device in silent:
        readings(device, (5, 40))  # five hours without a reading: offline
    # An alarm ingest opened, not yet told: every sweep finds it waiting for its notice.
    broken = device_at(location, "BROKEN")
    report_impossible_values(seen={broken.pk: ("It sent a fill of 140%.", {"field": "fill_percent", "value": 140})})
    mail.outbox.clear()
    outcomes = race(lambda: len(alarms.check()), THREADS)

    assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
    assert sum(outcomes) == len(silent)
    assert Alarm.objects.filter(kind=Alarm.Kind.OFFLINE, closed_at__isnull=True).count() == len(silent)
    assert Notification.objects.filter(user=customer_owner, kind="alarm_offline").count() == len(silent)
    assert [message.to for message in mail.outbox].count(["ops@example.com"]) == 1
