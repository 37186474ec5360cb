"""How fast a bin fills, when it will be full, and whether its pickups are too frequent: pure functions, no database.

The fill rate is a Theil-Sen fit (the median of the slopes between every pair of readings), so a few wild
readings (a lid left open, a sensor that glimpsed a bag) do not move it the way they would a least-squares
line. Only the readings since the bin was last emptied count: a drop of more than EMPTYING_DROP points
between two readings is an emptying.

Schedule advice is one documented rule: a bin that averages under HALF_EMPTY percent full when it is
collected is collected too often (twice the interval would do); one that averages over NEARLY_FULL
percent is collected too rarely (half the interval). Trash and organics rot, so they are never advised
less often than weekly; a smaller container is suggested instead.
"""

import datetime as dt
import math
import statistics
from collections.abc import Sequence

from core.catalog import Container, WasteStream

EMPTYING_DROP = 20
HALF_EMPTY = 50
NEARLY_FULL = 95
# Theil-Sen costs a slope per pair of points; beyond this many readings the series is thinned evenly.
MAX_POINTS = 300
PUTRESCIBLE = {WasteStream.TRASH, WasteStream.ORGANICS}
WEEK = 7
MAX_FORECAST_DAYS = 3650
SECONDS_PER_DAY = 86_400

Readings = Sequence[tuple[dt.datetime, int]]


def theil_sen_slope(points: Sequence[tuple[float, float]]) -> float:
    """The median of the slopes between every pair of points with different x (x in days, y in percent)."""
    slopes = [
        (y2 - y1) / (x2 - x1) for index, (x1, y1) in enumerate(points) for x2, y2 in points[index + 1 :] if x2 != x1
    ]
    if not slopes:
        raise ValueError("A slope needs at least two points at different times.")
    return statistics.median(slopes)


def _intercept(points: Sequence[tuple[float, float]], slope: float) -> float:
    return statistics.median(y - slope * x for x, y in points)


def emptying_indexes(readings: Readings) -> list[int]:
    """Indexes (into time-ordered readings) of the first reading after each emptying.

    A fall straight after a lone high reading, when the one before it was about as low, is that reading's
    error (a bag glimpsed under the sensor), not an emptying: the fill since it was last emptied stays whole.
    """
    found = []
    for index in range(1, len(readings)):
        level = readings[index][1]
        if readings[index - 1][1] - level <= EMPTYING_DROP:
            continue
        if index >= 2 and readings[index - 2][1] - level <= EMPTYING_DROP:
            continue
        found.append(index)
    return found


def fills_before_emptying(readings: Readings) -> list[int]:
    """The fill level last seen before each emptying: how full the bin was when it was collected."""
    ordered = sorted(readings)
    return [ordered[index - 1][1] for index in emptying_indexes(ordered)]


def _current_fill_points(readings: Readings, days: float) -> list[tuple[float, float]]:
    """The readings since the last emptying and within `days` of the latest one, as (days, percent)."""
    ordered = sorted(readings)
    if not ordered:
        return []
    emptied = emptying_indexes(ordered)
    if emptied:
        ordered = ordered[emptied[-1] :]
    latest = ordered[-1][0]
    ordered = [(at, fill) for at, fill in ordered if at >= latest - dt.timedelta(days=days)]
    if len(ordered) > MAX_POINTS:
        step = (len(ordered) - 1) / (MAX_POINTS - 1)
        ordered = [ordered[round(index * step)] for index in range(MAX_POINTS)]
    return [((at - latest).total_seconds() / SECONDS_PER_DAY, float(fill)) for at, fill in ordered]


def fill_rate_per_day(readings: Readings, *, days: float = 14) -> float | None:
    """Percent a day the bin has been filling since it was last emptied (within `days`); None without two readings."""
    points = _current_fill_points(readings, days)
    if len({x for x, _ in points}) < 2:
        return None
    return theil_sen_slope(points)


def predicted_full_at(readings: Readings, *, threshold: float = 100, days: float = 14) -> dt.datetime | None:
    """When the fitted fill line reaches `threshold`; None when it is not rising (or there is too little data)."""
    points = _current_fill_points(readings, days)
    if len({x for x, _ in points}) < 2:
        return None
    slope = theil_sen_slope(points)
    latest = max(at for at, _ in readings)
    # The fitted level now, rather than the last reading, so one odd reading does not move the date.
    level = _intercept(points, slope)
    if level >= threshold or points[-1][1] >= threshold:
        return latest
    days_left = (threshold - level) / slope if slope > 0 else math.inf
    # A slope of next to nothing is "not rising": its date would be centuries away (or past datetime's range).
    if days_left > MAX_FORECAST_DAYS:
        return None
    return latest + dt.timedelta(days=days_left)


def average_fill_at_pickup(fills_before_emptying: Sequence[int]) -> float | None:
    """The mean fill level at collection, or None when no collection has been seen."""
    if not fills_before_emptying:
        return None
    return statistics.fmean(fills_before_emptying)


def _every(days: float) -> str:
    if days == 1:
        return "every day"
    if days % WEEK == 0:
        weeks = int(days // WEEK)
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    per_week = WEEK / days
    if per_week == int(per_week):
        return "twice a week" if per_week == 2 else f"{int(per_week)} times a week"
    return f"every {round(days)} days"


def _bin_name(waste_stream: str, container: str) -> str:
    stream = WasteStream(waste_stream).label.lower() + " " if waste_stream in WasteStream.values else ""
    if container not in Container.values:
        return f"{stream}bin"
    size, kind = Container(container).label.rsplit(" ", 1)
    return f"{size} {stream}{'bin' if kind == 'dumpster' else kind}"


def suggest_schedule(
    avg_fill_at_pickup: float | None, current_frequency_days: float, *, waste_stream: str = "", container: str = ""
) -> str | None:
    """A sentence advising a different pickup interval when the bin is mostly empty or overflowing at pickup."""
    if avg_fill_at_pickup is None or current_frequency_days <= 0:
        return None
    opening = f"Your {_bin_name(waste_stream, container)} averages {round(avg_fill_at_pickup)}% at pickup"
    if avg_fill_at_pickup < HALF_EMPTY:
        longer = current_frequency_days * 2
        if waste_stream in PUTRESCIBLE and longer > WEEK:
            return f"{opening}: a smaller container would do."
        return f"{opening}: {_every(longer)} would do."
    if avg_fill_at_pickup > NEARLY_FULL:
        shorter = current_frequency_days / 2
        if shorter < 1:
            return f"{opening}: a larger container would do."
        return f"{opening}: it is full by then; {_every(shorter)} would keep up."
    return None
