"""Bin sensors over the business API: register one (its token once), list, read, rotate the token."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import BusinessRole
from sensors.models import Device
from tests import factories
from tests.marketplace.api.conftest import client_for

SENSORS = "/api/v1/sensors/"
READINGS = "/api/v1/sensors/readings/"


def body(place, **overrides) -> dict:
    fields = {"location": place.pk, "serial": "SN-1001", "waste_stream": "trash", "container": "dumpster_4yd"}
    return {**fields, **overrides}


def reading(token: str):
    from rest_framework.test import APIClient

    body = {"fill_percent": 40, "measured_at": (timezone.now() - dt.timedelta(minutes=5)).isoformat()}
    return APIClient().post(READINGS, body, format="json", HTTP_X_DEVICE_TOKEN=token)


@pytest.fixture
def registered(api, location):
    response = api.post(SENSORS, body(location), format="json")
    assert response.status_code == 201
    return response.json()


@pytest.mark.django_db
def test_registering_a_sensor_returns_its_token_once(api, location, registered, run_on_commit):
    device = Device.objects.get()
    assert (registered["id"], registered["serial"], registered["location"]) == (device.pk, "SN-1001", location.pk)
    assert (registered["collect_at_percent"], registered["skip_below_percent"], registered["auto_book"]) == (
        80,
        30,
        False,
    )
    assert registered["token"].endswith(registered["token_hint"]) and len(registered["token"]) > 20
    assert "token" not in api.get(f"{SENSORS}{device.pk}/").json()
    assert [row["id"] for row in api.get(SENSORS).json()["results"]] == [device.pk]
    assert run_on_commit(reading, registered["token"]).status_code == 201


@pytest.mark.django_db
def test_rotating_a_token_stops_the_old_one(api, registered, run_on_commit):
    response = api.post(f"{SENSORS}{registered['id']}/rotate-token/")

    assert response.status_code == 200
    new = response.json()["token"]
    assert new != registered["token"] and new.endswith(response.json()["token_hint"])
    assert run_on_commit(reading, registered["token"]).status_code == 401
    assert run_on_commit(reading, new).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"serial": ""}, "serial"),
        ({"serial": "x" * 65}, "serial"),
        ({"waste_stream": "lava"}, "waste_stream"),
        ({"collect_at_percent": 101}, "collect_at_percent"),
        ({"collect_at_percent": 50, "skip_below_percent": 60}, "skip_below_percent"),
        ({"location": "downtown"}, "location"),
    ],
)
def test_bad_registrations_are_field_errors_and_save_nothing(api, location, overrides, field):
    response = api.post(SENSORS, body(location, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_a_serial_registered_twice_is_a_field_error(api, location, registered):
    response = api.post(SENSORS, body(location), format="json")
    assert (response.status_code, list(response.json())) == (400, ["serial"])
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_an_archived_location_takes_no_sensor(api, location):
    api.patch(f"/api/v1/locations/{location.pk}/", {"archived": True}, format="json")
    response = api.post(SENSORS, body(location), format="json")
    assert (response.status_code, list(response.json())) == (400, ["non_field_errors"])


@pytest.mark.django_db
def test_another_business_cannot_register_at_a_location_or_see_a_sensor(registered, other_customer, location):
    rival = client_for(other_customer.memberships.get().user)

    assert rival.post(SENSORS, body(location, serial="SN-2"), format="json").status_code == 404
    assert rival.get(f"{SENSORS}{registered['id']}/").status_code == 404
    assert rival.post(f"{SENSORS}{registered['id']}/rotate-token/").status_code == 404
    assert rival.get(SENSORS).json()["results"] == []
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_a_member_may_see_sensors_but_not_register_or_rotate(customer, location, registered):
    member = client_for(factories.CustomerMembershipFactory(customer=customer, role=BusinessRole.MEMBER).user)
    manager = client_for(factories.CustomerMembershipFactory(customer=customer, role=BusinessRole.MANAGER).user)
    device = Device.objects.get()

    assert member.get(SENSORS).status_code == 200
    refused = member.post(SENSORS, body(location, serial="SN-2"), format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert member.post(f"{SENSORS}{device.pk}/rotate-token/").status_code == 403
    device.refresh_from_db()
    assert device.token_hint == registered["token_hint"] and Device.objects.count() == 1
    assert manager.post(SENSORS, body(location, serial="SN-3"), format="json").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 20])
def test_the_sensor_list_costs_the_same_queries_at_any_length(api, location, count, django_assert_max_num_queries):
    for n in range(count):
        api.post(SENSORS, body(location, serial=f"SN-{n}"), format="json")
    with django_assert_max_num_queries(5):
        assert len(api.get(SENSORS, {"page_size": 50}).json()["results"]) == count
