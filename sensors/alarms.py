"""Alarms: each opens once per device and kind, and closes itself when its condition clears.

The rules that only need the sensor live here, each reading the device's row (sensors/state.py keeps its
latest reading and forecasts there) and, where it must, its latest reading:

- offline: no reading for SENSOR_ALARM_OFFLINE_INTERVALS reporting intervals (counted from when it was
  added, for a device that never reported);
- battery low: forecast to run out within SENSOR_ALARM_BATTERY_WITHIN, or at SENSOR_ALARM_BATTERY_PERCENT or less;
- impossible values: opened by ingest for out-of-range values (`report_impossible_values`), or here when the
  fill rises faster than SENSOR_ALARM_MAX_FILL_PER_HOUR for SENSOR_ALARM_MAX_FILL_OVER (three readings or more);
  closed once the device has sent only valid readings for SENSOR_ALARM_VALID_FOR;
- temperature (fire) and tilt: the latest reading at or above SENSOR_ALARM_TEMPERATURE_C / SENSOR_ALARM_TILT_DEGREES.

The market adds the rules that need its visits (marketplace/alarms.py) and applies them all at once with
`apply`: a constant number of queries however many devices, and opening an alarm that is already open (or
closing one that is not) does nothing, so a sweep can run as often as it likes and a retried task changes nothing.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sensors import forecast
from sensors.models import Alarm, Device, Reading

# Rows per UPDATE ... WHERE id IN (...): well inside SQLite's limit on query parameters.
CHUNK = 500
# Sustained means a fit over this many readings at least, not one jump between two.
MIN_RISING_READINGS = 3
LAST_SEEN = "last_seen_at"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NOTIFIED = "notified_at"

OpenAlarms = dict[tuple[int, str], Alarm]


def open_alarm(
    *, device: Device, kind: str, detail: str, context: dict | None = None, now: dt.datetime | None = None
) -> Alarm | None:
    """Open the device's alarm of this kind; returns it if this call opened it, None if one was already open."""
    if Alarm.objects.filter(device=device, kind=kind, closed_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            return Alarm.objects.create(
                device=device, kind=kind, detail=detail[:300], context=context or {}, opened_at=now or timezone.now()
            )
    except IntegrityError:  # opened by a concurrent sweep: the partial unique index keeps it one
        return None


def close_alarm(*, device: Device, kind: str, now: dt.datetime | None = None) -> bool:
    """Close the device's open alarm of this kind, if there is one; returns whether one was closed."""
    return bool(
        Alarm.objects.filter(device=device, kind=kind, closed_at__isnull=True).update(closed_at=now or timezone.now())
    )


def set_alarm(
    *,
    device: Device,
    kind: str,
    active: bool,
    detail: str = "",
    context: dict | None = None,
    now: dt.datetime | None = None,
) -> Alarm | None:
    """Open the alarm when its condition holds and close it when it does not; returns an alarm this call opened."""
    if active:
        return open_alarm(device=device, kind=kind, detail=detail, context=context, now=now)
    close_alarm(device=device, kind=kind, now=now)
    return None


def acknowledge(*, alarms: QuerySet, user, now: dt.datetime | None = None) -> int:
    """Record who took these alarms in hand and when (once: a second acknowledgement keeps the first)."""
    return alarms.filter(acknowledged_at__isnull=True).update(
        acknowledged_at=now or timezone.now(), acknowledged_by=user
    )


# --- Rules over many devices ---------------------------------------------------------------


@dataclass
class Verdict:
    """What one rule says of one device now: whether its condition holds, and in what words."""

    device_id: int
    kind: str
    active: bool
    detail: str = ""
    context: dict = field(default_factory=dict)
    # Context keys naming what the alarm is about (e.g. the visit that left the bin full): an open alarm about
    # something else is closed, keeping its evidence, and a new one opens.
    about: tuple[str, ...] = ()
    # Context keys brought up to date on an alarm that is already open (when an impossible value was last seen).
    refresh: tuple[str, ...] = ()


def local(moment: dt.datetime, tz_name: str) -> str:
    """A time as people at the place read it, on the site's one clock: "Mon, May 4, 9:05 AM" (Django's "D, M j, g:i A").

    Spelled out rather than through dateformat, which looks up translations per letter: a sweep writes
    thousands of these.
    """
    at = moment.astimezone(ZoneInfo(tz_name))
    return f"{DAYS[at.weekday()]}, {MONTHS[at.month - 1]} {at.day}, {at.hour % 12 or 12}:{at.minute:02d} " + (
        "AM" if at.hour < 12 else "PM"
    )


def open_alarms(devices: QuerySet) -> OpenAlarms:
    """The open alarms of these devices, by device and kind (one query)."""
    rows = Alarm.objects.filter(closed_at__isnull=True, device__in=devices).order_by()
    return {(alarm.device_id, alarm.kind): alarm for alarm in rows}


def _every(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "every day" if days == 1 else f"every {days} days"
    if minutes % 60 == 0 and minutes >= 120:
        return f"every {minutes // 60} hours"
    return f"every {minutes} minutes"


def offline(device: Device, *, now: dt.datetime) -> Verdict:
    """No reading for the allowed number of reporting intervals."""
    since = device.last_reading_at or device.created_at
    allowed = dt.timedelta(minutes=device.reporting_interval_minutes * settings.SENSOR_ALARM_OFFLINE_INTERVALS)
    # Sentences are written only for an alarm: local times for a whole city's bins every sweep cost seconds.
    if now - since < allowed:
        return Verdict(device.pk, Alarm.Kind.OFFLINE, False)
    tz = device.location.timezone
    if device.last_reading_at is None:
        detail = f"No reading since it was added on {local(since, tz)}"
    else:
        detail = f"No reading since {local(since, tz)}"
    return Verdict(
        device.pk,
        Alarm.Kind.OFFLINE,
        True,
        f"{detail}; it reports {_every(device.reporting_interval_minutes)}.",
        {"last_reading_at": device.last_reading_at.isoformat() if device.last_reading_at else None},
    )


def battery_low(device: Device, *, now: dt.datetime) -> Verdict:
    """Forecast to run out soon, or nearly flat already."""
    percent, empty_at = device.last_battery_percent, device.battery_empty_at
    flat = percent is not None and percent <= settings.SENSOR_ALARM_BATTERY_PERCENT
    running_out = empty_at is not None and empty_at <= now + settings.SENSOR_ALARM_BATTERY_WITHIN
    if not (flat or running_out):
        return Verdict(device.pk, Alarm.Kind.BATTERY_LOW, False)
    level = f" ({percent}% now)" if percent is not None else ""
    if running_out:
        empties = empty_at.astimezone(ZoneInfo(device.location.timezone))
        when = f"{MONTHS[empties.month - 1]} {empties.day}"
        detail = f"The battery is forecast to run out around {when}{level}."
    else:
        detail = f"The battery is at {percent}%: replace it soon."
    return Verdict(device.pk, Alarm.Kind.BATTERY_LOW, True, detail)


# An open fire or tilt alarm closes only this far back under its threshold: a reading hovering at the line
# (a hot afternoon, a bin leaning on a kerb) would otherwise open and close it, telling people each time.
TEMPERATURE_CLEARS_BELOW = 5
TILT_CLEARS_BELOW = 10


def _holds(value, threshold, *, is_open: bool, clears_below) -> bool:
    return value is not None and value >= (threshold - clears_below if is_open else threshold)


def temperature(device: Device, reading: Reading | None, *, is_open: bool = False) -> Verdict:
    """The latest reading is hot enough to be a fire (an open alarm holds until it is 5 °C under the line)."""
    degrees = reading.temperature_c if reading is not None else None
    hot = _holds(degrees, settings.SENSOR_ALARM_TEMPERATURE_C, is_open=is_open, clears_below=TEMPERATURE_CLEARS_BELOW)
    detail = ""
    if hot:
        detail = f"It read {degrees} °C at {local(reading.measured_at, device.location.timezone)}: a possible fire."
    return Verdict(device.pk, Alarm.Kind.TEMPERATURE, hot, detail, {"temperature_c": str(degrees) if hot else None})


def tilt(device: Device, reading: Reading | None, *, is_open: bool = False) -> Verdict:
    """The latest reading says the bin is knocked over, or lifted and left (an open alarm holds until 10° under)."""
    degrees = reading.tilt_degrees if reading is not None else None
    tipped = _holds(degrees, settings.SENSOR_ALARM_TILT_DEGREES, is_open=is_open, clears_below=TILT_CLEARS_BELOW)
    detail = ""
    if tipped:
        at = local(reading.measured_at, device.location.timezone)
        detail = f"It leaned {degrees}° from upright at {at}: the bin may have been knocked over."
    return Verdict(device.pk, Alarm.Kind.TILT, tipped, detail, {"tilt_degrees": degrees if tipped else None})


@dataclass(frozen=True)
class Rise:
    """How fast the fill rose since the bin was last emptied: points an hour, over how long, up to when."""

    per_hour: float
    hours: float
    until: dt.datetime


def sustained_rise(readings: list[tuple[dt.datetime, int]]) -> Rise | None:
    """The fitted rise over the readings since the last emptying; None with too few of them or too short a span."""
    ordered = sorted(readings)
    emptied = forecast.emptying_indexes(ordered)
    if emptied:
        ordered = ordered[emptied[-1] :]
    if len(ordered) < MIN_RISING_READINGS or ordered[-1][0] - ordered[0][0] < settings.SENSOR_ALARM_MAX_FILL_OVER:
        return None
    start, until = ordered[0][0], ordered[-1][0]
    slope = forecast.theil_sen_slope([((at - start).total_seconds() / 3600, fill) for at, fill in ordered])
    return Rise(per_hour=slope, hours=(until - start).total_seconds() / 3600, until=until)


def _last_seen(alarm: Alarm) -> dt.datetime:
    seen = alarm.context.get(LAST_SEEN) if isinstance(alarm.context, dict) else None
    parsed = parse_datetime(seen) if isinstance(seen, str) else None
    return parsed or alarm.opened_at


def impossible(device: Device, alarm: Alarm | None, rising: list[tuple[dt.datetime, int]]) -> Verdict | None:
    """Fill rising faster than a bin can fill opens it; a day of valid readings since the last bad one closes it.

    None leaves an open alarm be: ingest opened it for a value it refused, and it is not yet a day clear.
    """
    rise = sustained_rise(rising) if rising else None
    if rise is not None and rise.per_hour >= settings.SENSOR_ALARM_MAX_FILL_PER_HOUR:
        return Verdict(
            device.pk,
            Alarm.Kind.IMPOSSIBLE_VALUE,
            True,
            f"The fill rose {rise.per_hour:.0f} points an hour for {round(rise.hours, 1):g} hours, "
            "faster than a bin can fill: check the sensor.",
            {"rule": "fill_rate", LAST_SEEN: rise.until.isoformat()},
            refresh=(LAST_SEEN,),
        )
    if alarm is None:
        return None
    clear_after = _last_seen(alarm) + settings.SENSOR_ALARM_VALID_FOR
    if device.last_reading_at is not None and device.last_reading_at >= clear_after:
        return Verdict(device.pk, Alarm.Kind.IMPOSSIBLE_VALUE, False)
    return None


def sensor_verdicts(devices: list[Device], *, scope: QuerySet, alarms: OpenAlarms, now: dt.datetime) -> list[Verdict]:
    """Every sensor-only rule for these devices (the rows of `scope`): two queries, however many devices."""
    # Subqueries on the scope rather than lists of ids: a city's devices would overflow a query's parameters.
    latest = {
        reading.device_id: reading
        for reading in Reading.objects.filter(device__in=scope, measured_at=F("device__last_reading_at")).order_by()
    }
    # Only a device whose fit since emptying already rises that fast needs its recent readings looked at.
    rising = defaultdict(list)
    risers = Reading.objects.filter(
        device__in=scope.filter(fill_rate_per_day__gte=settings.SENSOR_ALARM_MAX_FILL_PER_HOUR * 24),
        measured_at__gte=now - settings.SENSOR_ALARM_MAX_FILL_OVER * 2,
        measured_at__lte=now,
    ).order_by()
    for device_id, at, fill in risers.values_list("device_id", "measured_at", "fill_percent"):
        rising[device_id].append((at, fill))
    verdicts = []
    for device in devices:
        reading = latest.get(device.pk)
        verdicts += [
            offline(device, now=now),
            battery_low(device, now=now),
            temperature(device, reading, is_open=(device.pk, Alarm.Kind.TEMPERATURE) in alarms),
            tilt(device, reading, is_open=(device.pk, Alarm.Kind.TILT) in alarms),
        ]
        verdict = impossible(device, alarms.get((device.pk, Alarm.Kind.IMPOSSIBLE_VALUE)), rising.get(device.pk, []))
        if verdict is not None:
            verdicts.append(verdict)
    return verdicts


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    """The items in slices of `size` (an IN list each, within SQLite's limit on parameters)."""
    return (items[start : start + size] for start in range(0, len(items), size))


@dataclass
class Outcome:
    """What `apply` changed: the alarms it opened and the ids of those it closed."""

    opened: list[Alarm] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)


def apply(verdicts: Iterable[Verdict], *, alarms: OpenAlarms, now: dt.datetime) -> Outcome:
    """Open what holds and is not open, close what is open and no longer holds.

    Queries do not grow with the number of devices: one update per CHUNK closed, one insert, one read back,
    one update of refreshed context. Call it inside a transaction, with `alarms` read in it.
    """
    closing, opening, refreshed = [], [], []
    for verdict in verdicts:
        alarm = alarms.get((verdict.device_id, verdict.kind))
        if not verdict.active:
            if alarm is not None:
                closing.append(alarm.pk)
            continue
        if alarm is not None and any(alarm.context.get(key) != verdict.context.get(key) for key in verdict.about):
            closing.append(alarm.pk)
            alarm = None
        if alarm is None:
            opening.append(
                Alarm(
                    device_id=verdict.device_id,
                    kind=verdict.kind,
                    detail=verdict.detail[:300],
                    context=verdict.context,
                    opened_at=now,
                )
            )
        elif any(alarm.context.get(key) != verdict.context.get(key) for key in verdict.refresh):
            alarm.context = {**alarm.context, **{key: verdict.context.get(key) for key in verdict.refresh}}
            refreshed.append(alarm)
    for pks in chunks(closing):
        Alarm.objects.filter(pk__in=pks, closed_at__isnull=True).update(closed_at=now)
    if refreshed:
        Alarm.objects.bulk_update(refreshed, ["context"], batch_size=CHUNK)
    outcome = Outcome(closed=set(closing))
    if not opening:
        return outcome
    # A concurrent sweep may open the same alarm first: the partial unique index keeps one, and the insert
    # skips it. The rows come back without ids on PostgreSQL, so they are read back by when they opened.
    Alarm.objects.bulk_create(opening, ignore_conflicts=True, batch_size=CHUNK)
    wanted = {(alarm.device_id, alarm.kind) for alarm in opening}
    kinds = sorted({kind for _, kind in wanted})
    made = Alarm.objects.filter(opened_at=now, closed_at__isnull=True, kind__in=kinds).order_by("pk")
    outcome.opened = [alarm for alarm in made if (alarm.device_id, alarm.kind) in wanted]
    return outcome


def close_inactive(*, scope: QuerySet, among: QuerySet, now: dt.datetime) -> int:
    """Close the open alarms of devices in `among` that are no longer watched (not in `scope`): switched off."""
    return (
        Alarm.objects.filter(closed_at__isnull=True, device__in=among).exclude(device__in=scope).update(closed_at=now)
    )


def report_impossible_values(*, seen: dict[int, tuple[str, dict]], now: dt.datetime | None = None) -> list[Alarm]:
    """Ingest refused out-of-range values: open each device's alarm, or note that it is still sending them.

    `seen` maps a device id to a sentence and what it sent, e.g. ("It sent a fill of 140%.", {"field":
    "fill_percent", "value": 140}). The time is kept on the alarm (`last_seen_at`): it closes once the device
    has sent only valid readings for SENSOR_ALARM_VALID_FOR after it. Returns the alarms opened (a constant
    number of queries); the market's next check of these devices sends their notices.
    """
    now = now or timezone.now()
    if not seen:
        return []
    with transaction.atomic():
        verdicts = [
            Verdict(pk, Alarm.Kind.IMPOSSIBLE_VALUE, True, detail, {**context, LAST_SEEN: now.isoformat()},
                    refresh=(LAST_SEEN,))
            for pk, (detail, context) in seen.items()
        ]  # fmt: skip
        return apply(verdicts, alarms=open_alarms(Device.objects.filter(pk__in=sorted(seen))), now=now).opened


def mark_notified(alarms: list[Alarm], *, now: dt.datetime) -> None:
    """Record that these alarms' notices were sent, so no later check sends them again."""
    for alarm in alarms:
        alarm.context = {**alarm.context, NOTIFIED: now.isoformat()}
    Alarm.objects.bulk_update(alarms, ["context"], batch_size=CHUNK)


def notified(alarm: Alarm) -> bool:
    return isinstance(alarm.context, dict) and bool(alarm.context.get(NOTIFIED))
