"""An opened alarm tells the right people once: the bin's business for its own bins, staff for what is theirs."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from marketplace import alarms
from marketplace.models import Notification
from sensors import alarms as sensor_alarms
from sensors.models import Alarm
from tests import factories
from tests.marketplace.alarm_cast import NOW, completed_visit, device_at, readings

K = Alarm.Kind


@pytest.fixture
def clock():
    """Friday morning in Austin, standing still (tests move it on)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_business(db):
    """Another business, with its own owner and a bin of its own in the same ZIP."""
    membership = factories.CustomerMembershipFactory(user__email="owner@other.example")
    location = factories.LocationFactory(customer=membership.customer)
    return membership.user, location


def inbox(email: str) -> list:
    return [message for message in mail.outbox if email in message.to]


@pytest.mark.django_db
def test_an_offline_bin_tells_its_own_business_once_in_the_app_and_by_email(
    customer_owner, location, other_business, staff_user, clock, run_on_commit
):
    other_owner, other_location = other_business
    device = device_at(location, "N-1")
    readings(device, (5, 40))
    quiet = device_at(other_location, "N-2")
    readings(quiet, (0, 40))  # the other business's bin is fine

    [alarm] = run_on_commit(alarms.check, now=NOW)
    run_on_commit(alarms.check, now=NOW + dt.timedelta(minutes=5))
    run_on_commit(alarms.check, now=NOW + dt.timedelta(minutes=10))

    [message] = inbox(customer_owner.email)
    assert message.subject == f"Sensor N-1 on your trash 4-yard dumpster at {location.name} stopped reporting"
    assert "No reading since Fri, May 1, 4:00 AM; it reports every 60 minutes." in message.body
    assert f"/locations/{location.pk}/sensors/#sensor-{device.pk}" in message.body
    [note] = Notification.objects.filter(user=customer_owner)
    assert (note.kind, note.title, note.emailed) == ("alarm_offline", message.subject, True)
    # Nobody else hears of it: not the other business, not staff.
    assert inbox(other_owner.email) == [] and inbox(staff_user.email) == []
    assert not Notification.objects.exclude(user=customer_owner).exists()
    assert alarm.device_id == device.pk


@pytest.mark.django_db
def test_another_business_never_hears_of_or_sees_an_alarm_on_a_bin_that_is_not_its_own(
    customer_owner, location, other_business, clock, run_on_commit, client
):
    other_owner, other_location = other_business
    hot = device_at(other_location, "HOT-2")
    hot.readings.create(measured_at=NOW, fill_percent=30, temperature_c=88)
    readings(hot)
    device_at(location, "MINE-1").readings.create(measured_at=NOW, fill_percent=30)
    readings(location.devices.get())

    opened = run_on_commit(alarms.check, now=NOW)

    assert {(alarm.device_id, alarm.kind) for alarm in opened} == {(hot.pk, K.TEMPERATURE)}
    assert [m.subject for m in inbox(other_owner.email)] == [
        f"Possible fire: your trash 4-yard dumpster at {other_location.name} is very hot"
    ]
    assert inbox(customer_owner.email) == []
    assert not Notification.objects.filter(user=customer_owner).exists()
    client.force_login(customer_owner)
    mine = client.get(f"/locations/{location.pk}/sensors/")
    assert mine.status_code == 200 and "Needs attention" not in mine.content.decode()
    assert client.get(f"/locations/{other_location.pk}/sensors/").status_code == 404
    client.force_login(other_owner)
    theirs = client.get(f"/locations/{other_location.pk}/sensors/").content.decode()
    assert "Needs attention" in theirs and "It read 88.0 °C at Fri, May 1, 9:00 AM: a possible fire." in theirs


@pytest.mark.django_db
def test_a_fire_tells_the_business_and_staff(customer_owner, location, staff_user, clock, run_on_commit):
    device = device_at(location, "FIRE-1")
    device.readings.create(measured_at=NOW, fill_percent=30, temperature_c=75)
    readings(device)

    run_on_commit(alarms.check, now=NOW)

    assert [m.subject for m in inbox(customer_owner.email)] == [
        f"Possible fire: your trash 4-yard dumpster at {location.name} is very hot"
    ]
    [to_staff] = inbox(staff_user.email)
    assert to_staff.subject == f"Possible fire: {location.customer.name}, {location.name}"
    assert "/admin/sensors/alarm/" in to_staff.body


@pytest.mark.django_db
def test_a_bin_left_full_by_a_visit_is_for_staff_only(
    customer_owner, location, staff_user, clock, run_on_commit, settings
):
    settings.STAFF_ALERT_EMAILS = ["ops@haulmatch.example"]
    device = device_at(location, "FND-3", collect_at_percent=80)
    pickup = completed_visit(location, hours_ago=5)
    readings(device, (6, 90), (2.5, 88), (1, 89))
    factories.PickupFactory(
        location=location, container="dumpster_4yd", service_date=(NOW + dt.timedelta(days=1)).date()
    )

    run_on_commit(alarms.check, now=NOW)
    run_on_commit(alarms.check, now=NOW + dt.timedelta(minutes=5))

    [message] = inbox("ops@haulmatch.example")
    assert message.subject == f"Still full after pickup #{pickup.pk}: {location.customer.name}"
    assert f"/admin/marketplace/pickup/{pickup.pk}/change/" in message.body
    assert "a case for the trust flow" in message.body
    assert inbox(customer_owner.email) == []


@pytest.mark.django_db
def test_an_alarm_ingest_opened_is_told_to_staff_at_the_next_check_once(location, staff_user, clock, run_on_commit):
    device = device_at(location, "BAD-1")
    readings(device, (0, 40))
    # As ingest does when it refuses a value no sensor can measure.
    sensor_alarms.open_alarm(device=device, kind=K.IMPOSSIBLE_VALUE, detail="It sent a fill of 140%.", now=NOW)

    assert run_on_commit(alarms.check, device_ids=[device.pk], now=NOW) == []
    run_on_commit(alarms.check, now=NOW + dt.timedelta(minutes=5))

    [message] = inbox(staff_user.email)
    assert message.subject == "Sensor BAD-1 is reporting impossible values"
    assert "It sent a fill of 140%." in message.body
