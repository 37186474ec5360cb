"""A device's state now, kept on its row: the forecast of when the bin is full and when the battery runs out.

Ingest keeps the latest reading on the device; `refresh` (run after each batch, off the request) fits
the fill since the last emptying on the bin's weekday clock learnt from its last four weeks (sensors/rules.py's
fit, the one the collect and skip rules and the city simulation use) and the battery over the last weeks,
and stores the rate, dates, weekday factors and spread, so a map of a whole city's bins and the alarm sweep
read one row per bin, not its readings.
"""

import datetime as dt
import functools
import statistics
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Max
from django.utils import timezone

from sensors import forecast, rules
from sensors.models import Device, Reading

# The fill line looks at this much history (the readings since the last emptying within it); its weekday
# profile at PROFILE_DAYS.
FILL_DAYS = 14
PROFILE_DAYS = forecast.PROFILE_DAYS
# A battery drains over months: a fit over weeks sees the trend through the day's temperature swings.
BATTERY_DAYS = 30
# Enough points for a stable fit; thinned evenly beyond (Theil-Sen costs a slope per pair).
MAX_BATTERY_POINTS = 200


@functools.cache
def local_zone(name: str) -> dt.tzinfo:
    """The location's zone (its weekdays are the bin's); UTC for a name the zone database does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def battery_empty_at(points: list[tuple[dt.datetime, int]]) -> dt.datetime | None:
    """When the battery's fitted line reaches 0%; None when it is not falling or there is too little to fit."""
    ordered = sorted(points)
    if len({at for at, _ in ordered}) < 2:
        return None
    if len(ordered) > MAX_BATTERY_POINTS:
        step = (len(ordered) - 1) / (MAX_BATTERY_POINTS - 1)
        ordered = [ordered[round(index * step)] for index in range(MAX_BATTERY_POINTS)]
    latest = ordered[-1][0]
    xy = [((at - latest).total_seconds() / forecast.SECONDS_PER_DAY, float(level)) for at, level in ordered]
    slope = forecast.theil_sen_slope(xy)
    if slope >= 0:
        return None
    level = statistics.median(y - slope * x for x, y in xy)
    return latest + dt.timedelta(days=max(level, 0) / -slope)


def refresh(device_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Recompute the latest reading and both forecasts of these devices; returns how many were updated."""
    now = now or timezone.now()
    ids = sorted(set(device_ids))
    if not ids:
        return 0
    since = now - dt.timedelta(days=max(FILL_DAYS, PROFILE_DAYS, BATTERY_DAYS))
    fills, batteries = defaultdict(list), defaultdict(list)
    latest = {}
    rows = (
        Reading.objects.filter(device_id__in=ids, measured_at__gte=since)
        .order_by()
        .values_list("device_id", "measured_at", "fill_percent", "battery_percent")
    )
    for device_id, measured_at, fill, battery in rows.iterator(chunk_size=10_000):
        if measured_at >= now - dt.timedelta(days=PROFILE_DAYS):
            fills[device_id].append((measured_at, fill))
        if battery is not None:
            batteries[device_id].append((measured_at, battery))
        if device_id not in latest or measured_at > latest[device_id][0]:
            latest[device_id] = (measured_at, fill, battery)
    # A device silent for longer than the window still keeps its last reading on the row.
    missing = [device_id for device_id in ids if device_id not in latest]
    if missing:
        last = dict(
            Reading.objects.filter(device_id__in=missing)
            .order_by()
            .values("device_id")
            .annotate(at=Max("measured_at"))
            .values_list("device_id", "at")
        )
        for reading in Reading.objects.filter(device_id__in=missing, measured_at__in=list(last.values())).order_by():
            if last.get(reading.device_id) == reading.measured_at:
                latest[reading.device_id] = (reading.measured_at, reading.fill_percent, reading.battery_percent)
    devices = list(Device.objects.filter(pk__in=ids).select_related("location").order_by())
    for device in devices:
        at, fill, battery = latest.get(device.pk, (None, None, None))
        device.last_reading_at, device.last_fill_percent = at, fill
        if battery is not None:
            device.last_battery_percent = battery
        series = fills.get(device.pk, [])
        outlook = rules.fit(series, days=FILL_DAYS, tz=local_zone(device.location.timezone)) if series else None
        device.fill_rate_per_day = None if outlook is None else outlook.rate
        device.full_at = None if outlook is None else rules.full_at(outlook)
        device.fill_weekday_factors = None if outlook is None else outlook.clock.profile
        device.fill_spread_percent = None if outlook is None else round(outlook.spread, 2)
        device.battery_empty_at = battery_empty_at(batteries.get(device.pk, []))
    Device.objects.bulk_update(
        devices,
        [
            "last_reading_at",
            "last_fill_percent",
            "last_battery_percent",
            "fill_rate_per_day",
            "full_at",
            "fill_weekday_factors",
            "fill_spread_percent",
            "battery_empty_at",
        ],
        batch_size=500,
    )
    return len(devices)
