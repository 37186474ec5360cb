"""The staff's alarm queue in the admin: open alarms first, filters, links to the bin, and acknowledging."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sensors import alarms
from sensors.models import Alarm, Device, hash_token
from tests import factories

QUEUE = reverse("admin:sensors_alarm_changelist")
K = Alarm.Kind


def device_at(location, serial: str) -> Device:
    return Device.objects.create(
        serial=serial,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        token_hash=hash_token(serial),
        token_hint="abcd",
    )


@pytest.fixture
def queue(location):
    """Alarms on bins of several businesses: two open, one closed (the newest), one acknowledged."""
    now = timezone.now()
    made = {}
    for n, (kind, hours_ago, closed) in enumerate(
        [(K.OFFLINE, 5, False), (K.FILL_NOT_DROPPING, 3, False), (K.TILT, 1, True), (K.BATTERY_LOW, 8, False)]
    ):
        device = device_at(location if n == 0 else factories.LocationFactory(), f"Q-{n}")
        alarm = alarms.open_alarm(
            device=device,
            kind=kind,
            detail=f"Alarm {n}.",
            context={"pickup": 7} if kind == K.FILL_NOT_DROPPING else {},
            now=now - dt.timedelta(hours=hours_ago),
        )
        if closed:
            alarms.close_alarm(device=device, kind=kind, now=now)
        made[kind] = alarm
    Alarm.objects.filter(pk=made[K.BATTERY_LOW].pk).update(acknowledged_at=now)
    return made


@pytest.mark.django_db
def test_the_queue_lists_open_alarms_first_with_the_bin_and_its_place_linked(
    staff_client, queue, location, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = staff_client.get(QUEUE)

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    # Open ones first (newest first), then the closed one, although it opened last.
    assert [alarm.kind for alarm in rows] == [K.FILL_NOT_DROPPING, K.OFFLINE, K.BATTERY_LOW, K.TILT]
    html = response.content.decode()
    offline = queue[K.OFFLINE]
    assert reverse("admin:sensors_device_change", args=[offline.device_id]) in html
    assert reverse("admin:customers_servicelocation_change", args=[location.pk]) in html
    assert location.customer.name in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ({"state": "open"}, {K.OFFLINE, K.FILL_NOT_DROPPING, K.BATTERY_LOW}),
        ({"state": "closed"}, {K.TILT}),
        ({"acknowledged": "yes"}, {K.BATTERY_LOW}),
        ({"acknowledged": "no", "state": "open"}, {K.OFFLINE, K.FILL_NOT_DROPPING}),
        ({"kind__exact": K.OFFLINE}, {K.OFFLINE}),
    ],
)
def test_the_queue_filters_by_kind_state_and_acknowledgement(staff_client, queue, query, kinds):
    response = staff_client.get(QUEUE, query)
    assert {alarm.kind for alarm in response.context["cl"].result_list} == kinds


@pytest.mark.django_db
def test_acknowledging_records_who_and_when_once(staff_client, staff_user, queue):
    chosen = [queue[K.OFFLINE].pk, queue[K.BATTERY_LOW].pk]
    response = staff_client.post(QUEUE, {"action": "acknowledge", "_selected_action": chosen}, follow=True)

    assert response.status_code == 200
    assert "Acknowledged 1 alarm" in response.content.decode()
    offline = Alarm.objects.get(pk=queue[K.OFFLINE].pk)
    assert offline.acknowledged_by == staff_user and offline.acknowledged_at is not None
    assert Alarm.objects.get(pk=queue[K.BATTERY_LOW].pk).acknowledged_by is None  # acknowledged before, kept


@pytest.mark.django_db
def test_an_alarm_page_shows_what_it_is_about_and_cannot_be_edited_added_or_deleted(staff_client, queue):
    alarm = queue[K.FILL_NOT_DROPPING]
    page = staff_client.get(reverse("admin:sensors_alarm_change", args=[alarm.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("admin:marketplace_pickup_change", args=[7]) in html and "Pickup #7" in html
    assert staff_client.get(reverse("admin:sensors_alarm_add")).status_code == 403
    assert staff_client.post(reverse("admin:sensors_alarm_delete", args=[alarm.pk])).status_code == 403
    staff_client.post(reverse("admin:sensors_alarm_change", args=[alarm.pk]), {"detail": "Changed."})
    alarm.refresh_from_db()
    assert alarm.detail == "Alarm 1."


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_four_alarms_as_for_twenty(staff_client, queue, staff_user):
    def listing() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(QUEUE).status_code == 200
        return len(queries)

    four = listing()
    for n in range(16):
        device = device_at(factories.LocationFactory(), f"MORE-{n}")
        alarm = alarms.open_alarm(device=device, kind=K.OVERFLOW_RISK, detail="Soon full.", context={"pickup": n})
        alarms.acknowledge(alarms=Alarm.objects.filter(pk=alarm.pk), user=staff_user)

    assert listing() == four
