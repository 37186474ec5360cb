"""Registering sensors, their tokens and rules, and the checks every reading passes before it is stored."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.errors import Forbidden
from sensors import services
from sensors.models import Device, Reading, hash_token
from tests import factories

NOW = dt.datetime(2026, 5, 1, 14, 30, tzinfo=dt.UTC)


def register(location, **overrides) -> tuple[Device, str]:
    values = {"serial": "FS-0001", "waste_stream": "cardboard", "container": "dumpster_4yd", **overrides}
    return services.register_device(by=None, location=location, **values)


def at(**before) -> str:
    return (NOW - dt.timedelta(**before)).isoformat()


@pytest.fixture
def device(location):
    return register(location)[0]


# --- Devices -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_registering_returns_the_token_once_and_keeps_only_its_hash_and_hint(location):
    device, token = register(location, collect_at_percent=90, auto_book=True, skip_below_percent=20)

    device.refresh_from_db()
    assert token.startswith("hmd_") and len(token) > 30
    assert device.token_hash == hash_token(token)
    assert device.token_hint == token[-4:]
    assert token not in {getattr(device, field.attname) for field in Device._meta.concrete_fields}
    assert (device.collect_at_percent, device.auto_book, device.skip_below_percent, device.active) == (
        90,
        True,
        20,
        True,
    )
    assert services.device_for_token(token) == device


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"serial": "  "}, "serial"),
        ({"serial": "X" * 65}, "serial"),
        ({"waste_stream": "asbestos"}, "waste_stream"),
        ({"container": "bucket"}, "container"),
        ({"collect_at_percent": 0}, "collect_at_percent"),
        ({"collect_at_percent": 101}, "collect_at_percent"),
        ({"collect_at_percent": True}, "collect_at_percent"),
        ({"skip_below_percent": -1}, "skip_below_percent"),
        ({"skip_below_percent": 101}, "skip_below_percent"),
        ({"collect_at_percent": 50, "skip_below_percent": 50}, "skip_below_percent"),
        ({"collect_at_percent": 40, "skip_below_percent": 60}, "skip_below_percent"),
    ],
)
def test_registering_refuses_bad_values_by_field(location, overrides, field):
    with pytest.raises(ValidationError) as refused:
        register(location, **overrides)

    assert field in refused.value.message_dict
    assert not Device.objects.exists()


@pytest.mark.django_db
def test_a_serial_is_registered_once(location, other_location):
    register(location, serial="FS-0001")

    with pytest.raises(ValidationError) as refused:
        register(other_location, serial=" FS-0001 ")

    assert list(refused.value.message_dict) == ["serial"]
    assert Device.objects.count() == 1


@pytest.mark.django_db
def test_no_sensor_at_an_archived_location(location):
    location.archived_at = NOW
    location.save()

    with pytest.raises(ValidationError):
        register(location)


@pytest.mark.django_db
def test_only_owners_and_managers_register_sensors_and_rotate_their_tokens(location):
    member = factories.CustomerMembershipFactory(customer=location.customer, role="member").user
    manager = factories.CustomerMembershipFactory(customer=location.customer, role="manager").user
    stranger = factories.CustomerMembershipFactory(role="owner").user  # another business's owner

    for who in (member, stranger):
        with pytest.raises(Forbidden):
            services.register_device(by=who, location=location, serial="FS-R1", waste_stream="trash",
                                     container="cart_96gal")  # fmt: skip
    assert not Device.objects.exists()

    device, old = services.register_device(
        by=manager, location=location, serial="FS-R1", waste_stream="trash", container="cart_96gal"
    )
    with pytest.raises(Forbidden):
        services.rotate_token(by=member, device=device)
    assert services.device_for_token(old) == device
    assert services.device_for_token(services.rotate_token(by=manager, device=device)) == device


@pytest.mark.django_db
def test_rotating_a_token_invalidates_the_old_one(location):
    _, old = register(location, serial="FS-0002")
    device = Device.objects.get(serial="FS-0002")

    new = services.rotate_token(by=None, device=device)

    assert new != old
    assert services.device_for_token(old) is None
    assert services.device_for_token(new) == device
    device.refresh_from_db()
    assert (device.token_hash, device.token_hint) == (hash_token(new), new[-4:])


@pytest.mark.django_db
def test_only_active_devices_are_found_by_token(location):
    device, token = register(location)

    services.update_rules(device=device, collect_at_percent=85, auto_book=True, skip_below_percent=10, active=False)

    device.refresh_from_db()
    assert (device.collect_at_percent, device.auto_book, device.skip_below_percent, device.active) == (
        85,
        True,
        10,
        False,
    )
    assert services.device_for_token(token) is None
    assert services.device_for_token("") is None
    assert services.device_for_token(None) is None


@pytest.mark.django_db
def test_rules_keep_skip_below_collect(device):
    with pytest.raises(ValidationError) as refused:
        services.update_rules(device=device, collect_at_percent=30, auto_book=False, skip_below_percent=30, active=True)

    assert list(refused.value.message_dict) == ["skip_below_percent"]
    device.refresh_from_db()
    assert (device.collect_at_percent, device.skip_below_percent) == (80, 30)


@pytest.fixture
def other_location(customer):
    return factories.LocationFactory(customer=customer, name="Warehouse")


# --- Readings ------------------------------------------------------------------------------


def good(**overrides) -> dict:
    return {"fill_percent": 40, "measured_at": at(minutes=10), **overrides}


@pytest.mark.django_db
def test_good_readings_are_stored_with_every_field(device):
    result = services.ingest(
        device=device,
        items=[
            good(battery_percent=88, temperature_c=-12.3),
            good(measured_at="2026-05-01T09:00:00-05:00", fill_percent=0, battery_percent=None, temperature_c=None),
            good(measured_at=NOW - dt.timedelta(days=1), fill_percent=100, temperature_c=Decimal("21.5")),
        ],
        now=NOW,
    )

    assert (result.accepted, result.duplicates, result.rejected, result.errors) == (3, 0, 0, {})
    rows = list(device.readings.order_by("measured_at").values_list("measured_at", "fill_percent", "temperature_c"))
    assert rows == [
        (NOW - dt.timedelta(days=1), 100, Decimal("21.5")),
        (dt.datetime(2026, 5, 1, 14, 0, tzinfo=dt.UTC), 0, None),
        (NOW - dt.timedelta(minutes=10), 40, Decimal("-12.3")),
    ]
    assert device.readings.get(fill_percent=40).battery_percent == 88


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"measured_at": at(minutes=1)}, "fill_percent"),
        (good(fill_percent=None), "fill_percent"),
        (good(fill_percent=-1), "fill_percent"),
        (good(fill_percent=101), "fill_percent"),
        (good(fill_percent=True), "fill_percent"),
        (good(fill_percent=False), "fill_percent"),
        (good(fill_percent=40.5), "fill_percent"),
        (good(fill_percent="40"), "fill_percent"),
        ({"fill_percent": 40}, "measured_at"),
        (good(measured_at="yesterday"), "measured_at"),
        (good(measured_at="2026-05-01T14:00:00"), "measured_at"),  # no offset
        (good(measured_at="2026-05-01"), "measured_at"),
        (good(measured_at="2026-13-01T14:00:00Z"), "measured_at"),
        (good(measured_at=1777645800), "measured_at"),
        (good(measured_at=at(minutes=-6)), "measured_at"),  # 6 minutes ahead: beyond clock skew
        (good(measured_at=at(days=30, seconds=1)), "measured_at"),
        (good(battery_percent=-1), "battery_percent"),
        (good(battery_percent=101), "battery_percent"),
        (good(battery_percent=True), "battery_percent"),
        (good(battery_percent="full"), "battery_percent"),
        (good(temperature_c=-60.1), "temperature_c"),
        (good(temperature_c=150.1), "temperature_c"),
        (good(temperature_c="21.5"), "temperature_c"),
        (good(temperature_c=True), "temperature_c"),
        (good(temperature_c=float("nan")), "temperature_c"),
        (good(temperature_c=float("inf")), "temperature_c"),
    ],
)
def test_a_bad_reading_is_refused_with_its_field(device, item, field):
    result = services.ingest(device=device, items=[good(measured_at=at(minutes=30)), item], now=NOW)

    assert (result.accepted, result.rejected) == (1, 1)
    assert list(result.errors) == [1]
    assert field in result.errors[1]
    assert all(isinstance(message, str) for messages in result.errors[1].values() for message in messages)
    assert device.readings.count() == 1


@pytest.mark.django_db
def test_the_edges_of_each_range_are_accepted(device):
    items = [
        good(measured_at=at(minutes=-5), fill_percent=0, battery_percent=0, temperature_c=-60),
        good(measured_at=at(days=30), fill_percent=100, battery_percent=100, temperature_c=150),
        good(measured_at=at(days=1), temperature_c=21.25),  # rounded to the tenth stored
    ]

    result = services.ingest(device=device, items=items, now=NOW)

    assert (result.accepted, result.errors) == (3, {})
    assert device.readings.get(measured_at=NOW - dt.timedelta(days=1)).temperature_c == Decimal("21.3")


@pytest.mark.django_db
def test_items_that_are_not_objects_are_refused_by_index(device):
    result = services.ingest(device=device, items=[good(), None, [1, 2], "40%"], now=NOW)

    assert (result.accepted, sorted(result.errors)) == (1, [1, 2, 3])
    assert all(list(errors) == ["non_field_errors"] for errors in result.errors.values())


@pytest.mark.django_db
def test_unknown_keys_are_ignored(device, location):
    other, _ = register(location, serial="FS-OTHER")

    result = services.ingest(device=device, items=[good(device=other.pk, colour="green")], now=NOW)

    assert result.accepted == 1
    assert list(Reading.objects.values_list("device", flat=True)) == [device.pk]


@pytest.mark.django_db
def test_duplicates_in_the_database_and_in_the_batch_are_counted_not_stored(device):
    services.ingest(device=device, items=[good(measured_at=at(hours=2), fill_percent=10)], now=NOW)

    result = services.ingest(
        device=device,
        items=[
            good(measured_at=at(hours=2), fill_percent=99),  # already stored
            good(measured_at=at(hours=1), fill_percent=20),
            good(measured_at=(NOW - dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()),
            good(measured_at=at(minutes=5), fill_percent=30),
        ],
        now=NOW,
    )

    assert (result.accepted, result.duplicates, result.rejected) == (2, 2, 0)
    assert list(device.readings.order_by("measured_at").values_list("fill_percent", flat=True)) == [10, 20, 30]


@pytest.mark.django_db
def test_the_same_time_on_another_device_is_not_a_duplicate(device, location):
    other, _ = register(location, serial="FS-0002")
    services.ingest(device=device, items=[good()], now=NOW)

    assert services.ingest(device=other, items=[good()], now=NOW).accepted == 1


@pytest.mark.django_db
def test_a_batch_over_500_is_refused_whole(device):
    items = [good(measured_at=at(minutes=n)) for n in range(501)]

    with pytest.raises(ValidationError) as refused:
        services.ingest(device=device, items=items, now=NOW)

    assert list(refused.value.message_dict) == ["readings"]
    assert not Reading.objects.exists()
    assert services.ingest(device=device, items=items[:500], now=NOW).accepted == 500


@pytest.mark.django_db
def test_an_empty_batch_does_nothing(device, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = services.ingest(device=device, items=[], now=NOW)
    assert (result.accepted, result.duplicates, result.rejected) == (0, 0, 0)
