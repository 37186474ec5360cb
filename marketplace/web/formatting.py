"""Times and amounts as people read them on our pages: "10:40 AM", "10:40 to 11:10 AM" with a dash, "7 to 11 am"."""

import datetime as dt

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


def clock_range(start: dt.datetime | dt.time, end: dt.datetime | dt.time) -> str:
    """Two times of one day: '10:40\u201311:10 AM', '11:50 AM\u201312:20 PM'."""
    start = start.time() if isinstance(start, dt.datetime) else start
    end = end.time() if isinstance(end, dt.datetime) else end
    first = _hour(start, minutes="always")
    if _meridiem(start) != _meridiem(end):
        first += f" {_meridiem(start)}"
    return f"{first}{DASH}{clock(end)}"


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
