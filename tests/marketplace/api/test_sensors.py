"""Sensors post readings with their own token: who may, what is kept, what is refused, and what it costs."""

import datetime as dt
import json

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sensors import services as sensor_services
from sensors.ingest import TEMPERATURE_RANGE
from sensors.models import Device, Reading
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_integrations import FUZZ, assert_answered, json_values, reading_keys
from tests.marketplace.api.test_schema import assert_matches_schema

URL = "/api/v1/sensors/readings/"


def device_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_DEVICE_TOKEN=token)
    return client


def register(location, serial: str = "FS-0001") -> tuple[Device, str]:
    return sensor_services.register_device(
        by=None, location=location, serial=serial, waste_stream="trash", container="dumpster_4yd"
    )


# One "now" per test run, so two readings built for the same minute are the same reading.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat()


def reading(minutes_ago: int = 10, fill: int = 40, **extra) -> dict:
    return {"fill_percent": fill, "measured_at": ago(minutes=minutes_ago), **extra}


@pytest.fixture
def device_and_token(location):
    return register(location)


@pytest.fixture
def device(device_and_token):
    return device_and_token[0]


@pytest.fixture
def sensor(device_and_token) -> APIClient:
    return device_client(device_and_token[1])


@pytest.mark.django_db(transaction=True)
def test_a_burning_bins_reading_is_stored_and_raises_the_fire_alarm_not_an_impossible_value(sensor, device):
    response = sensor.post(URL, reading(fill=60, temperature_c=120), format="json")

    assert response.status_code == 201 and response.json()["accepted"] == 1
    assert Reading.objects.get().temperature_c == 120
    kinds = set(device.alarms.filter(closed_at__isnull=True).values_list("kind", flat=True))
    assert kinds == {"temperature"}


# --- Who may post ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_reading_is_stored_for_the_tokens_device(sensor, device):
    response = sensor.post(URL, reading(fill=55, battery_percent=90, temperature_c=21.5), format="json")

    assert response.status_code == 201
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": 0, "errors": {}}
    stored = Reading.objects.get()
    assert (stored.device, stored.fill_percent, stored.battery_percent, str(stored.temperature_c)) == (
        device,
        55,
        90,
        "21.5",
    )


@pytest.mark.django_db
def test_no_token_is_401(anonymous):
    response = anonymous.post(URL, reading(), format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("X-Device-Token")
    assert not Reading.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["hmd_not-a-real-token", "", "   "])
def test_a_wrong_token_is_401(device, token):
    response = device_client(token).post(URL, reading(), format="json")

    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_an_inactive_devices_token_is_401(sensor, device):
    sensor_services.update_rules(
        device=device, collect_at_percent=80, auto_book=False, skip_below_percent=30, active=False
    )

    response = sensor.post(URL, reading(), format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_the_token_decides_the_device_whatever_the_body_says(location, other_customer, device):
    theirs, their_token = register(other_customer.locations.get(), serial="FS-THEIRS")

    response = device_client(their_token).post(URL, reading(device=device.pk, serial=device.serial), format="json")

    assert response.status_code == 201
    assert list(Reading.objects.values_list("device", flat=True)) == [theirs.pk]


@pytest.mark.django_db
def test_a_users_api_token_is_not_a_device_token(customer_owner, device):
    as_user = client_for(customer_owner)  # Authorization: Token <the user's key>
    assert as_user.post(URL, reading(), format="json").status_code == 401

    user_key = as_user._credentials["HTTP_AUTHORIZATION"].split()[1]
    assert device_client(user_key).post(URL, reading(), format="json").status_code == 401
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_a_signed_in_session_is_not_a_device(client, customer_owner, device):
    client.force_login(customer_owner)
    assert client.post(URL, reading(), content_type="application/json").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/locations/", "/api/v1/pickups/", "/api/v1/hauler/offers/"])
def test_other_endpoints_do_not_accept_a_device_token(sensor, path):
    assert sensor.get(path).status_code == 401


@pytest.mark.django_db
def test_a_rotated_token_stops_working_at_once(sensor, device):
    new_token = sensor_services.rotate_token(by=None, device=device)

    assert sensor.post(URL, reading(), format="json").status_code == 401
    assert device_client(new_token).post(URL, reading(), format="json").status_code == 201


# --- Bodies ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_keeps_the_good_readings_and_reports_the_bad_by_index(sensor, device):
    batch = [
        reading(30, fill=20),
        reading(20, fill=101),
        reading(10, fill=25),
        {"measured_at": ago(minutes=5)},
        "not an object",
    ]

    response = sensor.post(URL, {"readings": batch}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 3)
    assert set(body["errors"]) == {"1", "3", "4"}
    assert list(body["errors"]["1"]) == ["fill_percent"]
    assert list(body["errors"]["3"]) == ["fill_percent"]
    assert list(body["errors"]["4"]) == ["non_field_errors"]
    assert sorted(device.readings.values_list("fill_percent", flat=True)) == [20, 25]


@pytest.mark.django_db
def test_a_single_bad_reading_is_200_with_its_errors_under_index_0(sensor):
    response = sensor.post(URL, {"fill_percent": True, "measured_at": "yesterday"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (0, 0, 1)
    assert body["errors"]["0"]["fill_percent"] == ["Enter a whole number."]
    assert body["errors"]["0"]["measured_at"][0].startswith("Enter an ISO 8601 date and time")
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_sending_a_batch_again_stores_nothing_twice(sensor, device):
    batch = {"readings": [reading(30), reading(20), reading(20), reading(10)]}

    first = sensor.post(URL, batch, format="json")
    again = sensor.post(URL, batch, format="json")

    assert first.status_code == 201
    assert first.json() | {"errors": None} == {"accepted": 3, "duplicates": 1, "rejected": 0, "errors": None}
    assert again.status_code == 200
    assert again.json() == {"accepted": 0, "duplicates": 4, "rejected": 0, "errors": {}}
    assert device.readings.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([reading()], "detail"),
        ("just a string", "detail"),
        (42, "detail"),
        ({"readings": reading()}, "readings"),
        ({"readings": "all of them"}, "readings"),
    ],
)
def test_a_malformed_body_is_400(sensor, body, key):
    response = sensor.post(URL, body, format="json")

    assert response.status_code == 400
    assert key in response.json()
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_broken_json_is_400(sensor):
    response = sensor.post(URL, '{"fill_percent": 40,', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_nan_is_not_json(sensor):
    body = json.dumps(reading(1)).replace("}", ', "temperature_c": NaN}')
    response = sensor.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_415(sensor):
    response = sensor.post(URL, "fill_percent=40", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_501_readings_are_refused_whole(sensor):
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    batch = [{"fill_percent": 50, "measured_at": (base + dt.timedelta(seconds=n)).isoformat()} for n in range(501)]

    response = sensor.post(URL, {"readings": batch}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["readings"]
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_500_readings_are_stored_in_a_bounded_number_of_queries(sensor, device, django_assert_max_num_queries):
    base = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    batch = [
        {
            "fill_percent": n % 101,
            "measured_at": (base + dt.timedelta(minutes=5 * n)).isoformat(),
            "battery_percent": 80,
        }
        for n in range(500)
    ]
    # The device (auth), then in a savepoint (the test runs in a transaction): on PostgreSQL the batch's
    # temporary table and one statement storing the readings and the device's latest (the COPY between them
    # is not counted); on SQLite the readings already stored, five INSERTs (by its 999-parameter limit) and
    # the device's row. Neither grows with the readings stored.
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 10):
        response = sensor.post(URL, {"readings": batch}, format="json")

    assert response.status_code == 201
    assert response.json()["accepted"] == 500
    assert device.readings.count() == 500


@pytest.mark.django_db
@FUZZ
@given(
    body=st.one_of(
        st.dictionaries(reading_keys, json_values, max_size=8),
        st.fixed_dictionaries({"readings": st.lists(st.dictionaries(reading_keys, json_values) | json_values)}),
        json_values,
        st.binary(max_size=100),
    )
)
def test_fuzzed_bodies_never_fail(sensor, body):
    content = body if isinstance(body, bytes) else json.dumps(body)
    assert_answered(sensor.post(URL, content, content_type="application/json"))


# --- Handing off to the market ------------------------------------------------------------


@pytest.mark.django_db
def test_new_readings_queue_the_devices_evaluation_after_commit(sensor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as stored:
        sensor.post(URL, reading(10), format="json")
    with django_capture_on_commit_callbacks() as repeated:
        sensor.post(URL, reading(10), format="json")

    assert len(stored) == 1  # marketplace.tasks.evaluate_devices, for the forecast and the rules
    assert stored[0].func.__self__.name == "marketplace.evaluate_devices"
    assert repeated == []  # nothing new, nothing to evaluate


# --- The schema --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_responses_match_the_schema(sensor, anonymous):
    openapi = SchemaGenerator().get_schema(request=None, public=True)
    operation = openapi["paths"][URL]["post"]
    assert operation["security"] == [{"deviceToken": []}]
    assert openapi["components"]["securitySchemes"]["deviceToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Device-Token",
        "description": openapi["components"]["securitySchemes"]["deviceToken"]["description"],
    }

    created = sensor.post(URL, {"readings": [reading(10), reading(5, fill=-1)]}, format="json")
    assert_matches_schema(openapi, created.json(), path=URL, method="post", status=201)
    nothing_new = sensor.post(URL, {"readings": [reading(10)]}, format="json")
    assert nothing_new.status_code == 200
    assert_matches_schema(openapi, nothing_new.json(), path=URL, method="post", status=200)
    malformed = sensor.post(URL, [], format="json")
    assert_matches_schema(openapi, malformed.json(), path=URL, method="post", status=400)
    unauthenticated = anonymous.post(URL, reading(), format="json")
    assert_matches_schema(openapi, unauthenticated.json(), path=URL, method="post", status=401)
    not_json = sensor.post(URL, "x", content_type="text/plain")
    assert_matches_schema(openapi, not_json.json(), path=URL, method="post", status=415)


@pytest.mark.django_db
def test_the_schema_documents_the_temperatures_ingest_takes():
    # A client checking its readings against the schema must not refuse the 120 °C of a burning bin.
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    for name in ("Reading", "BatchReading"):
        temperature = schemas[name]["properties"]["temperature_c"]
        assert (temperature["minimum"], temperature["maximum"]) == tuple(float(limit) for limit in TEMPERATURE_RANGE)
