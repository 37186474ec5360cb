"""Network servers post with an integration key: The Things Stack's uplinks and multi-device batches."""

import base64
import datetime as dt
import json
import struct

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sensors import integrations
from sensors import services as sensor_services
from sensors.models import Alarm, Device, Integration, Reading
from tests import factories
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_schema import assert_matches_schema

BATCH = "/api/v1/integrations/readings/"
UPLINK = "/api/v1/integrations/things-stack/uplink/"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def ago(**delta) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat().replace("+00:00", "Z")


def keyed(key: str, *, bearer: bool = False) -> APIClient:
    client = APIClient()
    if bearer:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    else:
        client.credentials(HTTP_X_INTEGRATION_KEY=key)
    return client


def device_at(location, serial: str, external_id: str, model: str = "generic") -> Device:
    device, _ = sensor_services.register_device(
        by=None, location=location, serial=serial, waste_stream="trash", container="dumpster_4yd"
    )
    return sensor_services.set_network_identity(device=device, external_id=external_id, model=model)


def uplink(device_id="bin-0001", *, payload=None, decoded=None, received=None, port=1, dev_eui="0004A30B001C0530"):
    """An uplink message as The Things Stack's webhook sends it (trimmed of gateway metadata)."""
    message = {
        "end_device_ids": {
            "device_id": device_id,
            "application_ids": {"application_id": "city-bins"},
            "dev_eui": dev_eui,
            "join_eui": "800000000000000C",
            "dev_addr": "00BCB929",
        },
        "correlation_ids": ["as:up:01E0WZGT6Y7657CPFPE5WEYDSQ"],
        "received_at": received or ago(minutes=1),
        "uplink_message": {
            "session_key_id": "AXA50tHUGUucuzS/bCGMNw==",
            "f_cnt": 212,
            "f_port": port,
            "frm_payload": payload if payload is not None else fill_frame(),
            "rx_metadata": [{"gateway_ids": {"gateway_id": "gtw1"}, "rssi": -35, "snr": 5.2}],
            "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 7}}},
            "received_at": received or ago(minutes=1, seconds=1),
            "consumed_airtime": "0.056576s",
        },
    }
    if decoded is not None:
        message["uplink_message"]["decoded_payload"] = decoded
    return message


def fill_frame(fill=62, battery=88, tenths=215, tilt=2) -> str:
    return base64.b64encode(struct.pack(">BBhB", fill, battery, tenths, tilt)).decode()


@pytest.fixture
def network_and_key(db):
    return integrations.create_integration(name="City LoRaWAN")


@pytest.fixture
def network(network_and_key) -> APIClient:
    return keyed(network_and_key[1])


@pytest.fixture
def bin_one(location):
    return device_at(location, "FS-0001", "bin-0001", model="ultrasonic-fill-v1")


# --- Who may post ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("bearer", [False, True])
def test_an_uplink_with_the_key_lands_as_a_reading(network_and_key, bin_one, bearer):
    # The Things Stack writes nanoseconds; the reading keeps the microseconds.
    received = (NOW - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")

    response = keyed(network_and_key[1], bearer=bearer).post(UPLINK, uplink(received=received), format="json")

    assert response.status_code == 201, response.content
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": 0, "errors": {}}
    assert bin_one.readings.get().measured_at == NOW - dt.timedelta(minutes=1) + dt.timedelta(microseconds=123456)


@pytest.mark.django_db
def test_the_uplinks_bytes_are_decoded_by_the_devices_model(network, network_and_key, bin_one):
    received = ago(minutes=2)

    response = network.post(UPLINK, uplink(received=received, payload=fill_frame(fill=73, tenths=-55)), format="json")

    assert response.status_code == 201
    stored = Reading.objects.get()
    assert (stored.device, stored.fill_percent, stored.battery_percent, str(stored.temperature_c)) == (
        bin_one,
        73,
        88,
        "-5.5",
    )
    assert (stored.tilt_degrees, stored.measured_at) == (2, dt.datetime.fromisoformat(received))
    bin_one.refresh_from_db()
    network_and_key[0].refresh_from_db()
    assert (bin_one.last_fill_percent, bin_one.last_reading_at) == (73, stored.measured_at)
    assert network_and_key[0].last_used_at is not None


@pytest.mark.django_db
def test_a_payload_formatters_values_are_taken_as_decoded(network, location):
    device = device_at(location, "FS-0002", "bin-0002")  # generic: it has no byte decoder of ours

    response = network.post(
        UPLINK, uplink("bin-0002", payload="AAAA", decoded={"fill_percent": 41, "luminosity": 0.6}), format="json"
    )

    assert response.status_code == 201
    assert device.readings.get().fill_percent == 41


@pytest.mark.django_db
def test_the_device_is_found_by_its_dev_eui_when_the_device_id_is_not_known(network, location):
    device = device_at(location, "FS-0003", "70B3D57ED0000001", model="ultrasonic-fill-v1")

    response = network.post(UPLINK, uplink("ttn-name-we-do-not-know", dev_eui="70b3d57ed0000001"), format="json")

    assert response.status_code == 201
    assert device.readings.count() == 1


@pytest.mark.django_db
def test_a_retried_webhook_is_a_duplicate(network, bin_one):
    message = uplink(received=ago(minutes=3))

    first = network.post(UPLINK, message, format="json")
    again = network.post(UPLINK, message, format="json")

    assert first.status_code == 201
    assert (again.status_code, again.json()) == (200, {"accepted": 0, "duplicates": 1, "rejected": 0, "errors": {}})
    assert Reading.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"end_device_ids": {"device_id": "bin-0001"}, "join_accept": {"session_key_id": "x"}}, "uplink_message"),
        (uplink("nobody", dev_eui="FFFF"), "end_device_ids"),
        ({**uplink(), "end_device_ids": "bin-0001"}, "end_device_ids"),
        (uplink(payload="%%% not base64 %%%"), "uplink_message.frm_payload"),
        (uplink(port=2), "uplink_message.frm_payload"),
        (uplink(port="one"), "uplink_message.f_port"),
        (uplink(received="yesterday"), "measured_at"),
        (uplink(decoded={"fill_percent": "62"}), "fill_percent"),
    ],
)
def test_a_message_without_a_reading_is_200_with_its_problem_at_index_0(network, bin_one, message, field):
    response = network.post(UPLINK, message, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (0, 1)
    assert field in body["errors"]["0"]
    assert not Reading.objects.exists()
    assert not Alarm.objects.exists()


@pytest.mark.django_db
def test_an_uplink_the_model_cannot_read_opens_the_impossible_value_alarm(network, bin_one):
    short = base64.b64encode(b"\x01").decode()

    response = network.post(UPLINK, uplink(payload=short), format="json")

    assert response.status_code == 200
    assert "uplink_message.frm_payload" in response.json()["errors"]["0"]
    assert Alarm.objects.get().kind == Alarm.Kind.IMPOSSIBLE_VALUE


@pytest.mark.django_db
@pytest.mark.parametrize("path", [BATCH, UPLINK])
def test_no_key_is_401_and_a_wrong_one_too(anonymous, bin_one, path):
    response = anonymous.post(path, uplink(), format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("X-Integration-Key")

    for client in (keyed("hmi_wrong"), keyed("hmi_wrong", bearer=True), keyed("")):
        assert client.post(path, uplink(), format="json").status_code == 401
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_an_inactive_integration_and_other_tokens_are_not_keys(network_and_key, network, bin_one, customer_owner):
    _, device_token = sensor_services.register_device(
        by=None, location=bin_one.location, serial="FS-TOKEN", waste_stream="trash", container="dumpster_4yd"
    )
    as_device = APIClient()
    as_device.credentials(HTTP_X_DEVICE_TOKEN=device_token)
    assert as_device.post(UPLINK, uplink(), format="json").status_code == 401
    assert client_for(customer_owner).post(UPLINK, uplink(), format="json").status_code == 401
    assert keyed(device_token).post(UPLINK, uplink(), format="json").status_code == 401

    Integration.objects.filter(pk=network_and_key[0].pk).update(active=False)
    response = network.post(UPLINK, uplink(), format="json")
    assert (response.status_code, response.json()["code"]) == (401, "authentication_failed")
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_an_integration_key_opens_no_other_endpoint(network):
    assert network.get("/api/v1/locations/").status_code == 401
    assert network.post("/api/v1/sensors/readings/", {"fill_percent": 1}, format="json").status_code == 401


# --- The batch ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_stores_the_good_reports_the_rest_and_hands_the_devices_on_in_one_task(
    network, bin_one, location, django_capture_on_commit_callbacks
):
    other = device_at(location, "FS-0002", "bin-0002")
    theirs = device_at(factories.LocationFactory(customer=factories.CustomerFactory()), "FS-X", "bin-x")
    _, scoped_key = integrations.create_integration(name="Vendor", customer=location.customer)
    batch = {
        "readings": [
            {"device": "bin-0001", "measured_at": ago(minutes=30), "payload": fill_frame(fill=10)},
            {"device": "bin-0002", "measured_at": ago(minutes=30), "fill_percent": 20},
            {"device": "bin-x", "measured_at": ago(minutes=30), "fill_percent": 30},
            {"device": "bin-0002", "measured_at": ago(minutes=20), "fill_percent": 101},
        ]
    }

    with django_capture_on_commit_callbacks() as handed_on:
        response = keyed(scoped_key).post(BATCH, batch, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 2)
    assert body["errors"] == {
        "2": {"device": integrations.UNKNOWN_DEVICE},
        "3": {"fill_percent": ["Enter a percent from 0 to 100."]},
    }
    assert not theirs.readings.exists()
    assert Alarm.objects.get().device == other
    assert len(handed_on) == 1  # one task for the batch, with both devices
    assert handed_on[0].func.__self__.name == "marketplace.evaluate_devices"
    assert handed_on[0].args == ((sorted([bin_one.pk, other.pk]),),)  # apply_async's args tuple

    again = keyed(scoped_key).post(BATCH, batch, format="json")
    assert again.status_code == 200
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 2)


@pytest.mark.django_db
def test_the_handed_on_task_refreshes_the_forecasts_and_runs_the_rules(
    network, bin_one, django_capture_on_commit_callbacks
):
    readings = [
        {"device": "bin-0001", "measured_at": ago(hours=h), "fill_percent": 90 - 5 * h} for h in range(6, 0, -1)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = network.post(BATCH, {"readings": readings}, format="json")

    assert response.status_code == 201
    bin_one.refresh_from_db()
    assert bin_one.fill_rate_per_day is not None and bin_one.fill_rate_per_day > 0
    assert bin_one.full_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ([], "detail"),
        ("readings", "detail"),
        ({"reading": []}, "detail"),
        ({"readings": {"device": "bin-0001"}}, "readings"),
    ],
)
def test_a_malformed_batch_is_400(network, body, key):
    response = network.post(BATCH, body, format="json")
    assert response.status_code == 400
    assert key in response.json()


@pytest.mark.django_db
def test_broken_json_and_too_many_readings_are_400_and_a_huge_body_413(network, bin_one):
    broken = network.post(BATCH, '{"readings": [', content_type="application/json")
    assert (broken.status_code, broken.json()["code"]) == (400, "parse_error")

    many = [{"device": "bin-0001", "measured_at": ago(seconds=n), "fill_percent": 5} for n in range(5001)]
    response = network.post(BATCH, {"readings": many}, format="json")
    assert response.status_code == 400
    assert response.json() == {"readings": ["Send at most 5,000 readings at a time."]}

    padding = " " * (9 * 1024 * 1024)
    huge = network.post(BATCH, '{"readings": []}' + padding, content_type="application/json")
    assert (huge.status_code, huge.json()["code"]) == (413, "too_large")
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_over_the_rate_limit_is_429_with_retry_after_and_stores_nothing(network_and_key, network, bin_one):
    integration, _ = network_and_key
    Integration.objects.filter(pk=integration.pk).update(readings_per_minute=3)
    batch = {"readings": [{"device": "bin-0001", "measured_at": ago(minutes=n), "fill_percent": 5} for n in (3, 2)]}

    assert network.post(BATCH, batch, format="json").status_code == 201
    refused = network.post(BATCH, batch, format="json")

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled"
    assert "3 readings a minute" in refused.json()["detail"]
    assert network.post(UPLINK, uplink(), format="json").status_code == 201  # one more still fits
    assert Reading.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_no_minute_could_take_is_400_not_a_429_to_retry_forever(network_and_key, network, bin_one):
    integration, _ = network_and_key
    Integration.objects.filter(pk=integration.pk).update(readings_per_minute=3)
    batch = {"readings": [{"device": "bin-0001", "measured_at": ago(minutes=n), "fill_percent": 5} for n in range(4)]}

    refused = network.post(BATCH, batch, format="json")

    assert refused.status_code == 400
    assert refused.json()["readings"] == [
        "This integration may send 3 readings a minute: send at most that many in one request."
    ]
    assert not Reading.objects.exists()
    batch["readings"].pop()  # and it took nothing of the minute's budget
    assert network.post(BATCH, batch, format="json").status_code == 201


@pytest.mark.django_db
def test_a_5000_reading_batch_takes_a_bounded_number_of_queries(network, location, django_assert_max_num_queries):
    for n in range(10):
        device_at(location, f"FS-{n:04d}", f"eui-{n:04d}")
    readings = [
        {"device": f"eui-{n % 10:04d}", "measured_at": ago(minutes=5 * (n // 10) + 1), "fill_percent": n % 100}
        for n in range(5000)
    ]
    # The key, the devices, then the readings and the devices' rows: a handful on PostgreSQL (one statement),
    # SQLite's inserts chunked by its parameter limit. None grows with the devices.
    with django_assert_max_num_queries(60):
        response = network.post(BATCH, {"readings": readings}, format="json")
    assert (response.status_code, response.json()["accepted"]) == (201, 5000)


# --- Fuzzing ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["bin-0001", ago(minutes=3), "2026-13-45T99:99:99Z", "AAAA", "PlgA0gA=", "%%%"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
READING_KEYS = ["device", "measured_at", "fill_percent", "battery_percent", "temperature_c", "tilt_degrees"]
reading_keys = st.sampled_from([*READING_KEYS, "compactions", "payload", "f_port"])
readings = st.lists(st.dictionaries(reading_keys, json_values, max_size=8) | json_values, max_size=6)
uplinks = st.fixed_dictionaries(
    {},
    optional={
        "end_device_ids": st.fixed_dictionaries({}, optional={"device_id": json_values, "dev_eui": json_values})
        | json_values,
        "received_at": json_values,
        "uplink_message": st.fixed_dictionaries(
            {},
            optional={
                "frm_payload": json_values | st.binary(max_size=8).map(lambda raw: base64.b64encode(raw).decode()),
                "f_port": json_values,
                "received_at": json_values,
                "decoded_payload": st.dictionaries(reading_keys, json_values, max_size=5) | json_values,
            },
        )
        | json_values,
    },
)
FUZZ = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_answered(response):
    assert response.status_code in {200, 201, 400, 413, 429}, response.content
    assert isinstance(response.json(), dict)


@pytest.mark.django_db
@FUZZ
@given(body=st.one_of(st.fixed_dictionaries({"readings": readings}), json_values))
def test_fuzzed_batches_never_fail(network, bin_one, body):
    assert_answered(network.post(BATCH, json.dumps(body), content_type="application/json"))


@pytest.mark.django_db
@FUZZ
@given(message=st.one_of(uplinks, json_values))
def test_fuzzed_uplinks_never_fail(network, bin_one, message):
    assert_answered(network.post(UPLINK, json.dumps(message), content_type="application/json"))


@pytest.mark.django_db
@FUZZ
@given(raw=st.binary(max_size=200))
def test_random_bytes_never_fail(network, raw):
    for path in (BATCH, UPLINK):
        assert_answered(network.post(path, raw, content_type="application/json"))


# --- The schema --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_responses_match_the_schema(network, bin_one, anonymous):
    openapi = SchemaGenerator().get_schema(request=None, public=True)
    for path in (BATCH, UPLINK):
        operation = openapi["paths"][path]["post"]
        assert operation["security"] == [{"integrationKey": []}, {"integrationBearer": []}]
    schemes = openapi["components"]["securitySchemes"]
    assert (schemes["integrationKey"]["name"], schemes["integrationBearer"]["scheme"]) == (
        "X-Integration-Key",
        "bearer",
    )

    created = network.post(UPLINK, uplink(), format="json")
    assert_matches_schema(openapi, created.json(), path=UPLINK, method="post", status=201)
    repeated = network.post(UPLINK, uplink(), format="json")
    assert_matches_schema(openapi, repeated.json(), path=UPLINK, method="post", status=200)
    rejected = network.post(BATCH, {"readings": [{"device": "nobody"}]}, format="json")
    assert_matches_schema(openapi, rejected.json(), path=BATCH, method="post", status=200)
    malformed = network.post(BATCH, [], format="json")
    assert_matches_schema(openapi, malformed.json(), path=BATCH, method="post", status=400)
    unauthenticated = anonymous.post(BATCH, {}, format="json")
    assert_matches_schema(openapi, unauthenticated.json(), path=BATCH, method="post", status=401)
    not_json = network.post(BATCH, "x", content_type="text/plain")
    assert_matches_schema(openapi, not_json.json(), path=BATCH, method="post", status=415)
