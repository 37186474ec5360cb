"""The busiest pages' tables (the business dashboard, the hauler's jobs): read compiled, formatted once in Python.

The templates used to format each row themselves: a {% url %}, a date filter, get_FOO_display() and a chain of
attribute lookups per cell, ~180 us a row, most of the pages' time. Here each read selects only the columns the
row shows (values_list(): no model instances), and every cell is formatted with the same Django functions the
filters call, so the HTML is the same; the templates read plain dict keys and still escape every value.

The reads are the selectors' querysets, compiled to SQL once per shape (core.compiled) and run with each
request's values: building and compiling them took the ORM longer than PostgreSQL takes to answer them.
"""

import datetime as dt
from functools import cache, lru_cache

from django.db.models import Exists, IntegerField, Model, OuterRef
from django.db.models.aggregates import Count
from django.db.models.expressions import Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone, translation

from core.compiled import CompiledQuery
from customers.models import Customer
from haulers.models import Hauler
from marketplace import bins, operations, selectors
from marketplace.models import Pickup, ServicePlan
from marketplace.web import activity as words
from marketplace.web.formatting import TIMES, clock_range, moment_near

DASHBOARD_ROWS = 20  # per section of the dashboard; the rest is a click away


# --- Cells ---------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _formatted(kind: str, value, fmt: str, language: str) -> str:
    # A page shows the same few dates and times on many rows, and each formatting looks up translated day and
    # month names: remembered per language. Dates and naive times only (a datetime depends on the zone too).
    return formats.date_format(value, fmt) if kind == "date" else formats.time_format(value, fmt)


@cache
def _choices(model: type[Model], field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


def label(model: type[Model], field: str, value) -> str:
    """What get_FOO_display() shows (the value itself when it is not a choice), without rebuilding the choices."""
    return str(_choices(model, field).get(value, value))


@lru_cache(maxsize=4096)
def _what(stream: str, quantity: int, container: str, language: str) -> str:
    stream, container = label(Pickup, "waste_stream", stream), label(Pickup, "container", container)
    return f"{stream}, {formats.localize(quantity)} {TIMES} {container}"


STAND_IN_ID = 987_654_321


class Cells:
    """What one page's rows share: the active language, read once, and each detail link reversed once.

    A link to a route whose one argument is an <int:> id is reverse()d with a stand-in id and then written with
    each row's: the int converter writes str(id), so the link is reverse()'s, without its ~15 us a row of
    matching the result against the route's pattern again."""

    def __init__(self):
        self.language = translation.get_language()
        self._links = {}

    def date(self, value, fmt: str = "D, M j") -> str:
        """{{ value|date:fmt }} for a date."""
        return _formatted("date", value, fmt, self.language)

    def time(self, value, fmt: str = "g A") -> str:
        """{{ value|time:fmt }} for a naive time of day (a window bound)."""
        return _formatted("time", value, fmt, self.language)

    def what(self, stream: str, quantity: int, container: str) -> str:
        """'Trash, 2 \u00d7 4-yard dumpster'."""
        return _what(stream, quantity, container, self.language)

    def link(self, name: str, pk: int) -> str:
        """reverse(name, args=[pk])."""
        if name not in self._links:
            head, tail = reverse(name, args=[STAND_IN_ID]).split(str(STAND_IN_ID))
            self._links[name] = (head, tail)
        head, tail = self._links[name]
        return f"{head}{int(pk)}{tail}"


# --- The business dashboard ----------------------------------------------------------------

PICKUP_COLUMNS = (
    "pk", "service_date", "waste_stream", "quantity", "container", "status", "price_cents", "location__name",
    "hauler__name",
)  # fmt: skip


def _upcoming(*, customer_id, today):
    pickups = selectors.upcoming_pickups(customer=Customer(pk=customer_id), today=today)
    return pickups.values_list(*PICKUP_COLUMNS)[:DASHBOARD_ROWS]


def _attention(*, customer_id):
    pickups = selectors.pickups_needing_attention(customer=Customer(pk=customer_id))
    return pickups.values_list(*PICKUP_COLUMNS)[:DASHBOARD_ROWS]


_UPCOMING = CompiledQuery(_upcoming)
_ATTENTION = CompiledQuery(_attention)


def upcoming(*, customer: Customer, today) -> list[dict]:
    """The dashboard's upcoming pickups (marketplace/_pickup_table.html), soonest first."""
    cells = Cells()
    return [_pickup_row(row, cells) for row in _UPCOMING.rows(customer_id=customer.pk, today=today)]


def attention(*, customer: Customer) -> list[dict]:
    """The pickups needing the business's attention, latest first."""
    cells = Cells()
    return [_pickup_row(row, cells) for row in _ATTENTION.rows(customer_id=customer.pk)]


def _pickup_row(row: tuple, cells: Cells) -> dict:
    pk, service_date, stream, quantity, container, status, price_cents, location, hauler = row
    return {
        "url": cells.link("pickup_detail", pk),
        "date": cells.date(service_date),
        "what": cells.what(stream, quantity, container),
        "location": location,
        "status": status,
        "status_label": label(Pickup, "status", status),
        "hauler": hauler or "",
        "price_cents": price_cents,
    }


def _open_plans(*, customer_id):
    plans = selectors.plans_of(customer=Customer(pk=customer_id)).filter(status__in=["pending", "active"])
    return plans.values_list(
        "pk", "waste_stream", "frequency", "status", "location__name", "hauler_id", "hauler__name"
    )[:DASHBOARD_ROWS]


_OPEN_PLANS = CompiledQuery(_open_plans)


def open_plans(*, customer: Customer) -> list[dict]:
    """The business's pending and active plans: what, how often, where, status, and the hauler (None if none)."""
    cells = Cells()
    return [
        {
            "url": cells.link("plan_detail", pk),
            "waste_stream": label(ServicePlan, "waste_stream", stream),
            "frequency": label(ServicePlan, "frequency", frequency),
            "location": location,
            "status_label": label(ServicePlan, "status", status),
            "hauler": hauler if hauler_id is not None else None,
        }
        for pk, stream, frequency, status, location, hauler_id, hauler in _OPEN_PLANS.rows(customer_id=customer.pk)
    ]


def activity(changes: list[selectors.Change], *, now: dt.datetime | None = None) -> list[dict]:
    """The dashboard's recent status changes of the business's pickups (selectors.recent_activity), each as a
    sentence and its time at the pickup's location ('Today, 9:40 AM CST'); the place is named when the changes
    are of more than one."""
    cells, now = Cells(), now or timezone.now()
    several = len({change.location for change in changes}) > 1
    return [
        {
            "url": cells.link("pickup_detail", change.object_id),
            "sentence": words.sentence(change, place=several),
            "at": change.at,
            "when": moment_near(change.at, change.timezone or None, now=now),
        }
        for change in changes
    ]


def _sensors(*, customer_id):
    skipped = bins.sensor_skips(customer=OuterRef("pk")).order_by().values("customer").annotate(n=Count("pk"))
    return Customer.objects.filter(pk=customer_id).values_list(
        Coalesce(Subquery(skipped.values("n"), output_field=IntegerField()), 0),
        Exists(operations.devices_in(customer=OuterRef("pk"))),
    )


_SENSORS = CompiledQuery(_sensors)


def sensors(*, customer: Customer) -> dict:
    """In one query: whether the business has live sensors, and what the visits they skipped saved."""
    ((skipped, has_sensors),) = _SENSORS.rows(customer_id=customer.pk)
    return {"has_sensors": has_sensors, "savings": bins.savings_from(skipped)}


# --- The hauler's jobs ---------------------------------------------------------------------

JOB_COLUMNS = (
    "pk", "service_date", "window_start", "window_end", "location__zip_code", "location__street", "location__city",
    "customer__name", "waste_stream", "quantity", "container", "plan_id", "payout_cents",
)  # fmt: skip


def _jobs(*, hauler_id, date_to, by_zip):
    jobs = selectors.jobs_of(hauler=Hauler(pk=hauler_id), date_to=date_to, order="zip" if by_zip else "date")
    return jobs.values_list(*JOB_COLUMNS)


def _jobs_after(*, hauler_id, date_from):
    jobs = selectors.jobs_of(hauler=Hauler(pk=hauler_id), date_from=date_from)
    return jobs.order_by().values("hauler").annotate(n=Count("pk")).values_list("n")


_JOBS = CompiledQuery(_jobs)
_JOBS_AFTER = CompiledQuery(_jobs_after)


def jobs(*, hauler: Hauler, date_to, by_zip: bool) -> list[dict]:
    """The hauler's scheduled jobs up to date_to (haulers/_job_table.html), each with its service_date to group
    them by: by date then time, or by ZIP to plan a route."""
    cells = Cells()
    return [_job_row(row, cells) for row in _JOBS.rows(hauler_id=hauler.pk, date_to=date_to, by_zip=by_zip)]


def jobs_after(*, hauler: Hauler, date_from) -> int:
    """How many scheduled jobs the hauler holds from date_from on."""
    counted = _JOBS_AFTER.rows(hauler_id=hauler.pk, date_from=date_from)
    return counted[0][0] if counted else 0


def _job_row(row: tuple, cells: Cells) -> dict:
    pk, service_date, start, end, zip_code, street, city, business, stream, quantity, container, plan, payout = row
    return {
        "pk": pk,
        "service_date": service_date,
        "url": cells.link("hauler_job", pk),
        "date": cells.date(service_date),
        "window": clock_range(start, end),  # '7:00\u201311:00 AM', as every other page writes a window
        "zip_code": zip_code,
        "address": f"{street}, {city}",
        "business": business,
        "what": cells.what(stream, quantity, container),
        "recurring": plan is not None,
        "payout_cents": payout,
    }
