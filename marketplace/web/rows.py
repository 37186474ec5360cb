"""Table rows for the busiest pages (the business dashboard, the hauler's jobs), built once in Python.

The templates used to format each row themselves: a {% url %}, a date filter, get_FOO_display() and a chain of
attribute lookups per cell, ~180 us a row, most of the pages' time. Here each query selects only the columns the
row shows (values(): no model instances) and every cell is formatted with the same Django functions the filters
call, so the HTML is the same; the templates read plain dict keys and still escape every value.
"""

from functools import cache, lru_cache

from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils import formats, translation

from core.models import StatusChange
from marketplace.models import Pickup, ServicePlan
from marketplace.web.formatting import TIMES


@lru_cache(maxsize=4096)
def _formatted(kind: str, value, fmt: str, language: str) -> str:
    return formats.date_format(value, fmt) if kind == "date" else formats.time_format(value, fmt)


def date_label(value, fmt: str) -> str:
    """{{ value|date:fmt }} for a date (not a datetime: those depend on the zone too), remembered per language:
    a page shows the same few dates on many rows, and each formatting looks up translated day and month names."""
    return _formatted("date", value, fmt, translation.get_language())


def time_label(value, fmt: str) -> str:
    """{{ value|time:fmt }} for a naive time of day (a window bound), remembered like date_label."""
    return _formatted("time", value, fmt, translation.get_language())


@cache
def _choices(model: type[Model], field: str) -> dict:
    return dict(model._meta.get_field(field).flatchoices)


def label(model: type[Model], field: str, value) -> str:
    """What get_FOO_display() shows (the value itself when it is not a choice), without rebuilding the choices."""
    return str(_choices(model, field).get(value, value))


PICKUP_COLUMNS = (
    "pk", "service_date", "waste_stream", "quantity", "container", "status", "price_cents", "location__name",
    "hauler__name",
)  # fmt: skip


def pickup_rows(pickups: QuerySet[Pickup], limit: int) -> list[dict]:
    """The business's pickup table (marketplace/_pickup_table.html): the first `limit` of `pickups`."""
    return [
        {
            "url": reverse("pickup_detail", args=[row["pk"]]),
            "date": date_label(row["service_date"], "D, M j"),
            "what": _what(row),
            "location": row["location__name"],
            "status": row["status"],
            "status_label": label(Pickup, "status", row["status"]),
            "hauler": row["hauler__name"] or "",
            "price_cents": row["price_cents"],
        }
        for row in pickups.values(*PICKUP_COLUMNS)[:limit]
    ]


JOB_COLUMNS = (
    "pk", "service_date", "window_start", "window_end", "location__zip_code", "location__street", "location__city",
    "customer__name", "waste_stream", "quantity", "container", "plan_id", "payout_cents",
)  # fmt: skip


def job_rows(jobs: QuerySet[Pickup]) -> list[dict]:
    """The hauler's job table (haulers/_job_table.html), each row with its service_date to group them by."""
    return [
        {
            "pk": row["pk"],
            "service_date": row["service_date"],
            "url": reverse("hauler_job", args=[row["pk"]]),
            "date": date_label(row["service_date"], "D, M j"),
            "window": f"{time_label(row['window_start'], 'g A')}\u2013{time_label(row['window_end'], 'g A')}",
            "zip_code": row["location__zip_code"],
            "address": f"{row['location__street']}, {row['location__city']}",
            "business": row["customer__name"],
            "what": _what(row),
            "recurring": row["plan_id"] is not None,
            "payout_cents": row["payout_cents"],
        }
        for row in jobs.values(*JOB_COLUMNS)
    ]


def plan_rows(plans: QuerySet[ServicePlan], limit: int) -> list[dict]:
    """The dashboard's recurring plans: what, how often, where, status and hauler (None when there is none)."""
    return [
        {
            "url": reverse("plan_detail", args=[row["pk"]]),
            "waste_stream": label(ServicePlan, "waste_stream", row["waste_stream"]),
            "frequency": label(ServicePlan, "frequency", row["frequency"]),
            "location": row["location__name"],
            "status_label": label(ServicePlan, "status", row["status"]),
            "hauler": row["hauler__name"] if row["hauler_id"] is not None else None,
        }
        for row in plans.values(
            "pk", "waste_stream", "frequency", "status", "location__name", "hauler_id", "hauler__name"
        )[:limit]
    ]


def activity_rows(changes: QuerySet[StatusChange]) -> list[dict]:
    """The dashboard's recent status changes of the business's pickups."""
    return [
        {"url": reverse("pickup_detail", args=[row["object_id"]]), **row}
        for row in changes.values("object_id", "to_status", "reason", "at")
    ]


def _what(row: dict) -> str:
    """'Trash, 2 \u00d7 4-yard dumpster'."""
    stream, container = label(Pickup, "waste_stream", row["waste_stream"]), label(Pickup, "container", row["container"])
    return f"{stream}, {formats.localize(row['quantity'])} {TIMES} {container}"
