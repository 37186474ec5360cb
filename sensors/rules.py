"""When to collect a bin and when a visit can be skipped: pure decision rules over a fill forecast, no database.

The market (marketplace/bins.py) and the city simulation (marketplace/demo/city.py) both decide with these
functions, so what the benchmark measures is what production does.

A forecast is the fitted fill level at some moment and the rate it rises at (percent a day), from
sensors/forecast.py's robust fit over the readings since the last emptying. The mark is the device's
collect_at_percent: the level at which a bin is worth emptying, and the margin left before it overflows.

- Collect on forecast: collect at the coming chance (the next working day) when the bin is at its mark, or
  will be by the time it would otherwise be emptied: its next visit or, sooner, the chance after the coming
  one. Waiting for a later chance would let it pass its mark; booking earlier would empty it half full.
- Skip on forecast: a visit can be skipped when the bin will still be under its mark at the visit after it,
  so skipping cannot make it overflow.
- Without a forecast (too few readings since the last emptying, or the rule turned off) the thresholds
  decide: collect at the mark, skip below skip_below_percent.
"""

import datetime as dt
from dataclasses import dataclass

from sensors import forecast

SECONDS_PER_DAY = forecast.SECONDS_PER_DAY


@dataclass(frozen=True)
class Forecast:
    """The fitted fill level at `at` and how fast it rises (percent a day; zero or less: not filling)."""

    level: float
    rate: float
    at: dt.datetime

    def level_at(self, moment: dt.datetime) -> float:
        """The level the line gives at `moment`, uncapped (above 100 means overflowing); a falling line stays put."""
        days = (moment - self.at).total_seconds() / SECONDS_PER_DAY
        return self.level + max(self.rate, 0.0) * max(days, 0.0)


def fit(readings: forecast.Readings, *, days: float = 14) -> Forecast | None:
    """The forecast from readings (time, percent) as sensors/forecast.py fits it; None with too little data."""
    rate = forecast.fill_rate_per_day(readings, days=days)
    if rate is None:
        return None
    latest = max(at for at, _ in readings)
    full_at = forecast.predicted_full_at(readings, days=days)
    return from_state(rate=rate, full_at=full_at, last_reading_at=latest, last_fill=max(readings)[1])


def from_state(
    *, rate: float | None, full_at: dt.datetime | None, last_reading_at: dt.datetime | None, last_fill: int | None
) -> Forecast | None:
    """The forecast a device row keeps (sensors/state.py): its rate and forecast-full time give the fitted level."""
    if rate is None or last_reading_at is None:
        return None
    if full_at is not None and rate > 0:
        # predicted_full_at is latest + (100 - level) / rate: this is its inverse, the fitted level at latest.
        days_left = (full_at - last_reading_at).total_seconds() / SECONDS_PER_DAY
        return Forecast(level=100 - rate * days_left, rate=rate, at=last_reading_at)
    if last_fill is None:
        return None
    # Not rising: the fit gives no date; the latest reading is the level.
    return Forecast(level=float(last_fill), rate=rate, at=last_reading_at)


def should_collect(
    *, outlook: Forecast, mark: float, next_visit_at: dt.datetime | None, next_chance_at: dt.datetime
) -> bool:
    """Collect at the coming chance: the bin is at its mark, or will be before it would otherwise be emptied.

    next_visit_at is the end of its next visit's window (None: none booked); next_chance_at the end of the
    window of the chance after the coming one (the following working day).
    """
    emptied_by = next_chance_at if next_visit_at is None else min(next_visit_at, next_chance_at)
    return outlook.level >= mark or outlook.level_at(emptied_by) >= mark


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
