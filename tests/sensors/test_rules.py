"""The collect and skip rules over a fill forecast: pure functions, the same for the market and the city simulation."""

import datetime as dt

import pytest

from sensors import forecast, rules

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)  # a Monday
NOW = START + dt.timedelta(days=2)


def line(level_now: float, rate_per_day: float, *, hours: int = 48, every: int = 2):
    """Readings every `every` hours for `hours` up to NOW along a straight line ending at level_now."""
    return [
        (NOW - dt.timedelta(hours=h), round(level_now - rate_per_day * h / 24))
        for h in range(hours, -1, -every)
        if level_now - rate_per_day * h / 24 >= 0
    ]


def outlook(level: float, rate: float) -> rules.Forecast:
    return rules.Forecast(level=level, rate=rate, at=NOW)


def test_the_fit_gives_the_level_now_and_the_rate():
    fit = rules.fit(line(50, 12))
    assert fit.at == NOW
    assert fit.level == pytest.approx(50, abs=0.6)
    assert fit.rate == pytest.approx(12, abs=0.3)
    assert fit.level_at(NOW + dt.timedelta(days=2)) == pytest.approx(74, abs=1.5)


def test_the_row_kept_by_sensors_state_gives_the_same_forecast_as_the_readings():
    readings = line(41, 9)
    rate = forecast.fill_rate_per_day(readings)
    full_at = forecast.predicted_full_at(readings)
    from_row = rules.from_state(rate=rate, full_at=full_at, last_reading_at=NOW, last_fill=41)
    from_readings = rules.fit(readings)
    assert from_row.level == pytest.approx(from_readings.level)
    assert from_row.rate == from_readings.rate


def test_too_few_readings_since_the_emptying_give_no_forecast():
    emptied = [(NOW - dt.timedelta(hours=4), 85), (NOW, 3)]
    assert rules.fit(emptied) is None
    assert rules.from_state(rate=None, full_at=None, last_reading_at=NOW, last_fill=3) is None


def test_a_bin_that_is_not_filling_keeps_its_level():
    flat = rules.from_state(rate=-0.5, full_at=None, last_reading_at=NOW, last_fill=35)
    assert (flat.level, flat.level_at(NOW + dt.timedelta(days=30))) == (35, 35)


def test_a_full_reading_means_full_now():
    fit = rules.fit([*line(90, 10, hours=12), (NOW + dt.timedelta(hours=1), 100)])
    assert fit.level == 100


TOMORROW_END = NOW + dt.timedelta(days=1, hours=9)
DAY_AFTER_END = NOW + dt.timedelta(days=2, hours=9)


@pytest.mark.parametrize(
    ("level", "rate", "next_visit_at", "collect"),
    [
        (80, 0, None, True),  # at the mark now
        (60, 15, None, True),  # 60 + 15 x 2.4 days = 96 by the chance after the coming one, past 95%: collect now
        (60, 10, None, False),  # 84 by then: past the mark, yet safe, so it waits to be emptied fuller
        (55, 15, NOW + dt.timedelta(days=7), False),  # the visit is later than that chance: the chance counts
        (65, 15, NOW + dt.timedelta(hours=12), False),  # its visit comes before it is nearly full
        (20, 0, None, False),  # not filling
    ],
)
def test_collect_when_waiting_for_the_next_chance_would_pass_the_safe_level(level, rate, next_visit_at, collect):
    decision = rules.should_collect(
        outlook=outlook(level, rate), mark=80, next_visit_at=next_visit_at, next_chance_at=DAY_AFTER_END
    )
    assert decision is collect


@pytest.mark.parametrize(
    ("level", "rate", "days_to_visit_after", "skip"),
    [
        (40, 5, 7, True),  # 40 + 5 x 7.4 days = 77 at the visit after: under 80, so it can wait
        (45, 5, 7, False),  # 82 by then: keep the visit, or it would pass its mark
        (25, 10, 7, False),  # nearly empty, yet filling fast: the threshold alone would have skipped it
        (60, -3, 7, True),  # falling (noise after a compaction): it stays put
    ],
)
def test_skip_only_when_the_bin_is_still_under_its_mark_at_the_visit_after(level, rate, days_to_visit_after, skip):
    visit_after = NOW + dt.timedelta(days=days_to_visit_after, hours=9)
    assert rules.can_skip(outlook=outlook(level, rate), mark=80, visit_after_at=visit_after) is skip


def test_no_visit_after_means_no_skip_on_forecast():
    assert rules.can_skip(outlook=outlook(5, 1), mark=80, visit_after_at=None) is False


def test_the_thresholds_are_todays_rules():
    assert rules.collect_on_threshold(level=80, mark=80) and not rules.collect_on_threshold(level=79, mark=80)
    assert rules.skip_on_threshold(level=29, skip_below=30) and not rules.skip_on_threshold(level=30, skip_below=30)


def test_the_safe_level_leaves_two_spreads_and_at_least_five_points():
    assert rules.Forecast(level=50, rate=5, at=NOW).safe_level == 95
    assert rules.Forecast(level=50, rate=5, at=NOW, spread=4).safe_level == 92


def test_the_forecast_rises_faster_over_the_bins_busy_days():
    from tests.sensors.test_forecast import weekly_rhythm

    readings = weekly_rhythm(3, saturday=32, other=8)  # ends on a Sunday night
    fit = rules.fit(readings)
    monday = dt.datetime(2026, 3, 23, tzinfo=dt.UTC)
    friday = monday + dt.timedelta(days=4)
    weekdays = fit.level_at(friday) - fit.level_at(monday)
    weekend = fit.level_at(friday + dt.timedelta(days=2)) - fit.level_at(friday)
    assert weekend > 1.7 * weekdays / 2  # two days with a Saturday rise by more than two of Monday..Thursday's


def test_a_bin_just_emptied_rises_as_its_history_did():
    # A point every two hours (12 a day) for a week, then emptied: one reading since gives no line of its own.
    readings = [*[(NOW - dt.timedelta(days=8, hours=-2 * k), 5 + k) for k in range(85)], (NOW, 3)]
    fit = rules.fit(readings)
    assert fit.level == pytest.approx(3)
    assert fit.rate == pytest.approx(12, rel=0.05)


def test_the_row_keeps_the_weekday_clock_and_spread():
    from tests.sensors.test_forecast import weekly_rhythm

    fit = rules.fit(weekly_rhythm(3, saturday=32, other=8))
    kept = rules.from_state(
        rate=fit.rate,
        full_at=rules.full_at(fit),
        last_reading_at=fit.at,
        last_fill=None,
        factors=fit.clock.profile,
        spread=fit.spread,
    )
    assert kept.level == pytest.approx(fit.level)
    assert kept.level_at(fit.at + dt.timedelta(days=2)) == pytest.approx(fit.level_at(fit.at + dt.timedelta(days=2)))
    assert kept.safe_level == fit.safe_level


CHANCES = [NOW + dt.timedelta(days=days, hours=9) for days in (1, 2, 3)]  # the next three working days' ends


@pytest.mark.parametrize(
    ("level", "rate", "next_visit_at", "deadline"),
    [
        (80, 0, None, 0),  # at its mark: the coming chance
        (60, 15, None, 0),  # 96 by the second chance, past 95%: only the coming one is safe
        (60, 12, None, 1),  # 88 by the second chance, 100 by the third: the second is its deadline
        (50, 10, None, None),  # 84 by the third chance: past its mark, yet safe, so not due within them
        (65, 15, NOW + dt.timedelta(hours=12), None),  # its visit empties it first
        (60, 15, NOW + dt.timedelta(days=2, hours=20), 0),  # the visit comes after it would pass its safe level
    ],
)
def test_the_deadline_is_the_last_chance_before_the_bin_would_pass_its_safe_level(level, rate, next_visit_at, deadline):
    found = rules.collect_by(outlook=outlook(level, rate), mark=80, chances=CHANCES, next_visit_at=next_visit_at)
    assert found == deadline
    # Over two chances it is the rule that collects now.
    forecast_now, visit = outlook(level, rate), next_visit_at
    collect = rules.should_collect(outlook=forecast_now, mark=80, next_visit_at=visit, next_chance_at=CHANCES[1])
    assert collect is (rules.collect_by(outlook=forecast_now, mark=80, chances=CHANCES[:2], next_visit_at=visit) == 0)
