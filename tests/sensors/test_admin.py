"""Sensors in the admin: lists load without a query per row, rules go through the service, tokens rotate."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from sensors import services
from sensors.models import Device, Reading, hash_token
from tests import factories

DEVICES = reverse("admin:sensors_device_changelist")
READINGS = reverse("admin:sensors_reading_changelist")


def add_devices(location, count: int, *, start: int = 0) -> list[tuple[Device, str]]:
    made = []
    for n in range(start, start + count):
        device, token = services.register_device(
            by=None, location=location, serial=f"FS-{n:04d}", waste_stream="trash", container="dumpster_4yd"
        )
        services.ingest(
            device=device,
            items=[
                {"fill_percent": 10 + hour, "measured_at": timezone.now() - dt.timedelta(hours=hour)}
                for hour in range(3)
            ],
        )
        made.append((device, token))
    return made


@pytest.mark.django_db
def test_the_device_list_shows_rules_and_the_last_reading(staff_client, location):
    [(device, _)] = add_devices(location, 1)
    newest = device.readings.order_by("-measured_at").first().measured_at

    response = staff_client.get(DEVICES)

    assert response.status_code == 200
    [row] = response.context["cl"].result_list
    assert row.last_reading_at == newest  # kept on the row by ingest
    html = response.content.decode()
    assert "FS-0000" in html and "last reading" in html.lower()
    assert staff_client.get(DEVICES, {"q": "FS-00"}).status_code == 200
    assert staff_client.get(DEVICES, {"o": "9"}).status_code == 200  # sorted by last reading


@pytest.mark.django_db
def test_the_device_list_does_not_query_per_row(staff_client, location, django_assert_max_num_queries):
    add_devices(location, 2)
    staff_client.get(DEVICES)
    with django_assert_max_num_queries(6) as few:
        staff_client.get(DEVICES)
    add_devices(factories.LocationFactory(customer=location.customer), 8, start=10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(DEVICES)
    assert len(response.context["cl"].result_list) == 10


@pytest.mark.django_db
def test_the_change_page_edits_rules_through_the_service_and_never_shows_the_token(staff_client, location):
    [(device, token)] = add_devices(location, 1)
    change = reverse("admin:sensors_device_change", args=[device.pk])

    page = staff_client.get(change)
    assert page.status_code == 200
    html = page.content.decode()
    assert token not in html and device.token_hash not in html
    assert device.token_hint in html
    assert set(page.context["adminform"].form.fields) == {
        "collect_at_percent",
        "skip_below_percent",
        "auto_book",
        "use_forecast",
        "active",
        "external_id",
        "model",
        "kind",
        "capacity_multiplier",
        "compactions_when_full",
        "reporting_interval_minutes",
    }

    refused = staff_client.post(
        change, {**HARDWARE, "collect_at_percent": "40", "skip_below_percent": "60", "active": "on"}
    )
    assert refused.status_code == 200
    assert "skip_below_percent" in refused.context["adminform"].form.errors

    saved = staff_client.post(
        change, {**HARDWARE, "collect_at_percent": "90", "skip_below_percent": "10", "auto_book": "on"}
    )
    assert saved.status_code == 302
    device.refresh_from_db()
    assert (device.collect_at_percent, device.skip_below_percent, device.auto_book, device.active) == (
        90,
        10,
        True,
        False,
    )
    assert device.token_hash == hash_token(token)
    assert staff_client.get(reverse("admin:sensors_device_add")).status_code == 200  # staff register here


HARDWARE = {"model": "generic", "kind": "bin", "capacity_multiplier": "1", "reporting_interval_minutes": "60"}
RULES = {"collect_at_percent": "80", "skip_below_percent": "30", "use_forecast": "on", "active": "on"}


@pytest.mark.django_db
def test_staff_give_a_device_its_network_id_and_say_it_is_a_compactor(staff_client, location):
    (device, _), (other, _) = add_devices(location, 2)
    services.set_network_identity(device=other, external_id="eui-70b3d57ed0000001", model="generic")
    change = reverse("admin:sensors_device_change", args=[device.pk])

    taken = staff_client.post(change, {**RULES, **HARDWARE, "external_id": "eui-70b3d57ed0000001"})
    loose = staff_client.post(change, {**RULES, **HARDWARE, "capacity_multiplier": "4"})
    assert taken.status_code == loose.status_code == 200
    assert taken.context["adminform"].form.errors["external_id"] == ["Another sensor already has this external id."]
    assert "leave it at 1" in loose.context["adminform"].form.errors["capacity_multiplier"][0]
    device.refresh_from_db()
    assert device.external_id is None and device.kind == "bin"  # nothing of a refused form was saved

    saved = staff_client.post(
        change,
        {
            **RULES,
            **HARDWARE,
            "external_id": " eui-70b3d57ed0000002 ",
            "model": "compactor-v1",
            "kind": "compactor",
            "capacity_multiplier": "5",
            "compactions_when_full": "40",
            "reporting_interval_minutes": "240",
        },
    )
    assert saved.status_code == 302
    device.refresh_from_db()
    assert (device.external_id, device.model, device.kind) == ("eui-70b3d57ed0000002", "compactor-v1", "compactor")
    assert (device.capacity_multiplier, device.compactions_when_full, device.reporting_interval_minutes) == (5, 40, 240)


@pytest.mark.django_db
def test_the_rotate_action_shows_each_new_token_once(staff_client, location):
    (first, old_first), (second, old_second) = add_devices(location, 2)

    response = staff_client.post(
        DEVICES, {"action": "rotate_tokens", "_selected_action": [first.pk, second.pk]}, follow=True
    )

    [message] = [str(message) for message in response.context["messages"]]
    new = dict(re.findall(r"(FS-\d+): (hmd_\S+?)(?:;|$)", message))
    assert set(new) == {"FS-0000", "FS-0001"}
    assert services.device_for_token(old_first) is None and services.device_for_token(old_second) is None
    assert services.device_for_token(new["FS-0000"]) == first
    assert services.device_for_token(new["FS-0001"]) == second
    assert new["FS-0000"] not in staff_client.get(DEVICES).content.decode()


@pytest.mark.django_db
def test_readings_are_listed_read_only_with_filters_and_dates(staff_client, location, django_assert_max_num_queries):
    add_devices(location, 3)
    reading = Reading.objects.first()

    response = staff_client.get(READINGS)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 9
    html = response.content.decode()
    assert "FS-0002" in html
    for query in ({"device__waste_stream__exact": "trash"}, {"q": "FS-0001"}, {"measured_at__year": "2026"}):
        assert staff_client.get(READINGS, query).status_code == 200

    staff_client.get(READINGS)
    with django_assert_max_num_queries(8) as few:
        staff_client.get(READINGS)
    add_devices(location, 5, start=3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        staff_client.get(READINGS)

    change = reverse("admin:sensors_reading_change", args=[reading.pk])
    assert staff_client.get(change).status_code == 200  # a view-only page
    assert staff_client.post(change, {"fill_percent": "99"}).status_code == 403
    assert staff_client.get(reverse("admin:sensors_reading_add")).status_code == 403
    assert staff_client.get(reverse("admin:sensors_reading_delete", args=[reading.pk])).status_code == 403
