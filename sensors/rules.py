"""When to collect a bin and when a visit can be skipped: pure decision rules over a fill forecast, no database.

The market (marketplace/bins.py) and the city simulation (marketplace/demo/city.py) both decide with these
functions, so what the benchmark measures is what production does.

A forecast is the fitted fill level at some moment and the rate it rises at, from sensors/forecast.py's
robust fit over the readings since the last emptying, on the bin's weekday clock (its own weekday profile of
rises over the last four weeks: a restaurant's Saturday counts for more than its Monday). The mark is the
device's collect_at_percent: the level at which a bin is full enough to be worth emptying. The safe level
is 100% less a margin for the forecast's error: SAFETY_SIGMAS times the spread of the readings around the
fitted line, and at least MIN_MARGIN points.

- Collect on forecast: collect at the coming chance (the next working day) when the bin is at its mark now,
  or when waiting would let it pass its safe level before it would otherwise be emptied: by its next visit
  or, sooner, the chance after the coming one (should_collect). Over more chances, collect_by gives the
  bin's deadline: the last chance before the one it would pass its safe level by; the market
  (marketplace/bins.py) collects a bin due in a day or two early when it is at its mark by the coming
  chance and its stop is next to that day's route. Otherwise it waits, and fills further: a bin is
  emptied as full as it safely can be, not as soon as it is forecast to reach the mark.
- Skip on forecast: a visit can be skipped when the bin will still be under its mark at the visit after it,
  so skipping cannot make it overflow.
- Without a forecast (too few readings since the last emptying, or the rule turned off) the thresholds
  decide: collect at the mark, skip below skip_below_percent.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sensors import forecast

SECONDS_PER_DAY = forecast.SECONDS_PER_DAY
# The margin under 100% the collect rule keeps: readings scatter about their line by the fit's spread (sensor
# noise and the fill's own day-to-day swing), so two spreads cover all but a few percent of its errors; never
# under MIN_MARGIN points, for a fit too short to show its scatter.
SAFETY_SIGMAS = 2.0
MIN_MARGIN = 5.0
FULL = 100.0
# A fill only hours old says little about its rate (a few noisy readings): its line's rate is blended with
# the bin's mean rate over its history as if the history were worth this many days of the current fill.
HISTORY_WEIGHT_DAYS = 1.0


@dataclass(frozen=True)
class Forecast:
    """The fitted fill level at `at` and how fast it rises (percent an average day; zero or less: not filling).

    `clock` is the bin's weekday clock (forecast.Clock: plain without a profile) and `spread` the robust
    spread of its readings around the line, in points.
    """

    level: float
    rate: float
    at: dt.datetime
    clock: forecast.Clock = field(default_factory=forecast.Clock)
    spread: float = 0.0

    def level_at(self, moment: dt.datetime) -> float:
        """The level the line gives at `moment`, uncapped (above 100 means overflowing); a falling line stays put."""
        return self.level + max(self.rate, 0.0) * max(self.clock.between(self.at, moment), 0.0)

    @property
    def safe_level(self) -> float:
        """The level the bin may be let reach before it is emptied: 100% less the margin for forecast error."""
        return FULL - max(MIN_MARGIN, SAFETY_SIGMAS * self.spread)


def fit(readings: forecast.Readings, *, days: float = 14, tz: dt.tzinfo | None = None) -> Forecast | None:
    """The forecast from readings (time, percent) as sensors/forecast.py fits it; None with too little data.

    The fill line uses the last `days` since the emptying; the weekday profile the last PROFILE_DAYS of
    the readings given (local weekdays in `tz`)."""
    if not readings:
        return None
    latest = max(at for at, _ in readings)
    since = latest - dt.timedelta(days=forecast.PROFILE_DAYS)
    profile = forecast.weekday_profile([(at, fill) for at, fill in readings if at >= since], tz=tz)
    factors = profile.factors if profile is not None else None
    clock = forecast.Clock(factors, tz)
    line = forecast.fit_line(readings, days=days, clock=clock)
    if line is None and profile is None:
        return None
    if line is None:
        # Just emptied: the latest reading is the level, rising as the bin has risen these weeks.
        line = forecast.Line(latest, float(max(readings)[1]), profile.rate, 0.0, float(max(readings)[1]))
    elif profile is not None:
        weight = min(line.span, days)
        rate = (weight * line.rate + HISTORY_WEIGHT_DAYS * profile.rate) / (weight + HISTORY_WEIGHT_DAYS)
        line = line._replace(rate=rate)
    return from_state(
        rate=line.rate,
        full_at=forecast.full_at_of(line, clock=clock),
        last_reading_at=latest,
        last_fill=max(readings)[1],
        factors=factors,
        tz=tz,
        spread=line.spread,
    )


def from_state(
    *,
    rate: float | None,
    full_at: dt.datetime | None,
    last_reading_at: dt.datetime | None,
    last_fill: int | None,
    factors: forecast.Factors | None = None,
    tz: dt.tzinfo | None = None,
    spread: float | None = None,
) -> Forecast | None:
    """The forecast a device row keeps (sensors/state.py): its rate and forecast-full time give the fitted level."""
    if rate is None or last_reading_at is None:
        return None
    clock = forecast.Clock(factors, tz)
    spread = spread or 0.0
    if full_at is not None and rate > 0:
        # full_at is where the line reaches 100 on the bin's clock: this is its inverse, the fitted level at latest.
        level = FULL - rate * clock.between(last_reading_at, full_at)
        return Forecast(level=level, rate=rate, at=last_reading_at, clock=clock, spread=spread)
    if last_fill is None:
        return None
    # Not rising: the fit gives no date; the latest reading is the level.
    return Forecast(level=float(last_fill), rate=rate, at=last_reading_at, clock=clock, spread=spread)


def full_at(outlook: Forecast) -> dt.datetime | None:
    """When the forecast reaches 100% (what a device row keeps); None when it is not rising, or only so slowly
    the date means nothing."""
    if outlook.rate <= 0:
        return None
    if outlook.level >= FULL:
        return outlook.at
    days_left = (FULL - outlook.level) / outlook.rate
    if days_left > forecast.MAX_FORECAST_DAYS:
        return None
    return outlook.clock.moment(outlook.clock.days(outlook.at) + days_left).astimezone(outlook.at.tzinfo)


def should_collect(
    *, outlook: Forecast, mark: float, next_visit_at: dt.datetime | None, next_chance_at: dt.datetime
) -> bool:
    """Collect at the coming chance: the bin is at its mark, or would pass its safe level before it would
    otherwise be emptied.

    next_visit_at is the end of its next visit's window (None: none booked); next_chance_at the end of the
    window of the chance after the coming one (the following working day).
    """
    emptied_by = next_chance_at if next_visit_at is None else min(next_visit_at, next_chance_at)
    return outlook.level >= mark or outlook.level_at(emptied_by) >= outlook.safe_level


def collect_by(
    *, outlook: Forecast, mark: float, chances: Sequence[dt.datetime], next_visit_at: dt.datetime | None = None
) -> int | None:
    """The last of the coming chances (the ends of the working days' windows, earliest first) by which the bin
    must be collected: 0 when it is at its mark, else the chance before the first it would pass its safe level
    by. None when it can wait past them all, or for its next visit: it is not due yet.

    collect_by(...) == 0 is should_collect over the first two chances; more chances tell a bin due in a day or
    two (one that may be collected early where that is cheap) from one that is not due.
    """
    if outlook.level >= mark:
        return 0
    for index, chance in enumerate(chances[1:], 1):
        if next_visit_at is not None and next_visit_at <= chance:
            # The visit comes first and empties it, unless the bin passes its safe level before then.
            return index - 1 if outlook.level_at(next_visit_at) >= outlook.safe_level else None
        if outlook.level_at(chance) >= outlook.safe_level:
            return index - 1
    return None


def can_skip(*, outlook: Forecast, mark: float, visit_after_at: dt.datetime | None) -> bool:
    """A visit can be skipped when the bin will still be under its mark at the end of the visit after it."""
    if visit_after_at is None:
        return False  # nothing after it: skipping would leave the bin to overflow
    return outlook.level_at(visit_after_at) < mark


def collect_on_threshold(*, level: float, mark: float) -> bool:
    """Today's rule, the fallback: collect when a reading is at the mark."""
    return level >= mark


def skip_on_threshold(*, level: float, skip_below: float) -> bool:
    """Today's rule, the fallback: skip a visit when the reading at its cutoff is under skip_below."""
    return level < skip_below
