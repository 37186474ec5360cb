"""Fleet alarms: every watched bin's rules in one sweep, and the notices for what opened.

The sensor-only rules (offline, battery, impossible values, fire, tilt) are in sensors/alarms.py; the two
here need the market's visits:

- overflow risk: the bin is forecast full (Device.full_at) before the next visit's arrival window opens, or,
  with no visit booked, within SENSOR_ALARM_OVERFLOW_HORIZON. A visit no hauler took (unmatched) is no visit.
  It closes when a visit is booked in time or the forecast moves.
- fill not dropping: a visit of the bin's container at its location was completed with proof, yet every
  reading from SENSOR_ALARM_EMPTIED_GRACE after it (SENSOR_ALARM_EMPTIED_READINGS of them at least) still shows
  the bin at or above its collect mark. The alarm names the pickup ({"pickup": id}): the evidence of a case for
  the trust flow, shown to staff. It closes when a reading shows the bin below its mark.

`check` runs them all for every active device (the beat's sweep) or for a few (right after their readings
arrive) with a constant number of queries, not one per device, and sends each opened alarm's notices once:
the business's members hear of their bins being offline, low on battery, about to overflow, on fire or
tipped over; staff hear of fires, impossible values and visits that left a bin full.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from core.enqueue import enqueue
from marketplace import scheduling
from marketplace.models import Pickup
from sensors import alarms as sensor_alarms
from sensors.alarms import Verdict, local
from sensors.models import Alarm, Device, Reading

K = Alarm.Kind
# The notice kinds (marketplace/notifications.py) each alarm kind sends.
NOTICES = {
    K.OFFLINE: ("alarm_offline",),
    K.BATTERY_LOW: ("alarm_battery_low",),
    K.OVERFLOW_RISK: ("alarm_overflow_risk",),
    K.TEMPERATURE: ("alarm_temperature", "alarm_temperature_staff"),
    K.TILT: ("alarm_tilt",),
    K.FILL_NOT_DROPPING: ("alarm_fill_not_dropping",),
    K.IMPOSSIBLE_VALUE: ("alarm_impossible_value",),
}
# What the business sees of its bins (the others are staff's to look into).
BUSINESS_KINDS = (K.OFFLINE, K.BATTERY_LOW, K.OVERFLOW_RISK, K.TEMPERATURE, K.TILT)
# A visit that will come: requested and offered pickups are on their way to a hauler; unmatched ones are not.
COMING = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED, Pickup.Status.SCHEDULED)


def watched() -> QuerySet:
    """The devices whose rules run: switched on, at a location still in use."""
    return Device.objects.filter(active=True, location__archived_at__isnull=True)


def _container_key(device: Device) -> tuple[int, str, str]:
    return device.location_id, device.waste_stream, device.container


def next_visits(devices: list[Device], *, scope: QuerySet, now: dt.datetime) -> dict[int, dict]:
    """Each device's next coming visit (from today, local time) with its window's start; one query."""
    rows = (
        Pickup.objects.filter(
            location__in=scope.values("location_id"),
            status__in=COMING,
            # The earliest "today" anywhere; each device then drops what is before its own today.
            service_date__gte=(now - dt.timedelta(days=1)).date(),
        )
        .order_by("service_date", "window_start", "pk")
        .values("pk", "location_id", "waste_stream", "container", "service_date", "window_start", "window_end")
    )
    visits: dict[tuple, list[dict]] = {}
    for row in rows:
        visits.setdefault((row["location_id"], row["waste_stream"], row["container"]), []).append(row)
    found = {}
    for device in devices:
        tz = device.location.timezone
        today = scheduling.local_today(tz, now=now)
        for row in visits.get(_container_key(device), []):
            if row["service_date"] >= today:
                start, _ = scheduling.window_bounds(
                    service_date=row["service_date"],
                    window_start=row["window_start"],
                    window_end=row["window_end"],
                    tz_name=tz,
                )
                found[device.pk] = {**row, "starts_at": start}
                break
    return found


def overflow_risk(device: Device, visit: dict | None, *, now: dt.datetime) -> Verdict:
    """Forecast full before the next visit can come (or soon, with none booked)."""
    full_at = device.full_at
    tz = device.location.timezone
    if full_at is None:
        return Verdict(device.pk, K.OVERFLOW_RISK, False)
    if visit is not None:
        at_risk = full_at < visit["starts_at"]
    else:
        at_risk = full_at <= now + settings.SENSOR_ALARM_OVERFLOW_HORIZON
    if not at_risk:
        return Verdict(device.pk, K.OVERFLOW_RISK, False)
    full = "It is full now" if full_at <= now else f"It is forecast full by {local(full_at, tz)}"
    if visit is not None:
        day, hour = local(visit["starts_at"], tz).rsplit(", ", 1)
        detail = f"{full}; the next visit is not until {day} (from {hour})."
    else:
        detail = f"{full}, and no visit is booked."
    context = {"full_at": full_at.isoformat(), "pickup": visit["pk"] if visit else None}
    return Verdict(device.pk, K.OVERFLOW_RISK, True, detail, context)


def _after_visits(scope: QuerySet, *, now: dt.datetime) -> dict[int, dict]:
    """Per device, its latest proven completed visit in the lookback with the readings since its grace ran out.

    One grouped query: the readings joined to the completed pickups of the same container at the same
    location (every condition in one filter(), so all of them are about the same pickup).
    """
    visit = "device__location__pickups__"
    rows = (
        Reading.objects.filter(
            device__in=scope,
            **{
                f"{visit}status": Pickup.Status.COMPLETED,
                f"{visit}completed_at__gte": now - settings.SENSOR_ALARM_EMPTIED_LOOKBACK,
                f"{visit}completed_at__lte": now,
                f"{visit}waste_stream": F("device__waste_stream"),
                f"{visit}container": F("device__container"),
                f"{visit}proof__isnull": False,
            },
            measured_at__gt=F(f"{visit}completed_at") + settings.SENSOR_ALARM_EMPTIED_GRACE,
            measured_at__lte=now,
        )
        .order_by()
        .values("device_id", pickup=F(f"{visit}pk"), completed_at=F(f"{visit}completed_at"))
        .annotate(
            readings=Count("pk"),
            below=Count("pk", filter=Q(fill_percent__lt=F("device__collect_at_percent"))),
        )
    )
    latest: dict[int, dict] = {}
    for row in rows:
        if row["device_id"] not in latest or row["completed_at"] > latest[row["device_id"]]["completed_at"]:
            latest[row["device_id"]] = row
    return latest


def _below_mark(device: Device) -> bool:
    return device.last_fill_percent is not None and device.last_fill_percent < device.collect_at_percent


def fill_not_dropping(devices: list[Device], *, scope: QuerySet, alarms: dict, now: dt.datetime) -> list[Verdict]:
    """Bins still at or above their mark in every reading since a visit was proven done."""
    after = _after_visits(scope, now=now)
    verdicts = []
    for device in devices:
        row = after.get(device.pk)
        if row is not None and row["readings"] >= settings.SENSOR_ALARM_EMPTIED_READINGS:
            tz = device.location.timezone
            detail = (
                f"Pickup #{row['pickup']} was marked done on {local(row['completed_at'], tz)}, but the bin read "
                f"at or above {device.collect_at_percent}% in all {row['readings']} readings since "
                f"({device.last_fill_percent}% now): a case for the trust flow."
            )
            verdicts.append(
                Verdict(
                    device.pk, K.FILL_NOT_DROPPING, row["below"] == 0, detail, {"pickup": row["pickup"]}, ("pickup",)
                )
            )
        elif (device.pk, K.FILL_NOT_DROPPING) in alarms and _below_mark(device):
            # The visit is out of the lookback: the alarm stays until the bin is seen below its mark.
            verdicts.append(Verdict(device.pk, K.FILL_NOT_DROPPING, False))
    return verdicts


def _notify(found: Iterable[Alarm], opened: list[Alarm], *, now: dt.datetime) -> None:
    """Send each alarm's notices once, whoever opened it (ingest opens impossible-value alarms itself).

    `opened` are this sweep's own new rows, theirs alone. `found` were open already and may be waiting for
    their notices (ingest's); sweeps overlap (the beat's, and one after each batch) and may all find the
    same one waiting, so its row is locked to claim it, and a sweep that waited for another's lock reads it
    back already told.
    """
    waiting = sorted(alarm.pk for alarm in found if not sensor_alarms.notified(alarm))
    claimed = [
        alarm
        for chunk in sensor_alarms.chunks(waiting)
        for alarm in Alarm.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        if not sensor_alarms.notified(alarm)
    ]
    pending = [*claimed, *opened]
    for alarm in pending:
        for kind in NOTICES[alarm.kind]:
            enqueue("marketplace.notify", kind, alarm.pk)
    if pending:
        sensor_alarms.mark_notified(pending, now=now)


def check(*, device_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> list[Alarm]:
    """Run every alarm rule for these devices (None: every watched device); returns the alarms it opened."""
    now = now or timezone.now()
    among = Device.objects.all()
    if device_ids is not None:
        among = among.filter(pk__in=sorted(set(device_ids)))
    scope = watched() & among
    with transaction.atomic():
        sensor_alarms.close_inactive(scope=watched(), among=among, now=now)
        devices = list(scope.select_related("location").order_by("pk"))
        alarms = sensor_alarms.open_alarms(scope)
        visits = next_visits(devices, scope=scope, now=now)
        verdicts = sensor_alarms.sensor_verdicts(devices, scope=scope, alarms=alarms, now=now)
        verdicts += [overflow_risk(device, visits.get(device.pk), now=now) for device in devices]
        verdicts += fill_not_dropping(devices, scope=scope, alarms=alarms, now=now)
        outcome = sensor_alarms.apply(verdicts, alarms=alarms, now=now)
        still_open = [alarm for alarm in alarms.values() if alarm.pk not in outcome.closed]
        _notify(still_open, outcome.opened, now=now)
    return outcome.opened


def shown_to_business(devices: Iterable[Device]) -> dict[int, list[Alarm]]:
    """The open alarms a business sees on its bins, oldest first, by device (one query)."""
    found: dict[int, list[Alarm]] = {}
    rows = Alarm.objects.filter(device__in=list(devices), closed_at__isnull=True, kind__in=BUSINESS_KINDS)
    for alarm in rows.order_by("opened_at", "pk"):
        found.setdefault(alarm.device_id, []).append(alarm)
    return found
