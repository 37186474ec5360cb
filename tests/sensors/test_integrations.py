"""Integration keys, the rate limit, and readings of many devices by external id, from batches and uplinks."""

import base64
import datetime as dt
import struct

import pytest
from django.core.exceptions import ValidationError

from sensors import integrations, services
from sensors.models import Alarm, Device, Integration, Reading, hash_token
from tests import factories

NOW = dt.datetime(2026, 5, 1, 14, 30, tzinfo=dt.UTC)


def at(**before) -> str:
    return (NOW - dt.timedelta(**before)).isoformat()


def device_at(location, serial: str, external_id: str, model: str = "generic", **fields) -> Device:
    device, _ = services.register_device(
        by=None, location=location, serial=serial, waste_stream="trash", container="dumpster_4yd"
    )
    services.set_network_identity(device=device, external_id=external_id, model=model)
    if fields:
        Device.objects.filter(pk=device.pk).update(**fields)
        device.refresh_from_db()
    return device


def frame(fill=62, battery=88, tenths=215, tilt=0xFF) -> str:
    return base64.b64encode(struct.pack(">BBhB", fill, battery, tenths, tilt)).decode()


@pytest.fixture
def network(db):
    return integrations.create_integration(name="City LoRaWAN")[0]


@pytest.fixture
def bin_one(location):
    return device_at(location, "FS-0001", "bin-0001")


@pytest.fixture
def theirs(db):
    location = factories.LocationFactory(customer=factories.CustomerFactory(name="Someone Else"))
    return device_at(location, "FS-THEIRS", "bin-theirs")


# --- Keys ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_key_is_shown_once_and_kept_as_its_hash_and_hint(customer):
    integration, key = integrations.create_integration(name=" Vendor cloud ", customer=customer, readings_per_minute=50)

    integration.refresh_from_db()
    assert key.startswith("hmi_") and len(key) > 40
    assert (integration.name, integration.customer, integration.readings_per_minute) == ("Vendor cloud", customer, 50)
    assert (integration.key_hash, integration.key_hint) == (hash_token(key), key[-4:])
    assert key not in {str(getattr(integration, field.attname)) for field in Integration._meta.concrete_fields}
    assert integrations.integration_for_key(key) == integration


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [({"name": "  "}, "name"), ({"name": "x" * 101}, "name"), ({"readings_per_minute": 0}, "readings_per_minute")],
)
def test_a_bad_integration_is_refused_by_field(values, field):
    with pytest.raises(ValidationError) as refused:
        integrations.create_integration(**{"name": "Vendor", **values})
    assert field in refused.value.message_dict
    assert not Integration.objects.exists()


@pytest.mark.django_db
def test_a_rotated_key_replaces_the_old_one_and_inactive_integrations_have_none(network):
    new = integrations.rotate_key(integration=network)

    assert integrations.integration_for_key(new) == network
    Integration.objects.filter(pk=network.pk).update(active=False)
    assert integrations.integration_for_key(new) is None
    assert integrations.integration_for_key("") is None
    assert integrations.integration_for_key(None) is None


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(network, django_assert_num_queries):
    with django_assert_num_queries(1):
        integrations.mark_used(integration=network, now=NOW)
    with django_assert_num_queries(0):
        integrations.mark_used(integration=network, now=NOW + dt.timedelta(seconds=59))
    integrations.mark_used(integration=network, now=NOW + dt.timedelta(minutes=2))
    network.refresh_from_db()
    assert network.last_used_at == NOW + dt.timedelta(minutes=2)


@pytest.mark.django_db
def test_the_rate_limit_counts_readings_per_clock_minute(network):
    network.readings_per_minute = 100
    minute = NOW.replace(second=0)

    assert integrations.reserve(integration=network, readings=60, now=minute) is None
    assert integrations.reserve(integration=network, readings=41, now=minute + dt.timedelta(seconds=15)) == 45
    # the refused 41 took nothing: 40 more still fit, then the minute is spent
    assert integrations.reserve(integration=network, readings=40, now=minute + dt.timedelta(seconds=20)) is None
    assert integrations.reserve(integration=network, readings=1, now=minute + dt.timedelta(seconds=59)) == 1
    assert integrations.reserve(integration=network, readings=100, now=minute + dt.timedelta(minutes=1)) is None


@pytest.mark.django_db
def test_a_failing_cache_lets_readings_through(network, monkeypatch):
    class Unreachable:  # the cache server is down: every call fails
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("cache down")

            return fail

    monkeypatch.setattr(integrations, "cache", Unreachable())
    assert integrations.reserve(integration=network, readings=10**9, now=NOW) is None


@pytest.mark.django_db
def test_an_external_id_is_one_devices(location, bin_one):
    other, _ = services.register_device(
        by=None, location=location, serial="FS-0002", waste_stream="trash", container="cart_96gal"
    )

    with pytest.raises(ValidationError) as refused:
        services.set_network_identity(device=other, external_id=" bin-0001 ", model="generic")
    assert list(refused.value.message_dict) == ["external_id"]
    with pytest.raises(ValidationError) as refused:
        services.set_network_identity(device=other, external_id="bin-0002", model="toaster")
    assert list(refused.value.message_dict) == ["model"]
    services.set_network_identity(device=other, external_id=None, model="compactor-v1")
    other.refresh_from_db()
    assert (other.external_id, other.model) == (None, "compactor-v1")


# --- The generic batch --------------------------------------------------------------------------


def ingest(integration, items):
    return integrations.ingest_batch(integration=integration, items=items, now=NOW)


@pytest.mark.django_db
def test_a_batch_stores_each_devices_readings_and_reports_the_bad_by_index(network, bin_one, location):
    bin_two = device_at(location, "FS-0002", "bin-0002", model="ultrasonic-fill-v1")

    result = ingest(
        network,
        [
            {"device": "bin-0001", "measured_at": at(hours=2), "fill_percent": 30, "battery_percent": 90},
            {"device": "bin-0002", "measured_at": at(hours=1), "payload": frame(fill=44), "f_port": 1},
            {"device": "bin-0001", "measured_at": at(hours=1), "fill_percent": "full"},
            {"device": "nobody", "measured_at": at(hours=1), "fill_percent": 10},
            {"measured_at": at(hours=1), "fill_percent": 10},
            "not an object",
            {
                "device": "bin-0001",
                "measured_at": at(minutes=30),
                "fill_percent": 35,
                "battery_percent": 89,
                "tilt_degrees": 4,
            },
        ],
    )

    assert (result.accepted, result.duplicates, sorted(result.errors)) == (3, 0, [2, 3, 4, 5])
    assert result.errors[2] == {"fill_percent": ["Enter a whole number."]}
    assert result.errors[3] == {"device": integrations.UNKNOWN_DEVICE}
    assert list(result.errors[4]) == ["device"]
    assert list(result.errors[5]) == ["non_field_errors"]
    assert result.device_ids == sorted([bin_one.pk, bin_two.pk])
    assert list(bin_one.readings.order_by("measured_at").values_list("fill_percent", "tilt_degrees")) == [
        (30, None),
        (35, 4),
    ]
    assert bin_two.readings.get().temperature_c == pytest.approx(21.5)
    bin_one.refresh_from_db()
    assert (bin_one.last_reading_at, bin_one.last_fill_percent, bin_one.last_battery_percent) == (
        NOW - dt.timedelta(minutes=30),
        35,
        89,
    )
    ingest(network, [{"device": "bin-0001", "measured_at": at(minutes=20), "fill_percent": 36}])
    bin_one.refresh_from_db()
    assert (bin_one.last_fill_percent, bin_one.last_battery_percent) == (36, 89)  # no battery sent: the last kept


@pytest.mark.django_db
def test_a_retried_batch_stores_nothing_twice(network, bin_one):
    items = [{"device": "bin-0001", "measured_at": at(minutes=n), "fill_percent": 20 + n} for n in (30, 20, 20, 10)]

    first, again = ingest(network, items), ingest(network, items)

    assert (first.accepted, first.duplicates) == (3, 1)
    assert (again.accepted, again.duplicates, again.errors, again.device_ids) == (0, 4, {}, [])
    assert bin_one.readings.count() == 3


@pytest.mark.django_db
def test_an_older_reading_does_not_move_the_devices_latest(network, bin_one):
    ingest(network, [{"device": "bin-0001", "measured_at": at(minutes=5), "fill_percent": 70}])
    ingest(network, [{"device": "bin-0001", "measured_at": at(hours=3), "fill_percent": 10}])

    bin_one.refresh_from_db()
    assert (bin_one.last_reading_at, bin_one.last_fill_percent) == (NOW - dt.timedelta(minutes=5), 70)


@pytest.mark.django_db
def test_a_business_integration_reaches_only_its_own_devices(customer, bin_one, theirs):
    scoped, _ = integrations.create_integration(name="Their vendor", customer=customer)

    result = ingest(
        scoped,
        [
            {"device": "bin-theirs", "measured_at": at(minutes=5), "fill_percent": 99},
            {"device": "bin-0001", "measured_at": at(minutes=5), "fill_percent": 40},
        ],
    )

    assert (result.accepted, result.errors) == (1, {0: {"device": integrations.UNKNOWN_DEVICE}})
    assert not theirs.readings.exists()
    platform_wide = integrations.create_integration(name="City")[0]
    their_reading = {"device": "bin-theirs", "measured_at": at(minutes=5), "fill_percent": 99}
    assert ingest(platform_wide, [their_reading]).accepted == 1


@pytest.mark.django_db
def test_an_inactive_device_stores_nothing(network, bin_one):
    services.update_rules(device=bin_one, collect_at_percent=80, auto_book=False, skip_below_percent=30, active=False)

    result = ingest(network, [{"device": "bin-0001", "measured_at": at(minutes=5), "fill_percent": 40}])
    assert (result.accepted, result.errors) == (0, {0: {"device": integrations.INACTIVE_DEVICE}})


@pytest.mark.django_db
def test_more_than_the_batch_limit_is_refused_whole(network, bin_one):
    items = [{"device": "bin-0001", "measured_at": at(seconds=n), "fill_percent": 1} for n in range(5001)]
    with pytest.raises(ValidationError):
        ingest(network, items)
    assert not Reading.objects.exists()


# --- Compactors ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_compactors_fill_is_derived_from_its_count_and_capped_at_full(network, location):
    compactor = device_at(location, "CC-1", "cube-1", model="compactor-v1", kind="compactor", compactions_when_full=200)

    ingest(
        network,
        [
            {"device": "cube-1", "measured_at": at(hours=3), "compactions": 0},
            {"device": "cube-1", "measured_at": at(hours=2), "compactions": 101, "fill_percent": 5},
            {"device": "cube-1", "measured_at": at(hours=1), "compactions": 350},
        ],
    )

    rows = compactor.readings.order_by("measured_at").values_list("compactions", "fill_percent")
    assert list(rows) == [(0, 0), (101, 51), (350, 100)]


@pytest.mark.django_db
def test_a_compactor_without_a_full_count_sends_its_own_fill(network, location):
    compactor = device_at(location, "CC-2", "cube-2", model="compactor-v1", kind="compactor")
    payload = base64.b64encode(struct.pack(">HBBh", 140, 55, 97, 180)).decode()

    result = ingest(
        network,
        [
            {"device": "cube-2", "measured_at": at(hours=2), "payload": payload},
            {"device": "cube-2", "measured_at": at(hours=1), "compactions": 150},
        ],
    )

    assert list(result.errors) == [1] and list(result.errors[1]) == ["fill_percent"]
    assert list(compactor.readings.values_list("compactions", "fill_percent")) == [(140, 55)]


# --- Impossible values --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "values",
    [
        {"fill_percent": 140},
        {"fill_percent": -1},
        {"fill_percent": 50, "battery_percent": 101},
        {"fill_percent": 50, "temperature_c": 10**30},
        {"fill_percent": 50, "temperature_c": -61},
        {"fill_percent": 50, "tilt_degrees": 181},
        {"compactions": -3},
    ],
)
def test_an_impossible_value_is_refused_and_opens_the_devices_alarm_once(network, bin_one, values):
    item = {"device": "bin-0001", "measured_at": at(minutes=5), **values}

    first = ingest(network, [item])
    ingest(network, [item | {"measured_at": at(minutes=4)}])

    assert first.accepted == 0 and list(first.errors) == [0]
    alarm = Alarm.objects.get()
    assert (alarm.device, alarm.kind, alarm.closed_at) == (bin_one, Alarm.Kind.IMPOSSIBLE_VALUE, None)
    assert alarm.detail.startswith("Reported ") and alarm.context["field"] in values
    assert not Reading.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("values", [{"fill_percent": "50"}, {"fill_percent": 50.5}, {"measured_at": "soon"}])
def test_a_malformed_value_is_refused_without_an_alarm(network, bin_one, values):
    result = ingest(network, [{"device": "bin-0001", "measured_at": at(minutes=5), "fill_percent": 50, **values}])
    assert result.rejected == 1
    assert not Alarm.objects.exists()


@pytest.mark.django_db
def test_bytes_the_model_cannot_read_open_the_alarm_but_garbage_base64_does_not(network, location):
    device_at(location, "US-1", "us-1", model="ultrasonic-fill-v1")

    result = ingest(
        network,
        [
            {"device": "us-1", "measured_at": at(minutes=5), "payload": "not base64!"},
            {"device": "us-1", "measured_at": at(minutes=4), "payload": frame(), "f_port": 300},
            {"device": "us-1", "measured_at": at(minutes=3), "payload": frame(), "f_port": 2},
        ],
    )
    assert sorted(result.errors) == [0, 1, 2]
    assert not Alarm.objects.exists()

    short = base64.b64encode(b"\x01\x02").decode()
    result = ingest(network, [{"device": "us-1", "measured_at": at(minutes=2), "payload": short}])
    assert result.errors[0]["payload"] == ["The device's model cannot read these bytes: Expected 5 bytes, got 2."]
    assert Alarm.objects.get().detail == "Sent a frame its model cannot read: Expected 5 bytes, got 2."


@pytest.mark.django_db
def test_a_sensor_token_batch_raises_the_alarm_too(bin_one):
    result = services.ingest(device=bin_one, items=[{"measured_at": at(minutes=1), "fill_percent": 250}], now=NOW)
    assert result.rejected == 1
    assert Alarm.objects.get(kind=Alarm.Kind.IMPOSSIBLE_VALUE).device == bin_one
