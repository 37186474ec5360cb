"""Sensor use cases: register a device, rotate its token, change its rules, and store what it reports.

A device's token is shown once, when it is made; only its SHA-256 hash (to find the device) and its
last characters (to tell tokens apart) are kept.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.catalog import Container, WasteStream
from sensors.models import Device, Reading, hash_token, new_token

MAX_BATCH = 500
TOKEN_HINT_LENGTH = 4
# A sensor's clock may run a little ahead of ours; beyond this a reading from "the future" is a broken clock.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Older readings say nothing about a bin now, and a backlog that old is a device replaying its memory.
MAX_AGE = dt.timedelta(days=30)
TEMPERATURE_RANGE = (Decimal("-60"), Decimal("90"))
ONE_DECIMAL = Decimal("0.1")


@dataclass
class IngestResult:
    """What became of a batch: how many were stored, how many were already known, and why the others were not."""

    accepted: int = 0
    duplicates: int = 0
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return len(self.errors)


# --- Devices ------------------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_rules(*, collect_at_percent, skip_below_percent) -> None:
    """Raise a ValidationError by field unless the thresholds are whole percents with skip below collect."""
    errors = {}
    if not _is_int(collect_at_percent) or not 1 <= collect_at_percent <= 100:
        errors["collect_at_percent"] = ["Enter a whole percent from 1 to 100."]
    if not _is_int(skip_below_percent) or not 0 <= skip_below_percent <= 100:
        errors["skip_below_percent"] = ["Enter a whole percent from 0 to 100."]
    if not errors and skip_below_percent >= collect_at_percent:
        # Otherwise one reading could both book a pickup and skip a visit.
        errors["skip_below_percent"] = ["Must be below the level that triggers a pickup."]
    if errors:
        raise ValidationError(errors)


def _token_fields() -> tuple[str, dict]:
    token = new_token()
    return token, {"token_hash": hash_token(token), "token_hint": token[-TOKEN_HINT_LENGTH:]}


def register_device(
    *,
    location,
    serial: str,
    waste_stream: str,
    container: str,
    collect_at_percent: int = 80,
    auto_book: bool = False,
    skip_below_percent: int = 30,
) -> tuple[Device, str]:
    """Add a sensor at a location; returns it and its token, which is never shown again."""
    serial = (serial or "").strip()
    errors = {}
    if not serial:
        errors["serial"] = ["Enter the serial number printed on the sensor."]
    elif len(serial) > Device._meta.get_field("serial").max_length:
        errors["serial"] = ["A serial number has at most 64 characters."]
    elif Device.objects.filter(serial=serial).exists():
        errors["serial"] = ["A sensor with this serial number is already registered."]
    if waste_stream not in WasteStream.values:
        errors["waste_stream"] = [f"Choose one of: {', '.join(WasteStream.values)}."]
    if container not in Container.values:
        errors["container"] = [f"Choose one of: {', '.join(Container.values)}."]
    if location.archived_at is not None:
        errors["__all__"] = ["This location is archived; restore it before adding a sensor."]
    try:
        validate_rules(collect_at_percent=collect_at_percent, skip_below_percent=skip_below_percent)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    token, token_fields = _token_fields()
    try:
        with transaction.atomic():
            device = Device.objects.create(
                location=location,
                serial=serial,
                waste_stream=waste_stream,
                container=container,
                collect_at_percent=collect_at_percent,
                auto_book=bool(auto_book),
                skip_below_percent=skip_below_percent,
                **token_fields,
            )
    except IntegrityError:  # the same serial registered at the same moment
        raise ValidationError({"serial": ["A sensor with this serial number is already registered."]}) from None
    return device, token


def rotate_token(*, device: Device) -> str:
    """Give the device a new token (the old one stops working at once); returns it, shown once."""
    token, token_fields = _token_fields()
    for name, value in token_fields.items():
        setattr(device, name, value)
    device.save(update_fields=list(token_fields))
    return token


def update_rules(
    *, device: Device, collect_at_percent: int, auto_book: bool, skip_below_percent: int, active: bool
) -> Device:
    """Change when the device's bin is collected or skipped, and whether it reports at all."""
    validate_rules(collect_at_percent=collect_at_percent, skip_below_percent=skip_below_percent)
    device.collect_at_percent = collect_at_percent
    device.skip_below_percent = skip_below_percent
    device.auto_book = bool(auto_book)
    device.active = bool(active)
    device.save(update_fields=["collect_at_percent", "skip_below_percent", "auto_book", "active"])
    return device


def device_for_token(token: str) -> Device | None:
    """The active device a token belongs to, or None."""
    if not isinstance(token, str) or not token:
        return None
    # Looked up by hash: the database never sees the token, and a timing difference reveals nothing of it.
    return Device.objects.filter(token_hash=hash_token(token), active=True).first()


# --- Readings -----------------------------------------------------------------------------


def _percent(value, errors: dict, name: str) -> int | None:
    if not _is_int(value):
        errors[name] = ["Enter a whole number."]
    elif not 0 <= value <= 100:
        errors[name] = ["Enter a percent from 0 to 100."]
    else:
        return value
    return None


def _measured_at(value, errors: dict, now: dt.datetime) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        errors["measured_at"] = ["Enter an ISO 8601 date and time, e.g. 2026-05-01T14:30:00Z."]
    elif timezone.is_naive(value):
        errors["measured_at"] = ["Give a UTC offset (e.g. Z or -05:00): a time without one is ambiguous."]
    elif value > now + CLOCK_SKEW:
        errors["measured_at"] = ["This time is in the future; check the sensor's clock."]
    elif value < now - MAX_AGE:
        errors["measured_at"] = ["This reading is more than 30 days old."]
    else:
        return value.astimezone(dt.UTC)
    return None


def _temperature(value, errors: dict) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        errors["temperature_c"] = ["Enter a number of degrees Celsius."]
        return None
    if isinstance(value, float) and not math.isfinite(value):
        errors["temperature_c"] = ["Enter a number of degrees Celsius."]
        return None
    # Stored to a tenth of a degree: more precision is rounded, as a sensor's last digit is noise anyway.
    degrees = Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
    low, high = TEMPERATURE_RANGE
    if not low <= degrees <= high:
        errors["temperature_c"] = ["Enter a temperature from -60 to 90 °C."]
        return None
    return degrees


def _reading(device: Device, item, now: dt.datetime) -> tuple[Reading | None, dict[str, list[str]]]:
    """One item as an unsaved Reading, or its errors by field."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Expected an object with fill_percent and measured_at."]}
    errors = {}
    for required in ("fill_percent", "measured_at"):
        if item.get(required) is None:
            errors[required] = ["This field is required."]
    fill = _percent(item["fill_percent"], errors, "fill_percent") if "fill_percent" not in errors else None
    measured_at = _measured_at(item["measured_at"], errors, now) if "measured_at" not in errors else None
    battery = item.get("battery_percent")
    if battery is not None:
        battery = _percent(battery, errors, "battery_percent")
    temperature = item.get("temperature_c")
    if temperature is not None:
        temperature = _temperature(temperature, errors)
    if errors:
        return None, errors
    reading = Reading(
        device=device, fill_percent=fill, measured_at=measured_at, battery_percent=battery, temperature_c=temperature
    )
    return reading, {}


def ingest(*, device: Device, items: list[dict], now: dt.datetime | None = None) -> IngestResult:
    """Store a batch of a device's readings: bad items are reported by index, repeats are counted and ignored."""
    if len(items) > MAX_BATCH:
        raise ValidationError({"readings": [f"Send at most {MAX_BATCH} readings at a time."]})
    now = now or timezone.now()
    result = IngestResult()
    fresh: dict[dt.datetime, Reading] = {}
    for index, item in enumerate(items):
        reading, errors = _reading(device, item, now)
        if errors:
            result.errors[index] = errors
        elif reading.measured_at in fresh:
            result.duplicates += 1
        else:
            fresh[reading.measured_at] = reading
    if not fresh:
        return result
    # order_by(): the default ordering would join the device (and its location) for nothing.
    stored = Reading.objects.filter(device=device, measured_at__in=list(fresh)).order_by()
    known = set(stored.values_list("measured_at", flat=True))
    new = [reading for measured_at, reading in fresh.items() if measured_at not in known]
    result.duplicates += len(fresh) - len(new)
    # ignore_conflicts covers a concurrent batch holding the same reading: the row is stored once, and
    # that batch's count may then call it accepted too.
    Reading.objects.bulk_create(new, ignore_conflicts=True)
    result.accepted = len(new)
    return result
