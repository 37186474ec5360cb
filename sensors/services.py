"""Sensor use cases: register a device, rotate its token, change its rules, and store what it reports.

A device's token is shown once, when it is made; only its SHA-256 hash (to find the device) and its
last characters (to tell tokens apart) are kept.
"""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.catalog import Container, WasteStream
from core.permissions import require
from sensors import device_models
from sensors.ingest import CLOCK_SKEW, MAX_AGE, Batch, IngestResult, Target
from sensors.models import Device, hash_token, new_token

__all__ = ["CLOCK_SKEW", "MAX_AGE", "IngestResult"]  # the ingest's limits, as callers have always found them here

MAX_BATCH = 500
TOKEN_HINT_LENGTH = 4


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
    use_forecast: bool = True,
    by,
) -> tuple[Device, str]:
    """Add a sensor at a location; returns it and its token, which is never shown again. Owners and managers (`by`
    None is the platform: staff in the admin, the demo)."""
    require(user=by, organisation=location.customer, action="sites")
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
                use_forecast=bool(use_forecast),
                **token_fields,
            )
    except IntegrityError:  # the same serial registered at the same moment
        raise ValidationError({"serial": ["A sensor with this serial number is already registered."]}) from None
    return device, token


def rotate_token(*, device: Device, by) -> str:
    """Give the device a new token (the old one stops working at once); returns it, shown once. Owners and managers."""
    require(user=by, organisation=device.location.customer, action="sites")
    token, token_fields = _token_fields()
    for name, value in token_fields.items():
        setattr(device, name, value)
    device.save(update_fields=list(token_fields))
    return token


def update_rules(
    *,
    device: Device,
    collect_at_percent: int,
    auto_book: bool,
    skip_below_percent: int,
    active: bool,
    use_forecast: bool | None = None,
) -> Device:
    """Change when the device's bin is collected or skipped, and whether it reports at all (None: unchanged)."""
    validate_rules(collect_at_percent=collect_at_percent, skip_below_percent=skip_below_percent)
    device.collect_at_percent = collect_at_percent
    device.skip_below_percent = skip_below_percent
    device.auto_book = bool(auto_book)
    device.active = bool(active)
    if use_forecast is not None:
        device.use_forecast = bool(use_forecast)
    device.save(update_fields=["collect_at_percent", "skip_below_percent", "auto_book", "active", "use_forecast"])
    return device


def validate_hardware(
    *, kind: str, reporting_interval_minutes: int, capacity_multiplier=1, compactions_when_full: int | None = None
) -> Decimal:
    """The capacity multiplier as stored; raises a ValidationError by field unless the description holds together."""
    errors = {}
    if kind not in Device.Kind.values:
        errors["kind"] = [f"Choose one of: {', '.join(Device.Kind.values)}."]
    if not _is_int(reporting_interval_minutes) or not 1 <= reporting_interval_minutes <= 7 * 24 * 60:
        errors["reporting_interval_minutes"] = ["Enter whole minutes from 1 to 10080 (a week)."]
    try:
        multiplier = Decimal(str(capacity_multiplier))
    except ArithmeticError:
        multiplier = None
    if multiplier is None or not multiplier.is_finite() or not 1 <= multiplier <= 20:
        errors["capacity_multiplier"] = ["Enter a multiplier from 1 to 20."]
    elif kind == Device.Kind.BIN and multiplier != 1:
        errors["capacity_multiplier"] = ["A bin that does not compact holds its own volume: leave it at 1."]
    if compactions_when_full is not None:
        if kind != Device.Kind.COMPACTOR:
            errors["compactions_when_full"] = ["Only a compactor counts compactions."]
        elif not _is_int(compactions_when_full) or compactions_when_full < 1:
            errors["compactions_when_full"] = ["Enter a whole number of compactions, at least 1."]
    if errors:
        raise ValidationError(errors)
    return multiplier


def describe_hardware(
    *,
    device: Device,
    kind: str,
    reporting_interval_minutes: int,
    capacity_multiplier=1,
    compactions_when_full: int | None = None,
) -> Device:
    """Say what the device is: a plain bin or a compactor (how much more it holds, the count that means full),
    and how often it reports (the offline alarm waits two of those)."""
    multiplier = validate_hardware(
        kind=kind,
        reporting_interval_minutes=reporting_interval_minutes,
        capacity_multiplier=capacity_multiplier,
        compactions_when_full=compactions_when_full,
    )
    device.kind, device.reporting_interval_minutes = kind, reporting_interval_minutes
    device.capacity_multiplier, device.compactions_when_full = multiplier, compactions_when_full
    device.save(update_fields=["kind", "reporting_interval_minutes", "capacity_multiplier", "compactions_when_full"])
    return device


def validate_network_identity(*, device: Device, external_id: str | None, model: str) -> str | None:
    """The external id as stored (None: no network); raises a ValidationError by field if either is wrong."""
    external_id = (external_id or "").strip() or None
    errors = {}
    if external_id is not None:
        if len(external_id) > Device._meta.get_field("external_id").max_length:
            errors["external_id"] = ["An external id has at most 100 characters."]
        elif Device.objects.filter(external_id=external_id).exclude(pk=device.pk).exists():
            errors["external_id"] = ["Another sensor already has this external id."]
    if device_models.get(model) is None:
        errors["model"] = [f"Choose one of: {', '.join(device_models.REGISTRY)}."]
    if errors:
        raise ValidationError(errors)
    return external_id


def set_network_identity(*, device: Device, external_id: str | None, model: str = "generic") -> Device:
    """Name the device as its network server knows it (None: no network), and the model that decodes its bytes."""
    device.external_id = validate_network_identity(device=device, external_id=external_id, model=model)
    device.model = model
    try:
        with transaction.atomic():
            device.save(update_fields=["external_id", "model"])
    except IntegrityError:  # the same id given to another sensor at the same moment
        raise ValidationError({"external_id": ["Another sensor already has this external id."]}) from None
    return device


def device_for_token(token: str) -> Device | None:
    """The active device a token belongs to, or None."""
    if not isinstance(token, str) or not token:
        return None
    # Looked up by hash: the database never sees the token, and a timing difference reveals nothing of it.
    return Device.objects.filter(token_hash=hash_token(token), active=True).first()


# --- Readings -----------------------------------------------------------------------------


def ingest(*, device: Device, items: list[dict], now: dt.datetime | None = None) -> IngestResult:
    """Store a batch of a device's readings: bad items are reported by index, repeats are counted and ignored."""
    if len(items) > MAX_BATCH:
        raise ValidationError({"readings": [f"Send at most {MAX_BATCH} readings at a time."]})
    batch = Batch(now or timezone.now())
    target = Target(device.pk, device.compactions_when_full)
    add = batch.add
    for index, item in enumerate(items):
        add(index, target, item)
    return batch.store()
