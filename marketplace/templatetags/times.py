"""The site's one way to write a time in a template: {{ value|clock }} -> "7:05 AM", {{ value|when }} ->
"Wed, Dec 2, 7:05 AM", {{ value|when:"zone" }} -> "Wed, Dec 2, 7:05 AM CST".

Each filter is handed the value in the template's current zone (expects_localtime), so inside
{% timezone location.timezone %} a moment is said as people at the location read it.
"""

import datetime as dt

from django import template

from marketplace.web import formatting

register = template.Library()


@register.filter(expects_localtime=True)
def clock(value) -> str:
    """A time of day: '7:05 AM'."""
    if not isinstance(value, dt.datetime | dt.time):
        return ""
    return formatting.clock(value)


@register.filter(expects_localtime=True)
def when(value, arg: str = "") -> str:
    """A day and time: 'Wed, Dec 2, 7:05 AM'; with "zone", the zone's abbreviation after it."""
    if not isinstance(value, dt.datetime):
        return ""
    return formatting.moment(value, zone=arg == "zone")


@register.filter
def until(start, end) -> str:
    """Two times of one day, an arrival window: {{ start|until:end }} -> '7:00\u201311:00 AM'."""
    if not isinstance(start, dt.time) or not isinstance(end, dt.time):
        return ""
    return formatting.clock_range(start, end)


@register.filter
def zone_on(tz_name, day) -> str:
    """The abbreviation of a zone on a day, for a time of that day said in it: {{ "America/Chicago"|zone_on:day }}
    -> 'CST' in December, 'CDT' in June."""
    if not tz_name or not isinstance(day, dt.date):
        return ""
    return formatting.zone_on(tz_name, day)
