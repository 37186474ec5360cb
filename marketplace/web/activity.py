"""The dashboard's recent activity in sentences: "Capital City Hauling accepted your cardboard pickup for Wed, Dec 9".

A status change is logged as a status and a reason written for staff ("scheduled", "Accepted by Capital City
Hauling", "Offered to 1 hauler(s)"). A business reads what happened to its pickup, who did it, and for which
day. The reasons the market writes (marketplace/dispatch.py, services.py, plans.py, bins.py) are read back
here; the hauler a reason names is the one that did it then, which the pickup's hauler now may no longer be.
A reason this module does not know still gives a sentence, from the status alone.
"""

import datetime as dt
import re

from marketplace.models import Pickup
from marketplace.selectors import Change
from marketplace.services import COMPLETED_EARLY
from marketplace.web.formatting import day

S = Pickup.Status

_OFFERED = re.compile(r"^Offered to (?P<count>\d+) hauler")
_ACCEPTED = re.compile(r"^(?:Accepted|Taken) by (?P<hauler>.+)$")
_ASSIGNED = re.compile(r"^Assigned to (?P<hauler>.+) by staff$")
_MOVED_VISIT = re.compile(r"^Moved from (?P<date>\d{4}-\d{2}-\d{2}): holiday or day off$")
_RESCHEDULED = re.compile(r"^(?P<why>.*): (?P<date>\d{4}-\d{2}-\d{2})$")
_NOT_SERVICED = re.compile(r"^Could not service: (?P<why>.+)$")


def sentence(change: Change, *, place: bool = False) -> str:
    """What happened, as the business reads it; `place` names the location (a business with several)."""
    stream = _stream(change.waste_stream)
    pickup = f"your {stream} pickup for {_day(change.service_date)}"
    said = _said(change, stream=stream, pickup=pickup)
    return f"{said} at {change.location}" if place and change.location else said


def _said(change: Change, *, stream: str, pickup: str) -> str:  # one case a status, and a reason within it
    reason, hauler = change.reason.strip(), change.hauler
    match change.to_status:
        case S.OFFERED:
            found = _OFFERED.match(reason)
            count = int(found["count"]) if found else 1
            return f"We offered {pickup} to {'a hauler' if count == 1 else f'{count} haulers'}"
        case S.SCHEDULED:
            if found := _ACCEPTED.match(reason):
                return f"{found['hauler']} accepted {pickup}"
            if found := _ASSIGNED.match(reason):
                return f"We gave {pickup} to {found['hauler']}"
            if found := _MOVED_VISIT.match(reason):
                moved = _day(dt.date.fromisoformat(found["date"]))
                return (
                    f"Your {stream} plan visit of {moved} moves to {_day(change.service_date)}: a holiday or a day "
                    f"{hauler or 'your hauler'} does not work"
                )
            if reason == "Visit of the plan":
                return f"{hauler or 'Your hauler'} will do your {stream} plan visit on {_day(change.service_date)}"
            return f"{hauler or 'A hauler'} is booked for {pickup}"
        case S.REQUESTED:
            if found := _RESCHEDULED.match(reason):
                new_day = _day(dt.date.fromisoformat(found["date"]))
                who = "You" if "customer" in found["why"] else "We"
                return f"{who} moved your {stream} pickup to {new_day}; we are finding a hauler for the new day"
            if change.from_status == S.OFFERED:
                return f"The hauler passed on {pickup}; we offered it to the next one"
            if change.from_status == S.SCHEDULED:
                return f"Your hauler can no longer do {pickup}; we are finding another one"
            if not change.from_status:  # a pickup logged as it was made
                return f"You booked a {stream} pickup for {_day(change.service_date)}"
            if change.from_status in (S.UNMATCHED, S.MISSED):
                return f"We are looking for a hauler for {pickup} again"
            return f"We are looking for a hauler for {pickup}"
        case S.UNMATCHED:
            return f"No hauler could take {pickup}: pick another date, or cancel it at no charge"
        case S.COMPLETED:
            if reason.startswith(COMPLETED_EARLY):  # the hauler said why it came before the window
                why = reason.removeprefix(COMPLETED_EARLY)
                return f"{hauler or 'Your hauler'} completed {pickup} before its window opened: {why}"
            return f"{hauler or 'Your hauler'} completed {pickup}"
        case S.MISSED:
            if found := _NOT_SERVICED.match(reason):
                return f"{hauler or 'Your hauler'} could not do {pickup}: {found['why'].lower()}"
            # an unexcused miss is made up by itself (marketplace/makeups.make_up_missed): nothing to rebook
            return f"{pickup[0].upper()}{pickup[1:]} was missed: a make-up visit is on its way"
        case S.CANCELLED:
            if reason == "Cancelled by the customer":
                return f"You cancelled {pickup}"
            if reason in ("The plan was cancelled", "The plan ended"):
                return f"Your {stream} plan visit of {_day(change.service_date)} is off: {reason.lower()}"
            return f"{pickup[0].upper()}{pickup[1:]} was cancelled"
        case S.SKIPPED:
            if reason.startswith("The sensor read"):
                return f"Your bin sensor skipped {pickup}: the bin was nearly empty, so there is no charge"
            if reason == "Paused by the customer":
                return f"Your {stream} plan visit of {_day(change.service_date)} is skipped: you paused the plan"
            return f"You skipped {pickup}"
    label = str(dict(S.choices).get(change.to_status, change.to_status)).lower()
    return f"{pickup[0].upper()}{pickup[1:]}: {label}"


def _stream(value: str) -> str:
    label = dict(Pickup._meta.get_field("waste_stream").flatchoices).get(value, value)
    return str(label).lower()


def _day(value) -> str:
    return day(value) if isinstance(value, dt.date) else "its day"


def timeline(pickup: Pickup, changes) -> list[dict]:
    """The pickup page's history (selectors.pickup_timeline), oldest first, each change as a sentence with its
    time; the pickup's own facts fill in what the dashboard's read joins for its sentences."""
    facts = {
        "waste_stream": pickup.waste_stream,
        "service_date": pickup.service_date,
        "location": pickup.location.name,
        "timezone": pickup.location.timezone,
        "hauler": pickup.hauler.name if pickup.hauler_id is not None else "",
    }
    said = []
    for change in changes:
        told = Change(change.object_id, change.from_status, change.to_status, change.reason, change.at, **facts)
        said.append({"sentence": sentence(told), "at": change.at})
    return said
