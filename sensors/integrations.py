"""Network servers and vendor clouds pushing many devices' readings with one integration key.

A key is shown once, when it is made or rotated; only its SHA-256 hash (to find the integration) and its
last characters (to tell keys apart) are kept, as for device tokens. An integration scoped to a business
reaches only that business's devices: any other device id is reported as unknown, never written.

Two shapes come in: The Things Stack's uplink webhook (one device's frame, decoded by the device's model
in sensors/device_models.py unless a payload formatter already decoded it), and a generic batch of up to
MAX_BATCH readings naming each device by its external id. Both end in sensors/ingest.py, so they share its
checks, its duplicate counting and its impossible-value alarms.

Each integration may send `readings_per_minute` readings a minute, counted in Django's cache (Redis in
production, so every web process counts against one budget; local memory when embedded).
"""

import base64
import binascii
import datetime as dt
import logging
import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from sensors import device_models
from sensors.ingest import Batch, IngestResult, Target
from sensors.models import Device, Integration, hash_token

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
KEY_BYTES = 32
KEY_HINT_LENGTH = 4
# last_used_at is written at most this often: it says whether a network still pushes, not each request.
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
RATE_WINDOW_SECONDS = 60
MAX_READINGS_PER_MINUTE = 2**31 - 1  # the column's limit

UNKNOWN_DEVICE = ["No device with this id is registered to this integration."]
INACTIVE_DEVICE = ["This device is deactivated; its readings are not stored."]
DEVICE_ID = ["Give the device's id as a string (its external id)."]


# --- Keys ---------------------------------------------------------------------------------


def new_key() -> str:
    return "hmi_" + secrets.token_urlsafe(KEY_BYTES)


def _key_fields() -> tuple[str, dict]:
    key = new_key()
    return key, {"key_hash": hash_token(key), "key_hint": key[-KEY_HINT_LENGTH:]}


def create_integration(
    *, name: str, customer=None, readings_per_minute: int | None = None, active: bool = True
) -> tuple[Integration, str]:
    """Add an integration (for one business, or platform-wide); returns it and its key, never shown again."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = ["Name the network or vendor, e.g. 'City LoRaWAN (The Things Stack)'."]
    elif len(name) > Integration._meta.get_field("name").max_length:
        errors["name"] = ["A name has at most 100 characters."]
    if readings_per_minute is not None and (
        type(readings_per_minute) is not int or not 1 <= readings_per_minute <= MAX_READINGS_PER_MINUTE
    ):
        errors["readings_per_minute"] = ["Enter a whole number of readings a minute, at least 1."]
    if errors:
        raise ValidationError(errors)
    key, key_fields = _key_fields()
    extra = {} if readings_per_minute is None else {"readings_per_minute": readings_per_minute}
    integration = Integration.objects.create(name=name, customer=customer, active=bool(active), **key_fields, **extra)
    return integration, key


def rotate_key(*, integration: Integration) -> str:
    """Give the integration a new key (the old one stops working at once); returns it, shown once."""
    key, key_fields = _key_fields()
    for name, value in key_fields.items():
        setattr(integration, name, value)
    integration.save(update_fields=list(key_fields))
    return key


def integration_for_key(key: str) -> Integration | None:
    """The active integration a key belongs to, or None."""
    if not isinstance(key, str) or not key:
        return None
    return Integration.objects.filter(key_hash=hash_token(key), active=True).first()


def mark_used(*, integration: Integration, now: dt.datetime | None = None) -> None:
    """Note that the integration pushed just now (a write at most once a minute)."""
    now = now or timezone.now()
    if integration.last_used_at is not None and now - integration.last_used_at < LAST_USED_GRANULARITY:
        return
    Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
    integration.last_used_at = now


def reserve(*, integration: Integration, readings: int, now: dt.datetime | None = None) -> int | None:
    """Count readings against the integration's minute; returns seconds to wait when over its budget, else None.

    A fixed window per clock minute; a refused request takes nothing of the budget. Should the cache be
    unreachable, readings are let through (and logged): losing a city's readings would be worse than a
    minute without a limit.
    """
    now = now or timezone.now()
    second = int(now.timestamp())
    key = f"sensors:integration:{integration.pk}:readings:{second // RATE_WINDOW_SECONDS}"
    try:
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
        try:
            used = cache.incr(key, readings)
        except ValueError:  # evicted between add and incr
            cache.set(key, readings, timeout=RATE_WINDOW_SECONDS * 2)
            used = readings
        if used <= integration.readings_per_minute:
            return None
        cache.decr(key, readings)
    except Exception:  # any cache failure (see the docstring)
        logger.warning("Rate limit not checked for integration %s: the cache failed", integration.pk, exc_info=True)
        return None
    return max(1, RATE_WINDOW_SECONDS - second % RATE_WINDOW_SECONDS)


# --- Devices by external id -----------------------------------------------------------------


def _devices(integration: Integration, external_ids) -> dict[str, tuple[Target, str, bool]]:
    """(target, model, active) by external id, for the devices this integration may reach."""
    ids = list({value for value in external_ids if type(value) is str and value})
    if not ids:
        return {}
    devices = Device.objects.filter(external_id__in=ids).order_by()
    if integration.customer_id is not None:
        devices = devices.filter(location__customer_id=integration.customer_id)
    return {
        external_id: (Target(pk, when_full), model, active)
        for pk, external_id, when_full, model, active in devices.values_list(
            "pk", "external_id", "compactions_when_full", "model", "active"
        )
    }


def _decoded(model: str, payload, port) -> tuple[dict | None, dict | None, str | None]:
    """The values in a base64 frame, or (None, field errors, the alarm's sentence when the device is at fault)."""
    if type(payload) is not str:
        return None, {"payload": ["Give the frame's bytes as base64."]}, None
    if port is not None and (type(port) is not int or not 0 <= port <= 255):
        return None, {"f_port": ["Enter a LoRaWAN port from 0 to 255."]}, None
    try:
        frame = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None, {"payload": ["This is not base64."]}, None
    try:
        return device_models.decode(model, frame, port), None, None
    except device_models.NotAReading as error:
        return None, {"payload": [str(error)]}, None
    except device_models.UnreadablePayload as error:
        errors = {"payload": [f"The device's model cannot read these bytes: {error}"]}
        return None, errors, f"Sent a frame its model cannot read: {error}"


# --- The generic batch ------------------------------------------------------------------------


def ingest_batch(*, integration: Integration, items: list, now: dt.datetime | None = None) -> IngestResult:
    """Store readings of many devices, each item naming its device by `device` (the external id).

    An item carries the values as JSON (fill_percent, measured_at, battery_percent, temperature_c,
    tilt_degrees, compactions), or its frame's bytes as base64 in `payload` (with `f_port`) for the
    device's model to decode; values given beside a payload override what the bytes say.
    """
    if len(items) > MAX_BATCH:
        raise ValidationError({"readings": [f"Send at most {MAX_BATCH:,} readings at a time."]})
    batch = Batch(now or timezone.now())
    devices = _devices(integration, (item.get("device") for item in items if type(item) is dict))
    add, refuse = batch.add, batch.refuse
    for index, item in enumerate(items):
        if type(item) is not dict:
            refuse(index, {"non_field_errors": ["Expected an object with device, measured_at and fill_percent."]})
            continue
        external_id = item.get("device")
        found = devices.get(external_id) if type(external_id) is str else None
        if found is None:
            refuse(index, {"device": DEVICE_ID if type(external_id) is not str or not external_id else UNKNOWN_DEVICE})
            continue
        target, model, active = found
        if not active:
            refuse(index, {"device": INACTIVE_DEVICE})
            continue
        if "payload" in item:
            values, errors, unreadable = _decoded(model, item["payload"], item.get("f_port"))
            if errors:
                refuse(index, errors, unreadable_for=target if unreadable else None, detail=unreadable or "")
                continue
            item = values | {key: value for key, value in item.items() if key not in ("payload", "f_port")}
        add(index, target, item)
    return batch.store()


# --- The Things Stack -------------------------------------------------------------------------

TTS_VALUES = ("fill_percent", "battery_percent", "temperature_c", "tilt_degrees", "compactions")


def _tts_device(integration: Integration, ids) -> tuple[tuple | None, dict | None]:
    if type(ids) is not dict:
        return None, {"end_device_ids": ["Expected the end device's ids (device_id, dev_eui)."]}
    device_id, dev_eui = ids.get("device_id"), ids.get("dev_eui")
    # The device is known by its The Things Stack device id, or else by its DevEUI (hex, as TTS writes it).
    candidates = [value for value in (device_id, dev_eui) if type(value) is str and value]
    if type(dev_eui) is str and dev_eui:
        candidates.append(dev_eui.upper())
    if not candidates:
        return None, {"end_device_ids": ["Give end_device_ids.device_id or end_device_ids.dev_eui."]}
    devices = _devices(integration, candidates)
    found = next((devices[value] for value in candidates if value in devices), None)
    if found is None:
        return None, {"end_device_ids": UNKNOWN_DEVICE}
    if not found[2]:
        return None, {"end_device_ids": INACTIVE_DEVICE}
    return found, None


def ingest_uplink(*, integration: Integration, message, now: dt.datetime | None = None) -> IngestResult:
    """Store the reading in one The Things Stack uplink message (its errors, if any, under index 0).

    The time is when the network server received the frame (uplink_message.received_at, else the
    message's received_at), so a retried webhook is the same reading. Values come from decoded_payload
    when The Things Stack's payload formatter already decoded them, else from frm_payload by the
    device's model. A message that is not an uplink (a join, a downlink event) stores nothing.
    """
    batch = Batch(now or timezone.now())
    if type(message) is not dict:
        raise ValidationError("Send The Things Stack's uplink message: a JSON object.", code="malformed")
    uplink = message.get("uplink_message")
    if type(uplink) is not dict:
        batch.refuse(0, {"uplink_message": ["This is not an uplink message, so there is no reading in it."]})
        return batch.store()
    found, errors = _tts_device(integration, message.get("end_device_ids"))
    if errors:
        batch.refuse(0, errors)
        return batch.store()
    target, model, _ = found
    measured_at = uplink.get("received_at") or message.get("received_at")
    if measured_at is None:
        batch.refuse(0, {"received_at": ["The message has no received_at time."]})
        return batch.store()
    decoded = uplink.get("decoded_payload")
    if type(decoded) is dict and any(name in decoded for name in TTS_VALUES):
        values = {name: decoded[name] for name in TTS_VALUES if name in decoded}
    elif "frm_payload" in uplink:
        values, errors, unreadable = _decoded(model, uplink["frm_payload"], uplink.get("f_port"))
        if errors:
            errors = {f"uplink_message.{'frm_payload' if name == 'payload' else name}": e for name, e in errors.items()}
            batch.refuse(0, errors, unreadable_for=target if unreadable else None, detail=unreadable or "")
            return batch.store()
    else:
        batch.refuse(0, {"uplink_message": ["The uplink has neither frm_payload nor decoded_payload values."]})
        return batch.store()
    batch.add(0, target, {**values, "measured_at": measured_at})
    return batch.store()
