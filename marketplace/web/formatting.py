"""Times and amounts as people read them on our pages: "10:40 AM", "10:40 to 11:10 AM" with a dash, "7 to 11 am".

One clock for the whole site: "7:05 AM" (what most of our pages said already), never "7:05 a.m." beside it. A
moment (an aware datetime) is always said in the zone of the place it is about, the location's, with the zone's
abbreviation where a reader elsewhere could take it for their own ("Wed, Dec 2, 7:01 AM CST"). The templates
reach these through the `times` filters (marketplace/templatetags/times.py).
"""

import datetime as dt
from zoneinfo import ZoneInfo

DASH = "\u2013"  # an en dash, as in 7\u201311 am
TIMES = "\u00d7"  # 2 \u00d7 4-yard dumpster


def _meridiem(moment: dt.time) -> str:
    return "AM" if moment.hour < 12 else "PM"


def _hour(moment: dt.time, *, minutes: str = "auto") -> str:
    hour = moment.hour % 12 or 12
    if minutes == "always" or moment.minute:
        return f"{hour}:{moment.minute:02d}"
    return str(hour)


def clock(moment: dt.datetime | dt.time) -> str:
    """A time of day, already in the reader's zone: '10:40 AM', '7:05 PM'."""
    moment = moment.time() if isinstance(moment, dt.datetime) else moment
    return f"{_hour(moment, minutes='always')} {_meridiem(moment)}"


def day(value: dt.date) -> str:
    """A date as our tables say it: 'Wed, Dec 9' (English names, as the rest of the site's words)."""
    return f"{value:%a, %b} {value.day}"


def moment(value: dt.datetime, tz: str | dt.tzinfo | None = None, *, zone: bool = True) -> str:
    """An aware datetime in `tz` (a zone name; None: the zone it carries): 'Wed, Dec 2, 7:01 AM CST'."""
    local = _in_zone(value, tz)
    said = f"{day(local)}, {clock(local)}"
    return f"{said} {local.tzname()}" if zone and local.tzname() else said


def moment_near(value: dt.datetime, tz: str | dt.tzinfo | None = None, *, now: dt.datetime) -> str:
    """moment(), with 'Today' and 'Yesterday' said as such (by the calendar of `tz`): 'Today, 9:40 AM CST'."""
    local, today = _in_zone(value, tz), _in_zone(now, tz).date()
    names = {today: "Today", today - dt.timedelta(days=1): "Yesterday"}
    if local.date() not in names:
        return moment(local)
    return f"{names[local.date()]}, {clock(local)} {local.tzname()}"


def zone_on(tz_name: str, on: dt.date) -> str:
    """A zone's abbreviation at noon of a day (a window's times are that day's): 'CST', 'CDT'."""
    return dt.datetime.combine(on, dt.time(12), tzinfo=ZoneInfo(tz_name)).tzname() or tz_name


def _in_zone(value: dt.datetime, tz: str | dt.tzinfo | None) -> dt.datetime:
    if tz is None:
        return value
    return value.astimezone(ZoneInfo(tz) if isinstance(tz, str) else tz)


def clock_range(start: dt.datetime | dt.time, end: dt.datetime | dt.time) -> str:
    """Two times of one day: '10:40\u201311:10 AM', '11:50 AM\u201312:20 PM'."""
    start = start.time() if isinstance(start, dt.datetime) else start
    end = end.time() if isinstance(end, dt.datetime) else end
    first = _hour(start, minutes="always")
    if _meridiem(start) != _meridiem(end):
        first += f" {_meridiem(start)}"
    return f"{first}{DASH}{clock(end)}"


def booked_window(*, service_date: dt.date, start: dt.time, end: dt.time, tz_name: str) -> str:
    """A visit's booked window on the site's one clock, in the place's zone: '7:00\u201311:00 AM CST'."""
    return f"{clock_range(start, end)} {zone_on(tz_name, service_date)}"


def window_label(start: dt.time, end: dt.time) -> str:
    """An arrival window the way a booking form says it: '7\u201311 am', '11 am\u20133 pm'."""
    first = _hour(start)
    if _meridiem(start) != _meridiem(end):
        first += f" {_meridiem(start).lower()}"
    return f"{first}{DASH}{_hour(end)} {_meridiem(end).lower()}"


def span(start: dt.time, end: dt.time) -> str:
    """A shift or opening hours: '6:00 AM\u20134:00 PM'."""
    return f"{clock(start)}{DASH}{clock(end)}"


def miles(metres: int) -> str:
    """A route's length for a US driver: '26.2 mi'."""
    return f"{metres / 1609.344:.1f} mi"
