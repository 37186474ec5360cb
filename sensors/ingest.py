"""Storing readings in bulk: each item checked on its own, repeats counted, the good ones written in one statement.

Every way in (a sensor's own token, a network server's webhook, a vendor's batch) ends here. An item is
checked in plain Python (thousands a request, so no serializer per item); a bad one is reported by its
index with messages by field and spoils no other. A reading is one per device and time: a repeat in the
batch or one already stored is counted as a duplicate, so a retried request stores nothing twice.

A value no sensor could truly measure (fill or battery outside 0-100%, temperature outside -60..150 °C, tilt
outside 0-180°, a negative count, bytes its decoder cannot read) is refused like any bad value, and also
opens the device's impossible-value alarm: a sensor saying such things is broken or misconfigured.

On PostgreSQL the batch is copied in (COPY) and stored by one statement: ON CONFLICT DO NOTHING drops
the rows already stored, and the same statement moves each touched device's latest reading onto its row
(only when newer), locking those rows in id order so two batches cannot deadlock. Elsewhere (SQLite,
the embedded default) the ORM does the same in a few queries.
"""

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import Case, F, Q, Value, When

from sensors.alarms import report_impossible_values
from sensors.models import Device, Reading

# A sensor's clock may run a little ahead of ours; beyond this a reading from "the future" is a broken clock.
CLOCK_SKEW = dt.timedelta(minutes=5)
# Older readings say nothing about a bin now, and a backlog that old is a device replaying its memory.
MAX_AGE = dt.timedelta(days=30)
# A bin on fire reads far above any weather: up to 150 °C is a reading (the fire alarm's business), beyond it
# a broken probe.
TEMPERATURE_RANGE = (Decimal("-60"), Decimal("150"))
TILT_RANGE = (0, 180)
# Compactions between two emptyings: a few hundred in practice; a count past this is a broken counter.
MAX_COMPACTIONS = 100_000
ONE_DECIMAL = Decimal("0.1")

REQUIRED = ["This field is required."]
WHOLE_NUMBER = ["Enter a whole number."]
PERCENT = ["Enter a percent from 0 to 100."]
NOT_AN_OBJECT = {"non_field_errors": ["Expected an object with fill_percent and measured_at."]}
TIME_FORMAT = ["Enter an ISO 8601 date and time, e.g. 2026-05-01T14:30:00Z."]


@dataclass
class IngestResult:
    """What became of a batch: how many were stored, how many were already known, and why the others were not."""

    accepted: int = 0
    duplicates: int = 0
    errors: dict[int, dict[str, list[str]]] = field(default_factory=dict)
    # The devices that got new readings, for the rules and the forecast (sorted ids).
    device_ids: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.errors)


@dataclass(frozen=True, slots=True)
class Target:
    """What checking an item needs to know of its device."""

    pk: int
    compactions_when_full: int | None = None


def _shown(value) -> str:
    text = str(value)
    return text if len(text) <= 20 else text[:17] + "..."


def _reported(what: str) -> str:
    return f"Reported {what}, which no sensor can measure."


def _measured_at(value, errors: dict, now: dt.datetime) -> dt.datetime | None:
    if type(value) is str:
        # An ISO 8601 date alone parses to midnight: a reading needs its time of day.
        try:
            value = dt.datetime.fromisoformat(value) if len(value) > 10 else None
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        errors["measured_at"] = TIME_FORMAT
    elif value.tzinfo is None or value.utcoffset() is None:
        errors["measured_at"] = ["Give a UTC offset (e.g. Z or -05:00): a time without one is ambiguous."]
    elif value > now + CLOCK_SKEW:
        errors["measured_at"] = ["This time is in the future; check the sensor's clock."]
    elif value < now - MAX_AGE:
        errors["measured_at"] = ["This reading is more than 30 days old."]
    else:
        return value if value.tzinfo is dt.UTC else value.astimezone(dt.UTC)
    return None


def _temperature(value, errors: dict, impossible: list) -> Decimal | None:
    if type(value) is int:
        degrees = Decimal(value) if -1000 < value < 1000 else None
    elif type(value) is float or isinstance(value, Decimal):
        if not math.isfinite(value):
            errors["temperature_c"] = ["Enter a number of degrees Celsius."]
            return None
        # Stored to a tenth of a degree: more precision is rounded, as a sensor's last digit is noise anyway.
        # (Only near the range: a huge number has no tenth to round to.)
        degrees = Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP) if -1000 < value < 1000 else None
    else:
        errors["temperature_c"] = ["Enter a number of degrees Celsius."]
        return None
    low, high = TEMPERATURE_RANGE
    if degrees is None or not low <= degrees <= high:
        errors["temperature_c"] = ["Enter a temperature from -60 to 150 °C."]
        impossible.append(("temperature_c", value, _reported(f"a temperature of {_shown(value)} °C")))
        return None
    return degrees


def clean(item, target: Target, now: dt.datetime) -> tuple[tuple | None, dict | None, tuple | None]:
    """One item as (measured_at, fill, battery, temperature, tilt, compactions), or its errors by field.

    Also returns the first physically impossible value seen, as (field, value, sentence), for the alarm.
    A compactor's fill is derived from its compaction count when the device knows the count that means full.
    """
    if type(item) is not dict:
        return None, NOT_AN_OBJECT, None
    errors: dict[str, list[str]] = {}
    impossible: list = []
    get = item.get

    value = get("measured_at")
    if value is None:
        errors["measured_at"] = REQUIRED
        measured_at = None
    else:
        measured_at = _measured_at(value, errors, now)

    compactions = get("compactions")
    if compactions is not None:
        if type(compactions) is not int:
            errors["compactions"] = WHOLE_NUMBER
            compactions = None
        elif not 0 <= compactions <= MAX_COMPACTIONS:
            errors["compactions"] = [f"Enter a count of compactions from 0 to {MAX_COMPACTIONS:,}."]
            impossible.append(("compactions", compactions, _reported(f"{_shown(compactions)} compactions")))
            compactions = None
    when_full = target.compactions_when_full
    if compactions is not None and when_full:
        # The count that means full is 100%; rounded half up, and a compactor past it is still just full.
        fill = min(100, (200 * compactions + when_full) // (2 * when_full))
    else:
        fill = get("fill_percent")
        if fill is None:
            errors["fill_percent"] = REQUIRED
        elif type(fill) is not int:
            errors["fill_percent"] = WHOLE_NUMBER
        elif not 0 <= fill <= 100:
            errors["fill_percent"] = PERCENT
            impossible.append(("fill_percent", fill, _reported(f"a fill of {_shown(fill)}%")))

    battery = get("battery_percent")
    if battery is not None:
        if type(battery) is not int:
            errors["battery_percent"] = WHOLE_NUMBER
        elif not 0 <= battery <= 100:
            errors["battery_percent"] = PERCENT
            impossible.append(("battery_percent", battery, _reported(f"a battery of {_shown(battery)}%")))

    temperature = get("temperature_c")
    if temperature is not None:
        temperature = _temperature(temperature, errors, impossible)

    tilt = get("tilt_degrees")
    if tilt is not None:
        low, high = TILT_RANGE
        if type(tilt) is not int:
            errors["tilt_degrees"] = WHOLE_NUMBER
        elif not low <= tilt <= high:
            errors["tilt_degrees"] = ["Enter an angle from upright of 0 to 180 degrees."]
            impossible.append(("tilt_degrees", tilt, _reported(f"a tilt of {_shown(tilt)}°")))

    if errors:
        return None, errors, impossible[0] if impossible else None
    return (measured_at, fill, battery, temperature, tilt, compactions), None, None


class Batch:
    """Items gathered for one store: clean rows by (device, time), errors by index, impossible values by device."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self.result = IngestResult()
        self.rows: dict[tuple[int, dt.datetime], tuple] = {}
        self.impossible: dict[int, tuple] = {}

    def add(self, index: int, target: Target, item) -> None:
        """Check one item for this device; keep it, count it as a repeat, or note its errors."""
        row, errors, impossible = clean(item, target, self.now)
        if errors:
            self.result.errors[index] = errors
            if impossible is not None:
                self.impossible.setdefault(target.pk, impossible)
            return
        key = (target.pk, row[0])
        if key in self.rows:
            self.result.duplicates += 1
        else:
            self.rows[key] = (target.pk, *row)

    def refuse(self, index: int, errors: dict, *, unreadable_for: Target | None = None, detail: str = "") -> None:
        """Note an item that never got as far as its values (no device; bytes its decoder cannot read)."""
        self.result.errors[index] = errors
        if unreadable_for is not None:
            self.impossible.setdefault(unreadable_for.pk, ("payload", None, detail))

    def store(self) -> IngestResult:
        """Write the new rows and the devices' latest readings, open impossible-value alarms; returns the result."""
        result = self.result
        if self.rows:
            rows = list(self.rows.values())
            store = _store_postgresql if connection.vendor == "postgresql" else _store_orm
            inserted = store(rows, self.now)
            result.accepted = sum(inserted.values())
            result.duplicates += len(rows) - result.accepted
            result.device_ids = sorted(inserted)
        if self.impossible:
            _open_impossible_alarms(self.impossible, self.now)
        return result


# --- Writing --------------------------------------------------------------------------------

# The batch arrives by COPY (binary, formatted in C by psycopg) into a session's temporary table, which
# the statement below empties as it reads it. Temporary tables belong to one connection: this needs a
# session (not transaction) pool mode in front of PostgreSQL, as Django's own connections are.
_INCOMING = "sensors_incoming_reading"
_CREATE_INCOMING = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} (
    device_id bigint, measured_at timestamptz, fill_percent smallint, battery_percent smallint,
    temperature_c numeric(5, 1), tilt_degrees smallint, compactions integer
)
"""
_COPY = f"COPY {_INCOMING} FROM STDIN (FORMAT BINARY)"
_COPY_TYPES = ["int8", "timestamptz", "int2", "int2", "numeric", "int2", "int4"]
_INSERT = f"""
WITH incoming AS (
    DELETE FROM {_INCOMING} RETURNING *
), new AS (
    INSERT INTO sensors_reading
        (device_id, measured_at, fill_percent, battery_percent, temperature_c, tilt_degrees, compactions, received_at)
    SELECT device_id, measured_at, fill_percent, battery_percent, temperature_c, tilt_degrees, compactions, %s
    FROM incoming
    ON CONFLICT (device_id, measured_at) DO NOTHING
    RETURNING device_id, measured_at, fill_percent, battery_percent
), latest AS (
    SELECT DISTINCT ON (device_id) device_id, measured_at, fill_percent, battery_percent
    FROM new ORDER BY device_id, measured_at DESC
), locked AS MATERIALIZED (
    SELECT id FROM sensors_device WHERE id IN (SELECT device_id FROM latest) ORDER BY id FOR NO KEY UPDATE
), touched AS (
    UPDATE sensors_device AS device
    SET last_reading_at = latest.measured_at,
        last_fill_percent = latest.fill_percent,
        last_battery_percent = COALESCE(latest.battery_percent, device.last_battery_percent)
    FROM latest
    WHERE device.id = latest.device_id
        AND device.id IN (SELECT id FROM locked)
        AND (device.last_reading_at IS NULL OR device.last_reading_at < latest.measured_at)
)
SELECT device_id, count(*) FROM new GROUP BY device_id
"""
DEADLOCK_RETRIES = 2


def _store_postgresql(rows: list[tuple], now: dt.datetime) -> dict[int, int]:
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_CREATE_INCOMING)
                with connection.wrap_database_errors, cursor.cursor.copy(_COPY) as copy:
                    copy.set_types(_COPY_TYPES)
                    write = copy.write_row
                    for row in rows:
                        write(row)
                cursor.execute(_INSERT, [now])
                return dict(cursor.fetchall())
        except OperationalError as error:
            # The device rows are locked in id order, but the alarm sweep or the forecast refresh may hold
            # some: a deadlock rolls the whole batch back, so trying again stores each row once.
            if attempt == DEADLOCK_RETRIES or "deadlock" not in str(error):
                raise
    raise AssertionError("unreachable")


# SQLite's statements stay well under its parameter limit in chunks of this many devices.
ORM_CHUNK = 200


def _store_orm(rows: list[tuple], now: dt.datetime) -> dict[int, int]:
    by_device: dict[int, list[tuple]] = {}
    for row in rows:
        by_device.setdefault(row[0], []).append(row)
    device_ids = list(by_device)
    known = set()
    for start in range(0, len(device_ids), ORM_CHUNK):
        chunk = device_ids[start : start + ORM_CHUNK]
        times = [row[1] for device_id in chunk for row in by_device[device_id]]
        # order_by(): the default ordering would join the device (and its location) for nothing.
        known.update(
            Reading.objects.filter(device_id__in=chunk, measured_at__gte=min(times), measured_at__lte=max(times))
            .order_by()
            .values_list("device_id", "measured_at")
        )
    new = [row for row in rows if (row[0], row[1]) not in known]
    inserted: dict[int, int] = {}
    latest: dict[int, tuple] = {}
    for row in new:
        inserted[row[0]] = inserted.get(row[0], 0) + 1
        if row[0] not in latest or row[1] > latest[row[0]][1]:
            latest[row[0]] = row
    with transaction.atomic():
        # ignore_conflicts covers a concurrent batch holding the same reading: the row is stored once, and
        # that batch's count may then call it accepted too.
        Reading.objects.bulk_create(
            [
                Reading(
                    device_id=device_id,
                    measured_at=measured_at,
                    fill_percent=fill,
                    battery_percent=battery,
                    temperature_c=temperature,
                    tilt_degrees=tilt,
                    compactions=compactions,
                    received_at=now,
                )
                for device_id, measured_at, fill, battery, temperature, tilt, compactions in new
            ],
            ignore_conflicts=True,
        )
        _touch_devices_orm(list(latest.values()))
    return inserted


def _touch_devices_orm(latest: list[tuple]) -> None:
    for start in range(0, len(latest), ORM_CHUNK):
        chunk = latest[start : start + ORM_CHUNK]
        newer = Q()
        at, fill, battery = [], [], []
        for device_id, measured_at, fill_percent, battery_percent, *_ in chunk:
            newer |= Q(pk=device_id) & (Q(last_reading_at__isnull=True) | Q(last_reading_at__lt=measured_at))
            at.append(When(pk=device_id, then=Value(measured_at)))
            fill.append(When(pk=device_id, then=Value(fill_percent)))
            kept = F("last_battery_percent") if battery_percent is None else Value(battery_percent)
            battery.append(When(pk=device_id, then=kept))
        fields = Device._meta.get_field
        Device.objects.filter(newer).update(
            last_reading_at=Case(*at, default=F("last_reading_at"), output_field=fields("last_reading_at")),
            last_fill_percent=Case(*fill, default=F("last_fill_percent"), output_field=fields("last_fill_percent")),
            last_battery_percent=Case(
                *battery, default=F("last_battery_percent"), output_field=fields("last_battery_percent")
            ),
        )


def _open_impossible_alarms(impossible: dict[int, tuple], now: dt.datetime) -> None:
    # Through the alarm rules' bulk call, which also notes the time of each sighting on an alarm already open:
    # it closes a day after the last bad value, not a day after it opened.
    seen = {}
    for pk, (name, value, detail) in impossible.items():
        if value is not None and not (type(value) is int and abs(value) < 10**15):
            value = _shown(value)  # JSON-safe, and short
        seen[pk] = (detail, {"field": name, "value": value})
    report_impossible_values(seen=seen, now=now)
