"""Forecast math on synthetic series whose answers are known."""

import datetime as dt
import random

import pytest

from sensors import forecast

START = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


def series(rate_per_day: float, *, start_fill: float = 5, days: float = 6, every_hours: float = 2, start=START):
    """A straight fill line: (time, percent) every `every_hours`, as sensors report it."""
    count = int(days * 24 / every_hours) + 1
    return [
        (start + dt.timedelta(hours=every_hours * n), round(start_fill + rate_per_day * every_hours * n / 24, 6))
        for n in range(count)
    ]


# --- Theil-Sen -------------------------------------------------------------------------------------


def test_theil_sen_is_exact_on_a_straight_line():
    points = [(x / 4, 7 + 12.5 * x / 4) for x in range(40)]
    assert forecast.theil_sen_slope(points) == pytest.approx(12.5)


def test_theil_sen_shrugs_off_20_percent_outliers():
    rng = random.Random(7)
    points = [(x / 8, 10 + 9 * x / 8) for x in range(100)]
    for index in rng.sample(range(100), 20):  # a fifth of the readings are wild
        points[index] = (points[index][0], rng.choice([0, 100, rng.uniform(0, 100)]))

    assert forecast.theil_sen_slope(points) == pytest.approx(9, abs=0.5)
    # A least-squares line through the same points is pulled well off.
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    least_squares = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    assert abs(least_squares - 9) > 2 * abs(forecast.theil_sen_slope(points) - 9)


def test_theil_sen_ignores_pairs_at_the_same_time_and_needs_two_times():
    assert forecast.theil_sen_slope([(0, 0), (0, 50), (1, 10), (2, 20)]) == pytest.approx(10)
    with pytest.raises(ValueError):
        forecast.theil_sen_slope([(1, 10), (1, 20)])
    with pytest.raises(ValueError):
        forecast.theil_sen_slope([])


# --- Fill rate and emptying ----------------------------------------------------------------------


def test_the_fill_rate_of_a_straight_line_is_its_slope():
    assert forecast.fill_rate_per_day(series(12)) == pytest.approx(12)


def test_no_data_or_one_reading_has_no_rate():
    assert forecast.fill_rate_per_day([]) is None
    assert forecast.fill_rate_per_day([(START, 40)]) is None
    assert forecast.predicted_full_at([]) is None
    assert forecast.predicted_full_at([(START, 40)]) is None


def test_only_readings_since_the_last_emptying_count():
    before = series(30, start_fill=10, days=2)  # filled fast, up to 70%
    emptied_at = before[-1][0] + dt.timedelta(hours=2)
    after = series(8, start_fill=2, days=3, start=emptied_at)

    assert forecast.emptying_indexes(before + after) == [len(before)]
    assert forecast.fill_rate_per_day(before + after) == pytest.approx(8)
    assert forecast.fill_rate_per_day(list(reversed(before + after))) == pytest.approx(8)  # any order


def test_a_drop_of_20_points_or_less_is_noise_not_an_emptying():
    readings = [(START, 50), (START + dt.timedelta(hours=2), 30), (START + dt.timedelta(hours=4), 9)]
    assert forecast.emptying_indexes(readings) == [2]
    assert forecast.emptying_indexes(readings[:2]) == []


def test_only_the_last_days_count():
    old = series(20, start_fill=0, days=2)  # fast, long ago, never emptied in between
    recent = series(5, start_fill=old[-1][1], days=10, start=old[-1][0] + dt.timedelta(days=10))

    assert forecast.fill_rate_per_day(old + recent, days=7) == pytest.approx(5)


def test_a_long_series_is_thinned_yet_gives_the_same_slope():
    readings = series(3, start_fill=1, days=14, every_hours=0.25)  # every 15 minutes: 1,345 readings
    assert len(readings) > forecast.MAX_POINTS
    assert forecast.fill_rate_per_day(readings) == pytest.approx(3)


# --- When full ---------------------------------------------------------------------------------


def test_predicted_full_follows_the_line():
    readings = series(10, start_fill=20, days=2)  # 40% at the last reading, 10 points a day

    assert forecast.predicted_full_at(readings) == readings[-1][0] + dt.timedelta(days=6)
    assert forecast.predicted_full_at(readings, threshold=80) == readings[-1][0] + dt.timedelta(days=4)


def test_predicted_full_is_robust_to_one_odd_last_reading():
    readings = series(10, start_fill=20, days=2)
    readings[-1] = (readings[-1][0], 95)  # a bag held in front of the sensor

    assert forecast.predicted_full_at(readings) == readings[-1][0] + dt.timedelta(days=6)


def test_a_full_bin_is_full_now_and_a_bin_that_is_not_filling_has_no_date():
    full = series(10, start_fill=85, days=2)
    assert forecast.predicted_full_at(full) == full[-1][0]
    assert forecast.predicted_full_at(series(0, start_fill=30)) is None
    assert forecast.predicted_full_at(series(-3, start_fill=60, days=2)) is None


# --- At pickup, and the advice --------------------------------------------------------------------


def test_fills_before_emptying_and_their_average():
    week = series(6, start_fill=3, days=7)
    next_week = series(7, start_fill=1, days=7, start=week[-1][0] + dt.timedelta(hours=2))
    readings = week + next_week + series(5, start_fill=2, days=1, start=next_week[-1][0] + dt.timedelta(hours=2))

    fills = forecast.fills_before_emptying(readings)

    assert fills == [week[-1][1], next_week[-1][1]] == [45, 50]
    assert forecast.average_fill_at_pickup(fills) == pytest.approx(47.5)
    assert forecast.average_fill_at_pickup([]) is None


@pytest.mark.parametrize(
    ("average", "days", "stream", "container", "advice"),
    [
        (
            45,
            7,
            "cardboard",
            "dumpster_4yd",
            "Your 4-yard cardboard bin averages 45% at pickup: every 2 weeks would do.",
        ),
        (
            30,
            14,
            "recycling",
            "cart_96gal",
            "Your 96-gallon recycling cart averages 30% at pickup: every 4 weeks would do.",
        ),
        (
            20,
            2,
            "cardboard",
            "dumpster_8yd",
            "Your 8-yard cardboard bin averages 20% at pickup: every 4 days would do.",
        ),
        (
            40,
            3.5,
            "organics",
            "cart_96gal",
            "Your 96-gallon organics cart averages 40% at pickup: every week would do.",
        ),
        (40, 7, "trash", "dumpster_6yd", "Your 6-yard trash bin averages 40% at pickup: a smaller container would do."),
        (
            98,
            7,
            "trash",
            "rolloff_20yd",
            "Your 20-yard trash roll-off averages 98% at pickup: it is full by then; twice a week would keep up.",
        ),
        (
            97,
            14,
            "recycling",
            "",
            "Your recycling bin averages 97% at pickup: it is full by then; every week would keep up.",
        ),
        (99, 1, "trash", "dumpster_2yd", "Your 2-yard trash bin averages 99% at pickup: a larger container would do."),
        (48.4, 7, "", "", "Your bin averages 48% at pickup: every 2 weeks would do."),
    ],
)
def test_schedule_advice(average, days, stream, container, advice):
    assert forecast.suggest_schedule(average, days, waste_stream=stream, container=container) == advice


@pytest.mark.parametrize(("average", "days"), [(50, 7), (75, 7), (95, 7), (None, 7), (30, 0)])
def test_no_advice_when_the_schedule_fits(average, days):
    assert forecast.suggest_schedule(average, days) is None


def test_a_bin_rising_next_to_nothing_has_no_date():
    # 0.0001 points a day: the line reaches 100% centuries on, beyond what a date can say.
    readings = [(START + dt.timedelta(days=d), 20) for d in range(10)] + [(START + dt.timedelta(days=10), 21)]
    assert forecast.fill_rate_per_day(readings) == 0
    crawling = [(START + dt.timedelta(days=d * 1000), 20 + d) for d in range(3)]
    assert forecast.predicted_full_at(crawling, days=10_000) is None


def test_a_lone_high_reading_is_not_followed_by_an_emptying():
    readings = series(6, start_fill=20, days=2)
    spiked = list(readings)
    at, level = spiked[10]
    spiked[10] = (at, level + 40)  # a bag under the sensor for one reading
    assert forecast.emptying_indexes(spiked) == []
    assert forecast.fill_rate_per_day(spiked) == pytest.approx(6)
    emptied = [*readings, (readings[-1][0] + dt.timedelta(hours=2), 2)]  # high for two readings, then low
    assert forecast.emptying_indexes(emptied) == [len(readings)]


def weekly_rhythm(weeks: int, *, saturday: float, other: float, every_hours: int = 2, tz=dt.UTC):
    """Readings of a bin rising `saturday` points on Saturdays and `other` on other days, emptied at 90%."""
    start = dt.datetime(2026, 3, 2, tzinfo=tz)  # a Monday
    level, out = 5.0, []
    for step in range(weeks * 7 * 24 // every_hours):
        at = start + dt.timedelta(hours=step * every_hours)
        level += (saturday if at.weekday() == 5 else other) * every_hours / 24
        if level > 90:
            level = 3.0
        out.append((at, round(level)))
    return out


def test_the_weekday_profile_learns_the_busy_day_and_ignores_the_emptyings():
    profile = forecast.weekday_profile(weekly_rhythm(4, saturday=32, other=8))
    assert sum(profile.factors) == pytest.approx(7, abs=0.01)
    monday, saturday = profile.factors[0], profile.factors[5]
    # Four Saturdays at four times the rise, pulled toward an average day by the prior of two days each.
    assert 2.4 < saturday / monday < 4.0
    assert profile.rate == pytest.approx((32 + 6 * 8) / 7, rel=0.1)


def test_too_little_history_has_no_profile():
    assert forecast.weekday_profile(weekly_rhythm(4, saturday=32, other=8)[:60]) is None  # five days


def test_the_weekday_clock_counts_busy_days_for_more_and_keeps_the_week():
    clock = forecast.Clock((0.5, 0.5, 0.5, 0.5, 1.0, 2.0, 2.0))
    friday = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    assert clock.between(friday, friday + dt.timedelta(days=7)) == pytest.approx(7)
    assert clock.between(friday, friday + dt.timedelta(days=3)) == pytest.approx(5.0)  # Fri + Sat + Sun
    assert clock.between(friday - dt.timedelta(days=4), friday) == pytest.approx(2.0)  # Mon..Thu
    moment = friday + dt.timedelta(days=1, hours=7)
    assert abs(clock.moment(clock.days(moment)) - moment) < dt.timedelta(seconds=1)
    assert forecast.Clock().between(friday, moment) == pytest.approx(31 / 24)
