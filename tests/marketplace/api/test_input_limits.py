"""Every input answered cleanly: nesting, size, huge numbers and control characters are a 400, never a 500.

The probes are the ones a stranger sends: 5,000 levels of brackets (10 kB) on every JSON endpoint,
the anonymous token endpoint included; a latitude of 1e300; a NUL inside a reading's time.
"""

import datetime as dt
import hashlib
import hmac
import json
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from core import jsonlimits
from customers.models import ServiceLocation
from haulers.models import Rate
from marketplace.api.parsers import DEFAULT_MAX_BYTES
from marketplace.models import ServiceProof
from sensors import integrations
from sensors import services as sensor_services
from sensors.models import Reading
from tests import factories
from tests.marketplace.api.conftest import client_for

TOKEN = "/api/v1/auth/token/"
LOCATIONS = "/api/v1/locations/"
READINGS = "/api/v1/sensors/readings/"
BATCH = "/api/v1/integrations/readings/"
UPLINK = "/api/v1/integrations/things-stack/uplink/"
RATES = "/api/v1/hauler/rates/"
WEBHOOK = "/billing/stripe/webhook/"

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DEEP = "[" * 5000 + "]" * 5000  # 10 kB; the standard library's parser recursed until the stack ran out
GOOD_LOCATION = {
    "name": "Main store",
    "street": "600 Congress Ave",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78701",
}


def ago(**delta) -> str:
    return (NOW - dt.timedelta(**delta)).isoformat().replace("+00:00", "Z")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def device_and_token(location):
    return sensor_services.register_device(
        by=None, location=location, serial="FS-0001", waste_stream="trash", container="dumpster_4yd"
    )


@pytest.fixture
def sensor(device_and_token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_DEVICE_TOKEN=device_and_token[1])
    return client


@pytest.fixture
def network(db) -> APIClient:
    _, key = integrations.create_integration(name="City LoRaWAN")
    client = APIClient()
    client.credentials(HTTP_X_INTEGRATION_KEY=key)
    return client


@pytest.fixture
def bins(location):
    """Ten bins the network reaches, by external ids of the longest length a device may have."""
    ids = []
    for n in range(10):
        device, _ = sensor_services.register_device(
            by=None, location=location, serial=f"FS-{n:04d}", waste_stream="trash", container="dumpster_4yd"
        )
        external_id = f"{n:04d}-" + "e" * 95
        sensor_services.set_network_identity(device=device, external_id=external_id, model="generic")
        ids.append(external_id)
    return ids


@pytest.fixture
def clients(anonymous, api, sensor, network, in_area_hauler):
    return {
        "anonymous": anonymous,
        "business": api,
        "hauler": client_for(factories.HaulerMembershipFactory(hauler=in_area_hauler).user),
        "device": sensor,
        "integration": network,
    }


ENDPOINTS = [
    ("anonymous", "post", TOKEN),
    ("business", "post", LOCATIONS),
    ("business", "patch", LOCATIONS + "{location}/"),
    ("business", "post", "/api/v1/quotes/"),
    ("hauler", "put", RATES),
    ("hauler", "post", "/api/v1/hauler/trucks/"),
    ("device", "post", READINGS),
    ("integration", "post", BATCH),
    ("integration", "post", UPLINK),
]


# --- Nesting and size ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "method", "url"), ENDPOINTS)
def test_deeply_nested_json_is_a_400_on_every_endpoint(clients, location, who, method, url):
    url = url.format(location=location.pk)
    for body in (DEEP, '{"readings": ' + nested(2000) + "}", "[" * 5000 + "}" * 5000):
        response = getattr(clients[who], method)(url, body, content_type="application/json")

        assert response.status_code == 400, (url, response.content[:200])
        assert response.json()["code"] == "parse_error"
        assert "nest at most 64 deep" in response.json()["detail"]
    assert not Reading.objects.exists() and ServiceLocation.objects.count() == 1


@pytest.mark.django_db
def test_nesting_up_to_the_limit_is_read_and_one_level_more_is_not(api):
    within = api.post(LOCATIONS, {**GOOD_LOCATION, "extra": json.loads(nested(63))}, format="json")
    beyond = api.post(LOCATIONS, {**GOOD_LOCATION, "extra": json.loads(nested(64))}, format="json")

    assert within.status_code == 201  # the body is 64 deep: the object and 63 lists
    assert (beyond.status_code, beyond.json()["code"]) == (400, "parse_error")


def test_the_depth_is_measured_without_recursion_and_strings_do_not_count():
    assert not jsonlimits.nesting_exceeds(nested(64))
    assert jsonlimits.nesting_exceeds(nested(65))
    assert jsonlimits.nesting_exceeds(nested(1_000_000))  # no RecursionError at any depth
    assert not jsonlimits.nesting_exceeds(json.dumps({"note": "[" * 500 + '\\"{' * 100}))
    assert not jsonlimits.nesting_exceeds(json.dumps([[1, {"a": [2]}], [], {}] * 10_000), limit=4)
    assert jsonlimits.nesting_exceeds("[" * 100 + "}" * 100)  # crossed kinds are counted as brackets
    assert jsonlimits.nesting_exceeds("[[]]]") and jsonlimits.nesting_exceeds("[[[]]")  # unbalanced
    # Brackets in strings do not count, escaped quotes and backslashes included; ones outside always do.
    assert not jsonlimits.nesting_exceeds(json.dumps(["\\", '\\"]]]]', '"[[[['] * 3), limit=1)
    assert jsonlimits.nesting_exceeds("[" + '"]", [' * 70 + "]" * 71)
    with pytest.raises(ValueError):
        jsonlimits.loads("[[[}}}")
    assert jsonlimits.loads('{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}


@pytest.mark.django_db
def test_a_body_over_the_apis_bound_is_400_too_large_and_ingest_takes_more(api, network):
    padding = " " * DEFAULT_MAX_BYTES
    response = api.post(LOCATIONS, json.dumps(GOOD_LOCATION) + padding, content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (400, "too_large")
    assert ServiceLocation.objects.count() == 1
    # Over the API's bound, under the batch endpoint's: read, and answered on its merits.
    batch = network.post(BATCH, '{"readings": []}' + padding, content_type="application/json")
    assert batch.status_code == 200 and batch.json()["accepted"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_largest_legitimate_batch_of_5000_readings_is_accepted(network, bins):
    # Every field a reading may carry, the longest device ids, pretty-printed: over 3 MB, more than
    # Django reads into request.body by default (2.5 MB), under the endpoint's 8 MB.
    readings = [
        {
            "device": bins[n % 10],
            "measured_at": (NOW - dt.timedelta(minutes=n // 10 + 1, microseconds=123_456)).isoformat(),
            "fill_percent": n % 101,
            "battery_percent": 100,
            "temperature_c": -59.9,
            "tilt_degrees": 180,
            "compactions": 100_000,
        }
        for n in range(5000)
    ]
    body = json.dumps({"readings": readings}, indent=4)
    body += " " * (3_300_000 - len(body))  # and room for a payload's worth of each
    assert len(body) > 2.5 * 1024 * 1024

    response = network.post(BATCH, body, content_type="application/json")

    assert response.status_code == 201, response.content[:300]
    assert response.json()["accepted"] == 5000
    assert Reading.objects.count() == 5000


# --- Numbers ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("coordinates", "field"),
    [
        ({"latitude": 1e300, "longitude": -97.74}, "latitude"),
        ({"latitude": 1e25, "longitude": -97.74}, "latitude"),
        ({"latitude": 30.27, "longitude": -4.46e307}, "longitude"),
        ({"latitude": -90.0000001, "longitude": -97.74}, "latitude"),
        ({"latitude": 30.27, "longitude": 180.5}, "longitude"),
        ({"latitude": "1e999999999", "longitude": -97.74}, "latitude"),
    ],
)
def test_coordinates_out_of_range_are_400_naming_the_field(api, coordinates, field):
    response = api.post(LOCATIONS, {**GOOD_LOCATION, **coordinates}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert ServiceLocation.objects.count() == 1


@pytest.mark.django_db
def test_coordinates_at_the_edges_are_kept(api):
    response = api.post(LOCATIONS, {**GOOD_LOCATION, "latitude": 90, "longitude": -180}, format="json")

    assert response.status_code == 201
    assert (response.json()["latitude"], response.json()["longitude"]) == (90, -180)


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["1e400", "-1e999", "NaN", "Infinity", "-Infinity"])
def test_numbers_no_float_holds_are_a_parse_error(api, sensor, number):
    body = json.dumps(GOOD_LOCATION)[:-1] + f', "latitude": {number}, "longitude": -97.7}}'
    response = api.post(LOCATIONS, body, content_type="application/json")
    reading = sensor.post(
        READINGS,
        f'{{"measured_at": "{ago(minutes=1)}", "fill_percent": 5, "temperature_c": {number}}}',
        content_type="application/json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "parse_error")
    assert (reading.status_code, reading.json()["code"]) == (400, "parse_error")
    assert ServiceLocation.objects.count() == 1 and not Reading.objects.exists()


@pytest.mark.django_db
def test_huge_counts_and_prices_are_field_errors(clients):
    hauler = clients["hauler"]
    rate = {"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 10**30, "extra_container_cents": 0}
    before = list(Rate.objects.values_list("pk", "price_cents"))

    response = hauler.put(RATES, [rate], format="json")

    assert response.status_code == 400
    assert list(Rate.objects.values_list("pk", "price_cents")) == before


# --- Charset ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("charset", ["zlib", "bz2", "base64", "rot13", "latin-1", "utf-16", "no-such-codec"])
def test_a_body_in_any_charset_but_utf8_is_415_before_it_is_read(anonymous, customer_owner, charset):
    # The client's charset once chose the decoder: 48 KB of zlib inflated to 50 MB past the 1 MB bound, then a 500.
    bomb = zlib.compress(json.dumps({"email": customer_owner.email, "password": " " * 4_000_000}).encode())

    response = anonymous.post(TOKEN, bomb, content_type=f"application/json; charset={charset}")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/json; charset=UTF-8"]
)
def test_utf8_with_or_without_its_charset_is_read_and_other_bytes_are_a_parse_error(api, content_type):
    body = json.dumps({**GOOD_LOCATION, "name": "Café Olé"}, ensure_ascii=False).encode()

    taken = api.post(LOCATIONS, body, content_type=content_type)
    latin = api.post(LOCATIONS, body.decode().encode("latin-1"), content_type=content_type)

    assert taken.status_code == 201 and taken.json()["name"] == "Café Olé"
    assert (latin.status_code, latin.json()["code"]) == (400, "parse_error")
    assert ServiceLocation.objects.count() == 2  # the fixture's and the one taken


# --- Control characters ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("separator", ["\u0000", "\u001b", "\u007f"])
def test_a_control_character_inside_a_readings_time_is_400_naming_it(sensor, separator):
    measured_at = ago(minutes=1).replace("T", separator)  # Python's ISO parser takes any character here

    one = sensor.post(READINGS, {"measured_at": measured_at, "fill_percent": 40}, format="json")
    batch = sensor.post(
        READINGS,
        {"readings": [{"measured_at": ago(minutes=2), "fill_percent": 41}, {"measured_at": measured_at}]},
        format="json",
    )

    assert one.status_code == 400
    assert list(one.json()) == ["measured_at"]
    assert one.json()["measured_at"][0].startswith("Holds a control character")
    assert batch.status_code == 400
    assert "readings[1].measured_at" in batch.json()["readings"][0]
    assert not Reading.objects.exists()


@pytest.mark.django_db
def test_a_control_character_in_an_integrations_batch_or_uplink_is_400(network, bins):
    batch = network.post(
        BATCH,
        {"readings": [{"device": bins[0] + "\x00", "measured_at": ago(minutes=1), "fill_percent": 3}]},
        format="json",
    )
    uplink = network.post(
        UPLINK,
        {"end_device_ids": {"device_id": bins[0]}, "uplink_message": {"received_at": ago(minutes=1) + "\x00"}},
        format="json",
    )

    assert batch.status_code == 400 and "readings[0].device" in batch.json()["readings"][0]
    assert uplink.status_code == 400 and "uplink_message.received_at" in uplink.json()["uplink_message"][0]
    assert not Reading.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "Main\x00store"), ("street", "600 Congress\x1b[31m Ave"), ("city", "Austin\x08"), ("name", "\ud800")],
)
def test_a_control_character_or_lone_surrogate_in_a_text_field_is_400_naming_it(api, field, value):
    body = json.dumps({**GOOD_LOCATION, field: value})  # "\ud800" is sent as the escape, as JSON allows

    response = api.post(LOCATIONS, body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert ServiceLocation.objects.count() == 1


@pytest.mark.django_db
def test_a_control_character_in_a_key_or_the_token_request_is_400(anonymous, customer_owner):
    key = anonymous.post(TOKEN, {"email": customer_owner.email, "password\x00": "x"}, format="json")
    value = anonymous.post(TOKEN, {"email": customer_owner.email, "password": "pass\x00word"}, format="json")

    assert key.status_code == 400 and "U+0000" in next(iter(key.json().values()))[0]
    assert value.status_code == 400 and list(value.json()) == ["password"]


@pytest.mark.django_db
def test_tabs_and_newlines_are_text(api):
    body = {**GOOD_LOCATION, "access_notes": "Gate code 4321\r\nBins:\tbehind the kitchen"}

    response = api.post(LOCATIONS, body, format="json")

    assert response.status_code == 201
    assert response.json()["access_notes"] == body["access_notes"]


@pytest.mark.django_db
def test_a_control_character_in_a_proofs_form_fields_is_400(in_area_hauler, customer, location):
    hauler_api = client_for(factories.HaulerMembershipFactory(hauler=in_area_hauler).user)
    job = factories.PickupFactory(
        customer=customer, location=location, hauler=in_area_hauler, service_date=timezone.localdate()
    )
    photo = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")

    response = hauler_api.post(
        f"/api/v1/hauler/jobs/{job.pk}/complete/", {"photo": photo, "notes": "left\x00 by the gate"}, format="multipart"
    )

    assert response.status_code == 400 and list(response.json()) == ["notes"]
    assert not ServiceProof.objects.exists()


# --- The Stripe webhook reads its own body ---------------------------------------------------


def signed(payload: str, secret: str = "whsec_test_secret") -> str:
    timestamp = int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


@pytest.mark.django_db
def test_a_signed_but_deeply_nested_webhook_is_400_not_500(client):
    # Only Stripe can sign, but a 500 is never the answer: the parse is bounded here too.
    payload = '{"id": "evt_1", "type": "invoice.paid", "data": ' + DEEP + "}"

    response = client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signed(payload))

    assert response.status_code == 400
