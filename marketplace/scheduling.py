"""Dates and windows in a location's own timezone. Pure functions."""

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def local_now(tz_name: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """The current time at a location."""
    return (now or timezone.now()).astimezone(ZoneInfo(tz_name))


def local_today(tz_name: str, *, now: dt.datetime | None = None) -> dt.date:
    """Today's date at a location."""
    return local_now(tz_name, now=now).date()


def at_local(day: dt.date, moment: dt.time, tz_name: str) -> dt.datetime:
    """An aware datetime for a wall-clock time on a date at a location."""
    return dt.datetime.combine(day, moment, tzinfo=ZoneInfo(tz_name))


def default_window() -> tuple[dt.time, dt.time]:
    """The arrival window a pickup gets unless it says otherwise."""
    return settings.PICKUP_WINDOW


def window_bounds(*, service_date: dt.date, window_start: dt.time, window_end: dt.time, tz_name: str):
    """The window as aware datetimes."""
    return at_local(service_date, window_start, tz_name), at_local(service_date, window_end, tz_name)


def check_service_date(
    *, service_date: dt.date, tz_name: str, window_end: dt.time, now: dt.datetime | None = None
) -> str | None:
    """Why a pickup cannot be booked for this date (None when it can): past, or inside the minimum notice."""
    now = now or timezone.now()
    if service_date < local_today(tz_name, now=now):
        return "The service date is in the past at this location."
    if at_local(service_date, window_end, tz_name) - now < settings.BOOKING_MIN_NOTICE:
        hours = settings.BOOKING_MIN_NOTICE.total_seconds() / 3600
        return f"Book at least {hours:g} hours before the end of the pickup window; choose a later date."
    return None


# Recurring service: holidays, recurrences, shifts and reminders. Plain functions over dates.

MONDAY, THURSDAY, SATURDAY, SUNDAY = 0, 3, 5, 6
FREQUENCIES = ("weekly", "biweekly", "monthly")
# How far shift_for_holiday can move a date. Observed federal holidays fall on the same weekday in two
# consecutive weeks only around Christmas and New Year's Day, never three. So a date on a working weekday
# moves at most 14 days (it, a week on, two weeks on); a date on a non-working weekday can need up to 6 days
# more to reach a working weekday, e.g. a Monday before a Friday Christmas for a Fridays-only hauler: 18 days.
MAX_SHIFT_DAYS = 20
ALL_WORKING_DAYS = 0b111_1111


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> dt.date:
    """The nth (1-based) given weekday of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    """The last given weekday of a month."""
    last = dt.date(year, month, _days_in_month(year, month))
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


def _observed(day: dt.date) -> dt.date:
    """OPM rule for a fixed-date holiday: Saturday is observed on Friday, Sunday on Monday."""
    if day.weekday() == SATURDAY:
        return day - dt.timedelta(days=1)
    if day.weekday() == SUNDAY:
        return day + dt.timedelta(days=1)
    return day


def us_federal_holidays(year: int) -> dict[dt.date, str]:
    """The observed US federal holidays of a year, date to name (New Year's Day may be observed on Dec 31 before)."""
    return dict(_holidays(year))


@functools.cache
def _holidays(year: int) -> tuple[tuple[dt.date, str], ...]:
    # A tuple, so no caller can change the cached list; us_federal_holidays hands out a fresh dict.
    fixed = [
        (dt.date(year, 1, 1), "New Year's Day"),
        (dt.date(year, 7, 4), "Independence Day"),
        (dt.date(year, 11, 11), "Veterans Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]
    if year >= 2021:  # Juneteenth became a federal holiday on 17 June 2021
        fixed.append((dt.date(year, 6, 19), "Juneteenth National Independence Day"))
    floating = [
        (_nth_weekday(year, 1, MONDAY, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, MONDAY, 3), "Washington's Birthday"),
        (_last_weekday(year, 5, MONDAY), "Memorial Day"),
        (_nth_weekday(year, 9, MONDAY, 1), "Labor Day"),
        (_nth_weekday(year, 10, MONDAY, 2), "Columbus Day"),
        (_nth_weekday(year, 11, THURSDAY, 4), "Thanksgiving Day"),
    ]
    return tuple(sorted([(_observed(day), name) for day, name in fixed] + floating))


@functools.cache
def _holiday_dates(year: int) -> frozenset[dt.date]:
    return frozenset(day for day, _ in _holidays(year))


def is_holiday(day: dt.date) -> bool:
    """Whether a date is an observed US federal holiday."""
    # Next year's New Year's Day, when it falls on a Saturday, is observed on this year's Dec 31.
    return day in _holiday_dates(day.year) or day in _holiday_dates(day.year + 1)


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """When a service plan repeats: weekly or biweekly on some weekdays, or monthly on a day of the month."""

    frequency: str
    weekdays: frozenset[int] = frozenset()  # 0 is Monday ... 6 is Sunday; weekly and biweekly only
    day_of_month: int | None = None  # 1..31, the month's last day when the month is shorter; monthly only
    start: dt.date
    end: dt.date | None = None  # inclusive

    def __post_init__(self):
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if self.frequency not in FREQUENCIES:
            raise ValueError(f"Choose how often the service repeats: one of {', '.join(FREQUENCIES)}.")
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
                raise ValueError(f"The {name} must be a date (without a time).")
        if self.end is not None and self.end < self.start:
            raise ValueError("The end date is before the start date; choose an end on or after the start.")
        if self.frequency == "monthly":
            if self.day_of_month is None:
                raise ValueError("Choose the day of the month for monthly service.")
            if not 1 <= self.day_of_month <= 31:
                raise ValueError("The day of the month must be between 1 and 31.")
            if self.weekdays:
                raise ValueError("Monthly service repeats on a day of the month; leave the weekdays empty.")
        else:
            if not self.weekdays:
                raise ValueError(f"Choose at least one weekday for {self.frequency} service.")
            if not self.weekdays <= set(range(7)):
                raise ValueError("Weekdays are numbered 0 (Monday) to 6 (Sunday).")
            if self.day_of_month is not None:
                raise ValueError(
                    f"{self.frequency.capitalize()} service repeats on weekdays; leave the day of the month empty."
                )


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def expand(recurrence: Recurrence, *, date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    """The nominal service dates in [date_from, date_to] and within the recurrence's start and end, in order."""
    first = max(date_from, recurrence.start)
    last = date_to if recurrence.end is None else min(date_to, recurrence.end)
    if first > last:
        return []
    if recurrence.frequency == "monthly":
        return _expand_monthly(recurrence.day_of_month, first, last)
    every_other_week = recurrence.frequency == "biweekly"
    anchor = _monday_of(recurrence.start)
    days = []
    day = first
    while day <= last:
        # Biweekly counts whole Monday-based weeks from the week that contains the start.
        on_week = not every_other_week or (day - anchor).days // 7 % 2 == 0
        if on_week and day.weekday() in recurrence.weekdays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _expand_monthly(day_of_month: int, first: dt.date, last: dt.date) -> list[dt.date]:
    days = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        day = dt.date(year, month, min(day_of_month, _days_in_month(year, month)))
        if first <= day <= last:
            days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def shift_for_holiday(day: dt.date, *, working_days: int) -> dt.date:
    """The date itself when it is a working day and no holiday, else the next such date (see MAX_SHIFT_DAYS)."""
    if not working_days & ALL_WORKING_DAYS:
        raise ValueError("Choose at least one working day.")
    for offset in range(MAX_SHIFT_DAYS + 1):
        candidate = day + dt.timedelta(days=offset)
        # The same bit as haulers.models.weekday_bit, kept local so this module stays free of models.
        if working_days & (1 << candidate.weekday()) and not is_holiday(candidate):
            return candidate
    raise AssertionError(f"No working day within {MAX_SHIFT_DAYS} days of {day}")  # unreachable, see MAX_SHIFT_DAYS


def plan_visits(
    recurrence: Recurrence, *, date_from: dt.date, date_to: dt.date, working_days: int
) -> list[tuple[dt.date, dt.date]]:
    """(nominal date, actual service date) for each date expand() gives, the actual date moved past holidays."""
    # Kept simple on purpose: the actual date may fall after date_to, and two nominal dates may share an
    # actual date (Monday's visit moved onto Tuesday's); both are kept because callers key visits by nominal date.
    return [
        (nominal, shift_for_holiday(nominal, working_days=working_days))
        for nominal in expand(recurrence, date_from=date_from, date_to=date_to)
    ]


def window_utc(day: dt.date, start: dt.time, end: dt.time, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """A local wall-clock window on a date, as aware UTC datetimes (DST-aware, so 07:00 stays 07:00 local)."""
    if end <= start:
        raise ValueError("The window must end after it starts, on the same day.")
    local_start, local_end = window_bounds(service_date=day, window_start=start, window_end=end, tz_name=tz_name)
    return local_start.astimezone(dt.UTC), local_end.astimezone(dt.UTC)


def reminder_due_at(service_date: dt.date, tz_name: str, *, local_time: dt.time = dt.time(17, 0)) -> dt.datetime:
    """When a "your pickup is tomorrow" reminder is due: local_time on the day before, as an aware UTC datetime."""
    return at_local(service_date - dt.timedelta(days=1), local_time, tz_name).astimezone(dt.UTC)
