"""Dates and windows in a location's own timezone. Pure functions."""

import datetime as dt
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
