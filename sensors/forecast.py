"""How fast a bin fills, when it will be full, and whether its pickups are too frequent: pure functions, no database.

The fill rate is a Theil-Sen fit (the median of the slopes between every pair of readings), so a few wild
readings (a lid left open, a sensor that glimpsed a bag) do not move it the way they would a least-squares
line. Only the readings since the bin was last emptied count: a drop of more than EMPTYING_DROP points
between two readings is an emptying.

Bins fill by the week's rhythm (a restaurant's Friday and Saturday, an office's empty weekend), so the fit
runs on a weekday clock: each local day counts as its weekday's factor of an average day, the factors
being the bin's own mean rise on each weekday over the last PROFILE_DAYS, relative to its mean day
(weekday_factors). A straight line on that clock is a forecast that rises faster on the busy days; with
no profile (too little history) every day counts alike. The spread of the readings around the line
(fit_line's `spread`) is what the collect rule leaves as a margin for the forecast's error.

Schedule advice is one documented rule: a bin that averages under HALF_EMPTY percent full when it is
collected is collected too often (twice the interval would do); one that averages over NEARLY_FULL
percent is collected too rarely (half the interval). Trash and organics rot, so they are never advised
less often than weekly; a smaller container is suggested instead.
"""

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from typing import NamedTuple

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
WEEKDAYS = 7
# The weekday profile: the history it learns from, the least of it worth a profile, and a gap between two
# readings too long to say on which day the waste came (lost uplinks, a sensor offline).
PROFILE_DAYS = 28
MIN_PROFILE_DAYS = 7
PROFILE_GAP = dt.timedelta(hours=12)
# Each weekday's factor is pulled toward 1 as if this many average days had also been seen on it: a weekday
# seen once (a new sensor) says less than one seen four times.
PROFILE_PRIOR_DAYS = 2
# A reading this far above both its neighbours is a glimpse of a bag, left out of the profile.
SPIKE_POINTS = 10
# No weekday is taken as quite without waste, so every day moves the clock (and its inverse exists).
MIN_FACTOR, MAX_FACTOR = 0.05, 4.0
# The robust standard deviation of normal errors is 1.4826 times their median absolute deviation.
MAD_TO_SIGMA = 1.4826

Readings = Sequence[tuple[dt.datetime, int]]
Factors = Sequence[float]


class Clock:
    """Time on a weekday clock: `days(moment)` counts local days from a fixed Monday, each at its weekday's factor.

    Factors (Monday..Sunday) average 1, so a week is 7 days on either clock; none gives the plain clock.
    Local days are taken as 24 hours (a DST day's hour moves a fraction of a day, which no forecast sees).
    """

    def __init__(self, factors: Factors | None = None, tz: dt.tzinfo | None = None):
        # The profile as given (None: the plain clock), for a device row to keep.
        self.profile = list(factors) if factors is not None else None
        self.factors = tuple(factors) if factors is not None else (1.0,) * WEEKDAYS
        self.tz = tz or dt.UTC
        self.before = [sum(self.factors[:weekday]) for weekday in range(WEEKDAYS + 1)]

    def days(self, moment: dt.datetime) -> float:
        local = moment.astimezone(self.tz)
        # Day 1 of the calendar (0001-01-01) was a Monday, so ordinal - 1 counts days from a Monday.
        weeks, weekday = divmod(local.toordinal() - 1, WEEKDAYS)
        into = (local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6) / SECONDS_PER_DAY
        return weeks * self.before[WEEKDAYS] + self.before[weekday] + self.factors[weekday] * into

    def moment(self, days: float) -> dt.datetime:
        """The inverse of days(): the moment at which the clock shows `days`."""
        weeks, rest = divmod(days, self.before[WEEKDAYS])
        weekday = max(index for index in range(WEEKDAYS) if self.before[index] <= rest)
        into = min(1.0, (rest - self.before[weekday]) / self.factors[weekday])
        midnight = dt.datetime.combine(dt.date.fromordinal(int(weeks) * WEEKDAYS + weekday + 1), dt.time(), self.tz)
        return midnight + dt.timedelta(days=into)

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.days(end) - self.days(start)


def _without_spikes(ordered: Readings) -> list[tuple[dt.datetime, int]]:
    return [
        reading
        for index, reading in enumerate(ordered)
        if not (
            0 < index < len(ordered) - 1
            and reading[1] - max(ordered[index - 1][1], ordered[index + 1][1]) > SPIKE_POINTS
        )
    ]


class Profile(NamedTuple):
    """A bin's fill history: its mean rise a day, and each local weekday's rise relative to it (Monday..Sunday)."""

    rate: float
    factors: tuple[float, ...]


def weekday_profile(readings: Readings, *, tz: dt.tzinfo | None = None) -> Profile | None:
    """The bin's mean rise a day, and on each local weekday relative to it (factors averaging 1).

    Each rise between two readings of one fill (not across an emptying, not while the sensor reads 100%,
    which hides overflow, not across a long gap) counts for the weekday of its midpoint. None with under
    MIN_PROFILE_DAYS of such time or no rise at all: every day then counts alike.
    """
    tz = tz or dt.UTC
    ordered = _without_spikes(sorted(readings))
    emptied = set(emptying_indexes(ordered))
    rise, seen = [0.0] * WEEKDAYS, [0.0] * WEEKDAYS
    for index in range(1, len(ordered)):
        (before, low), (after, high) = ordered[index - 1], ordered[index]
        if index in emptied or after - before > PROFILE_GAP or high >= 100 or low >= 100:
            continue
        weekday = (before + (after - before) / 2).astimezone(tz).weekday()
        rise[weekday] += high - low
        seen[weekday] += (after - before).total_seconds() / SECONDS_PER_DAY
    if sum(seen) < MIN_PROFILE_DAYS or sum(rise) <= 0:
        return None
    mean = sum(rise) / sum(seen)
    factors = [
        min(MAX_FACTOR, max(MIN_FACTOR, (rise[day] / mean + PROFILE_PRIOR_DAYS) / (seen[day] + PROFILE_PRIOR_DAYS)))
        for day in range(WEEKDAYS)
    ]
    total = sum(factors)
    return Profile(mean, tuple(round(WEEKDAYS * factor / total, 4) for factor in factors))


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


def _current_fill_points(readings: Readings, days: float, clock: Clock) -> list[tuple[float, float]]:
    """The readings since the last emptying and within `days` of the latest one, as (clock days, percent)."""
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
    now = clock.days(latest)
    return [(clock.days(at) - now, float(fill)) for at, fill in ordered]


class Line(NamedTuple):
    """The fitted fill line: its level at the latest reading, its rise (percent a day on the clock it was fitted
    on) and the robust spread of the readings around it (percent points)."""

    latest: dt.datetime
    level: float
    rate: float
    spread: float
    last_fill: float  # the latest reading since the emptying
    span: float = 0.0  # clock days from the first reading of the fit to the latest


def fit_line(readings: Readings, *, days: float = 14, clock: Clock | None = None) -> Line | None:
    """The Theil-Sen line through the readings since the last emptying (within `days`); None without two times."""
    clock = clock or Clock()
    points = _current_fill_points(readings, days, clock)
    if len({x for x, _ in points}) < 2:
        return None
    slope = theil_sen_slope(points)
    level = _intercept(points, slope)
    spread = MAD_TO_SIGMA * statistics.median(abs(y - level - slope * x) for x, y in points)
    latest = max(at for at, _ in readings)
    return Line(latest, level, slope, spread, points[-1][1], -points[0][0])


def fill_rate_per_day(readings: Readings, *, days: float = 14, clock: Clock | None = None) -> float | None:
    """Percent a day the bin has been filling since it was last emptied (within `days`); None without two readings.

    On a weekday clock it is the rise of an average day: a busy weekday rises by its factor times that."""
    line = fit_line(readings, days=days, clock=clock)
    return None if line is None else line.rate


def full_at_of(line: Line, *, threshold: float = 100, clock: Clock | None = None) -> dt.datetime | None:
    """When the line reaches `threshold`; None when it is not rising (or only so slowly its date means nothing)."""
    clock = clock or Clock()
    # The fitted level now, rather than the last reading, so one odd reading does not move the date.
    if line.level >= threshold or line.last_fill >= threshold:
        return line.latest
    days_left = (threshold - line.level) / line.rate if line.rate > 0 else math.inf
    # A slope of next to nothing is "not rising": its date would be centuries away (or past datetime's range).
    if days_left > MAX_FORECAST_DAYS:
        return None
    return clock.moment(clock.days(line.latest) + days_left).astimezone(line.latest.tzinfo)


def predicted_full_at(
    readings: Readings, *, threshold: float = 100, days: float = 14, clock: Clock | None = None
) -> dt.datetime | None:
    """When the fitted fill line reaches `threshold`; None when it is not rising (or there is too little data)."""
    line = fit_line(readings, days=days, clock=clock)
    return None if line is None else full_at_of(line, threshold=threshold, clock=clock)


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
