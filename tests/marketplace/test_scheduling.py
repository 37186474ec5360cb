"""Recurring service dates, holiday shifts and local windows: plain functions, no database."""

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.scheduling import (
    MAX_SHIFT_DAYS,
    Recurrence,
    expand,
    is_holiday,
    plan_visits,
    reminder_due_at,
    shift_for_holiday,
    us_federal_holidays,
    window_utc,
)

D = dt.date
WEEKDAYS = 0b001_1111  # Monday to Friday, as haulers.models.weekday_bit builds it
ZONES = ["America/Chicago", "America/New_York", "America/Los_Angeles", "America/Phoenix", "Pacific/Honolulu"]
DST_CHANGES = [D(2026, 3, 8), D(2026, 11, 1)]


def last_day_of_month(day: dt.date) -> int:
    following = D(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


# Holidays: checked against OPM's published observed dates.


def test_holidays_of_2026():
    assert us_federal_holidays(2026) == {
        D(2026, 1, 1): "New Year's Day",
        D(2026, 1, 19): "Birthday of Martin Luther King, Jr.",
        D(2026, 2, 16): "Washington's Birthday",
        D(2026, 5, 25): "Memorial Day",
        D(2026, 6, 19): "Juneteenth National Independence Day",
        D(2026, 7, 3): "Independence Day",  # July 4 is a Saturday
        D(2026, 9, 7): "Labor Day",
        D(2026, 10, 12): "Columbus Day",
        D(2026, 11, 11): "Veterans Day",
        D(2026, 11, 26): "Thanksgiving Day",
        D(2026, 12, 25): "Christmas Day",
    }


def test_holidays_of_2027_move_off_the_weekend():
    assert sorted(us_federal_holidays(2027)) == [
        D(2027, 1, 1),
        D(2027, 1, 18),
        D(2027, 2, 15),
        D(2027, 5, 31),
        D(2027, 6, 18),  # Juneteenth is a Saturday
        D(2027, 7, 5),  # July 4 is a Sunday
        D(2027, 9, 6),
        D(2027, 10, 11),
        D(2027, 11, 11),
        D(2027, 11, 25),
        D(2027, 12, 24),  # Christmas is a Saturday
    ]


def test_new_year_on_a_saturday_is_observed_on_the_last_day_of_the_year_before():
    holidays_2028 = us_federal_holidays(2028)
    assert holidays_2028[D(2027, 12, 31)] == "New Year's Day"
    assert D(2028, 1, 1) not in holidays_2028
    assert D(2027, 12, 31) not in us_federal_holidays(2027)
    assert is_holiday(D(2027, 12, 31))
    assert not is_holiday(D(2028, 1, 1))  # observed dates only; the Saturday itself is an ordinary weekend day
    assert sorted(holidays_2028)[1:] == [
        D(2028, 1, 17),
        D(2028, 2, 21),
        D(2028, 5, 29),
        D(2028, 6, 19),
        D(2028, 7, 4),
        D(2028, 9, 4),
        D(2028, 10, 9),
        D(2028, 11, 10),  # Veterans Day is a Saturday
        D(2028, 11, 23),
        D(2028, 12, 25),
    ]


@pytest.mark.parametrize(
    "day",
    [D(2021, 6, 18), D(2021, 12, 31), D(2022, 6, 20), D(2022, 12, 26), D(2023, 1, 2), D(2023, 11, 10)],
)
def test_more_observed_holidays(day):
    assert is_holiday(day)


def test_juneteenth_is_a_holiday_from_2021():
    assert D(2020, 6, 19) not in us_federal_holidays(2020)
    assert len(us_federal_holidays(2020)) == 10
    assert us_federal_holidays(2021)[D(2021, 6, 18)] == "Juneteenth National Independence Day"


def test_every_observed_holiday_is_a_weekday_and_eleven_a_year():
    for year in range(2021, 2101):
        holidays = us_federal_holidays(year)
        assert len(holidays) == 11
        assert all(day.weekday() < 5 for day in holidays)
        assert all(day.year == year or (day == D(year - 1, 12, 31)) for day in holidays)


def test_changing_the_returned_holidays_does_not_change_the_cached_ones():
    us_federal_holidays(2026).clear()
    assert is_holiday(D(2026, 12, 25))
    assert len(us_federal_holidays(2026)) == 11


# Recurrence: validation and examples.


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frequency": "weekly"}, "Choose at least one weekday for weekly service"),
        ({"frequency": "biweekly", "weekdays": set()}, "Choose at least one weekday for biweekly service"),
        ({"frequency": "monthly"}, "Choose the day of the month"),
        ({"frequency": "monthly", "day_of_month": 0}, "between 1 and 31"),
        ({"frequency": "monthly", "day_of_month": 32}, "between 1 and 31"),
        ({"frequency": "monthly", "day_of_month": 5, "weekdays": {1}}, "leave the weekdays empty"),
        ({"frequency": "weekly", "weekdays": {1}, "day_of_month": 5}, "leave the day of the month empty"),
        ({"frequency": "weekly", "weekdays": {7}}, "0 (Monday) to 6 (Sunday)"),
        ({"frequency": "daily", "weekdays": {1}}, "one of weekly, biweekly, monthly"),
        ({"frequency": "weekly", "weekdays": {1}, "end": D(2026, 1, 4)}, "end date is before the start"),
        ({"frequency": "weekly", "weekdays": {1}, "start": dt.datetime(2026, 1, 5, 9)}, "must be a date"),
    ],
)
def test_a_recurrence_explains_what_is_wrong(fields, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Recurrence(**{"start": D(2026, 1, 5), **fields})


def test_weekdays_are_kept_as_a_frozenset_so_a_recurrence_is_hashable():
    recurrence = Recurrence(frequency="weekly", weekdays=[0, 3, 3], start=D(2026, 1, 5))
    assert recurrence.weekdays == frozenset({0, 3})
    assert hash(recurrence) == hash(Recurrence(frequency="weekly", weekdays={3, 0}, start=D(2026, 1, 5)))


def test_biweekly_counts_from_the_week_of_the_start():
    # Start on Wednesday 2026-01-07: Monday and Wednesday of that week are on, but Monday is before the start.
    recurrence = Recurrence(frequency="biweekly", weekdays={0, 2}, start=D(2026, 1, 7))
    assert expand(recurrence, date_from=D(2026, 1, 1), date_to=D(2026, 2, 5)) == [
        D(2026, 1, 7),
        D(2026, 1, 19),
        D(2026, 1, 21),
        D(2026, 2, 2),
        D(2026, 2, 4),
    ]


def test_monthly_on_the_31st_uses_the_last_day_of_shorter_months():
    recurrence = Recurrence(frequency="monthly", day_of_month=31, start=D(2027, 12, 1), end=D(2028, 4, 30))
    assert expand(recurrence, date_from=D(2027, 1, 1), date_to=D(2029, 1, 1)) == [
        D(2027, 12, 31),
        D(2028, 1, 31),
        D(2028, 2, 29),
        D(2028, 3, 31),
        D(2028, 4, 30),  # the end is inclusive
    ]


def test_an_empty_window_gives_no_dates():
    recurrence = Recurrence(frequency="weekly", weekdays={0}, start=D(2026, 1, 5))
    assert expand(recurrence, date_from=D(2026, 2, 1), date_to=D(2026, 1, 1)) == []
    assert expand(recurrence, date_from=D(2025, 1, 1), date_to=D(2026, 1, 4)) == []


# Recurrence: properties over random plans and windows.

starts = st.dates(min_value=D(2024, 1, 1), max_value=D(2030, 12, 31))


@st.composite
def recurrences(draw):
    frequency = draw(st.sampled_from(["weekly", "biweekly", "monthly"]))
    start = draw(starts)
    end = draw(st.none() | st.integers(0, 400).map(lambda days: start + dt.timedelta(days=days)))
    if frequency == "monthly":
        return Recurrence(frequency=frequency, day_of_month=draw(st.integers(1, 31)), start=start, end=end)
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return Recurrence(frequency=frequency, weekdays=weekdays, start=start, end=end)


@st.composite
def windows(draw):
    date_from = draw(st.dates(min_value=D(2023, 10, 1), max_value=D(2031, 3, 31)))
    return date_from, date_from + dt.timedelta(days=draw(st.integers(0, 120)))


@given(recurrences(), windows())
def test_expanded_dates_are_sorted_distinct_and_in_bounds(recurrence, window):
    date_from, date_to = window
    days = expand(recurrence, date_from=date_from, date_to=date_to)
    assert days == sorted(set(days))
    for day in days:
        assert date_from <= day <= date_to
        assert recurrence.start <= day
        assert recurrence.end is None or day <= recurrence.end


@given(recurrences(), windows())
def test_weekly_gives_every_chosen_weekday_in_the_window(recurrence, window):
    date_from, date_to = window
    if recurrence.frequency != "weekly":
        return
    first = max(date_from, recurrence.start)
    last = min(date_to, recurrence.end or date_to)
    every_day = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    assert expand(recurrence, date_from=date_from, date_to=date_to) == [
        day for day in every_day if day.weekday() in recurrence.weekdays
    ]


@given(recurrences(), windows())
def test_biweekly_dates_are_two_weeks_apart_on_each_weekday(recurrence, window):
    date_from, date_to = window
    if recurrence.frequency != "biweekly":
        return
    days = expand(recurrence, date_from=date_from, date_to=date_to)
    start_monday = recurrence.start - dt.timedelta(days=recurrence.start.weekday())
    for day in days:
        assert day.weekday() in recurrence.weekdays
        assert (day - dt.timedelta(days=day.weekday()) - start_monday).days % 14 == 0
    for weekday in recurrence.weekdays:
        same_weekday = [day for day in days if day.weekday() == weekday]
        assert all((later - earlier).days == 14 for earlier, later in itertools.pairwise(same_weekday))


@given(recurrences(), windows())
def test_monthly_dates_are_on_the_day_of_month_or_the_last_day(recurrence, window):
    date_from, date_to = window
    if recurrence.frequency != "monthly":
        return
    days = expand(recurrence, date_from=date_from, date_to=date_to)
    for day in days:
        assert day.day == min(recurrence.day_of_month, last_day_of_month(day))
    assert len({(day.year, day.month) for day in days}) == len(days)


@given(recurrences(), windows(), st.integers(0, 120))
def test_expanding_in_chunks_gives_the_same_dates(recurrence, window, split):
    date_from, date_to = window
    middle = min(date_from + dt.timedelta(days=split), date_to)
    whole = expand(recurrence, date_from=date_from, date_to=date_to)
    first = expand(recurrence, date_from=date_from, date_to=middle)
    second = expand(recurrence, date_from=middle + dt.timedelta(days=1), date_to=date_to)
    assert first + second == whole


# Holiday shifts.

service_days = st.dates(min_value=D(2024, 1, 1), max_value=D(2031, 12, 31))
working_day_masks = st.integers(1, 127)


def works(working_days: int, day: dt.date) -> bool:
    return bool(working_days & (1 << day.weekday()))


@given(service_days, working_day_masks)
def test_a_shift_lands_on_the_next_working_day_that_is_no_holiday(day, working_days):
    shifted = shift_for_holiday(day, working_days=working_days)
    assert shifted >= day
    assert works(working_days, shifted)
    assert not is_holiday(shifted)
    skipped = [day + dt.timedelta(days=n) for n in range((shifted - day).days)]
    assert all(not works(working_days, other) or is_holiday(other) for other in skipped)
    assert (shifted - day).days <= MAX_SHIFT_DAYS
    if works(working_days, day):
        assert (shifted - day).days <= 14
    if works(working_days, day) and not is_holiday(day):
        assert shifted == day


def test_a_date_on_a_working_weekday_never_moves_more_than_two_weeks():
    # Exhaustive for one-day working weeks, the worst case: more working days can only shorten a shift.
    day = D(2020, 1, 1)
    while day < D(2041, 1, 1):
        assert (shift_for_holiday(day, working_days=1 << day.weekday()) - day).days <= 14
        day += dt.timedelta(days=1)


def test_christmas_and_new_year_on_mondays_move_a_mondays_only_visit_two_weeks():
    assert shift_for_holiday(D(2023, 12, 25), working_days=0b1) == D(2024, 1, 8)


def test_a_visit_on_a_day_off_before_two_friday_holidays_moves_past_both():
    # Christmas 2026 and New Year's Day 2027 are Fridays; a Fridays-only hauler next works on Jan 8.
    assert shift_for_holiday(D(2026, 12, 21), working_days=0b1_0000) == D(2027, 1, 8)


def test_an_ordinary_working_day_does_not_move():
    assert shift_for_holiday(D(2026, 3, 10), working_days=WEEKDAYS) == D(2026, 3, 10)


def test_a_weekend_visit_moves_to_monday_or_past_a_monday_holiday():
    assert shift_for_holiday(D(2026, 3, 7), working_days=WEEKDAYS) == D(2026, 3, 9)
    assert shift_for_holiday(D(2026, 9, 5), working_days=WEEKDAYS) == D(2026, 9, 8)  # Labor Day Monday


@pytest.mark.parametrize("working_days", [0, 128])
def test_a_shift_needs_a_working_day(working_days):
    with pytest.raises(ValueError, match="at least one working day"):
        shift_for_holiday(D(2026, 3, 10), working_days=working_days)


def test_plan_visits_keeps_both_nominal_dates_when_they_land_on_the_same_day():
    recurrence = Recurrence(frequency="weekly", weekdays={0, 1}, start=D(2026, 1, 1))
    assert plan_visits(recurrence, date_from=D(2026, 1, 19), date_to=D(2026, 1, 27), working_days=WEEKDAYS) == [
        (D(2026, 1, 19), D(2026, 1, 20)),  # Martin Luther King Jr. Day
        (D(2026, 1, 20), D(2026, 1, 20)),
        (D(2026, 1, 26), D(2026, 1, 26)),
        (D(2026, 1, 27), D(2026, 1, 27)),
    ]


@given(recurrences(), windows(), working_day_masks)
def test_plan_visits_pairs_each_nominal_date_with_its_shift(recurrence, window, working_days):
    date_from, date_to = window
    visits = plan_visits(recurrence, date_from=date_from, date_to=date_to, working_days=working_days)
    assert [nominal for nominal, _ in visits] == expand(recurrence, date_from=date_from, date_to=date_to)
    assert all(actual == shift_for_holiday(nominal, working_days=working_days) for nominal, actual in visits)


# Local windows and reminders across daylight saving time.


def local(moment: dt.datetime, tz_name: str) -> tuple[dt.date, dt.time]:
    at = moment.astimezone(ZoneInfo(tz_name))
    return at.date(), at.time()


@pytest.mark.parametrize("tz_name", ZONES)
@pytest.mark.parametrize("day", [*DST_CHANGES, D(2026, 7, 15)])
def test_a_window_stays_at_the_same_local_hours_on_dst_change_days(tz_name, day):
    start, end = window_utc(day, dt.time(7), dt.time(17), tz_name)
    assert start.utcoffset() == end.utcoffset() == dt.timedelta(0)
    assert local(start, tz_name) == (day, dt.time(7))
    assert local(end, tz_name) == (day, dt.time(17))
    assert end - start == dt.timedelta(hours=10)


@pytest.mark.parametrize(
    ("tz_name", "day", "utc_start"),
    [
        ("America/Chicago", D(2026, 3, 7), dt.datetime(2026, 3, 7, 13, tzinfo=dt.UTC)),  # CST
        ("America/Chicago", D(2026, 3, 8), dt.datetime(2026, 3, 8, 12, tzinfo=dt.UTC)),  # CDT
        ("America/Chicago", D(2026, 11, 1), dt.datetime(2026, 11, 1, 13, tzinfo=dt.UTC)),  # CST again
        ("America/Phoenix", D(2026, 3, 8), dt.datetime(2026, 3, 8, 14, tzinfo=dt.UTC)),  # no DST
        ("Pacific/Honolulu", D(2026, 11, 1), dt.datetime(2026, 11, 1, 17, tzinfo=dt.UTC)),  # no DST
    ],
)
def test_a_window_follows_the_local_offset_of_its_day(tz_name, day, utc_start):
    assert window_utc(day, dt.time(7), dt.time(17), tz_name)[0] == utc_start


def test_a_window_across_the_clock_change_keeps_its_wall_clock_hours():
    start, end = window_utc(D(2026, 3, 8), dt.time(0), dt.time(12), "America/Chicago")
    assert end - start == dt.timedelta(hours=11)  # an hour is skipped at 02:00
    start, end = window_utc(D(2026, 11, 1), dt.time(0), dt.time(12), "America/Chicago")
    assert end - start == dt.timedelta(hours=13)  # 01:00 to 02:00 happens twice


def test_a_window_must_end_after_it_starts():
    with pytest.raises(ValueError, match="end after it starts"):
        window_utc(D(2026, 3, 8), dt.time(17), dt.time(7), "America/Chicago")


@pytest.mark.parametrize("tz_name", ZONES)
@pytest.mark.parametrize("service_date", [D(2026, 3, 8), D(2026, 3, 9), D(2026, 11, 1), D(2026, 11, 2), D(2027, 1, 1)])
def test_the_reminder_is_due_at_five_in_the_afternoon_the_day_before(tz_name, service_date):
    due = reminder_due_at(service_date, tz_name)
    assert due.utcoffset() == dt.timedelta(0)
    assert local(due, tz_name) == (service_date - dt.timedelta(days=1), dt.time(17))


# 02:00-02:59 is skipped on spring-forward days; no reminder is set in that hour.
reminder_times = st.times().map(lambda moment: moment.replace(second=0, microsecond=0)).filter(lambda t: t.hour != 2)


@given(st.sampled_from(ZONES), service_days, reminder_times)
def test_the_reminder_is_at_the_chosen_local_time_the_day_before(tz_name, service_date, local_time):
    due = reminder_due_at(service_date, tz_name, local_time=local_time)
    assert due.tzinfo is dt.UTC
    assert local(due, tz_name) == (service_date - dt.timedelta(days=1), local_time)


def test_the_chicago_reminder_before_the_spring_change_is_an_hour_earlier_in_utc():
    before = reminder_due_at(D(2026, 3, 8), "America/Chicago")  # due Saturday 17:00 CST
    after = reminder_due_at(D(2026, 3, 9), "America/Chicago")  # due Sunday 17:00 CDT
    assert before == dt.datetime(2026, 3, 7, 23, tzinfo=dt.UTC)
    assert after == dt.datetime(2026, 3, 8, 22, tzinfo=dt.UTC)
