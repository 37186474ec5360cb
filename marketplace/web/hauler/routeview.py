"""A planned day as the hauler's pages show it: each route's visits in order, times in the hauler's zone, the map.

Everything here reads rows already loaded by routes.day_plan (its prefetches), so a page costs the same number
of queries for 3 stops or 30.
"""

import datetime as dt
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from marketplace import scheduling
from marketplace.models import Pickup, Route, RouteStop
from marketplace.web.formatting import TIMES, clock, clock_range, miles
from marketplace.web.hauler.forms import DayForm

# One colour per truck on the map, picked to stay apart for colour-blind readers too.
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
CLOSED = {
    Pickup.Status.COMPLETED: "Done",
    Pickup.Status.MISSED: "Could not service",
    Pickup.Status.CANCELLED: "Cancelled",
    Pickup.Status.SKIPPED: "Skipped",
    Pickup.Status.REQUESTED: "Given back",
}


def chosen_day(params, tz: ZoneInfo) -> tuple[dt.date, int | None]:
    """The ?day= and ?truck= asked for; today in the hauler's zone when no good day is given."""
    form = DayForm(params)
    form.is_valid()
    day = form.cleaned_data.get("day") or scheduling.local_today(str(tz))
    return day, form.cleaned_data.get("truck")


def maps_url(latitude, longitude) -> str:
    """Directions on the phone's maps app (Google Maps opens the app on Android and iOS alike)."""
    return f"https://www.google.com/maps/dir/?api=1&destination={latitude}%2C{longitude}&travelmode=driving"


def contact_of(job: Pickup) -> dict:
    """Who the driver calls on site: the pickup contact, else the business's own number."""
    customer = job.customer
    phone = customer.contact_phone or customer.phone
    name = customer.contact_name if customer.contact_phone or customer.contact_name else customer.name
    return {"name": name or customer.name, "phone": phone, "tel": "tel:" + quote("".join(phone.split()), safe="+")}


def window_of(job: Pickup, tz: ZoneInfo) -> str:
    """The job's arrival window (its location's wall-clock times) as read in the hauler's zone, written as the
    planned arrivals beside it are: '7:00\u201311:00 AM', '7:00 AM\u20135:00 PM'."""
    start, end = scheduling.window_bounds(
        service_date=job.service_date,
        window_start=job.window_start,
        window_end=job.window_end,
        tz_name=job.location.timezone,
    )
    return clock_range(timezone.localtime(start, tz).time(), timezone.localtime(end, tz).time())


def _pickup_row(stop: RouteStop, number: int, tz: ZoneInfo) -> dict:
    job = stop.pickup
    place = job.location
    return {
        "kind": "pickup",
        "number": number,
        "label": str(number),
        "job": job,
        "place": place,
        "title": place.street,
        "address": f"{place.street}, {place.city}, {place.state} {place.zip_code}",
        "what": f"{job.quantity} {TIMES} {job.get_container_display()}, {job.get_waste_stream_display().lower()}",
        "window": window_of(job, tz),
        "open": job.status == Pickup.Status.SCHEDULED,
        "done": job.status == Pickup.Status.COMPLETED,
        "closed_as": CLOSED.get(job.status, ""),
        "latitude": float(place.latitude),
        "longitude": float(place.longitude),
        "maps_url": maps_url(place.latitude, place.longitude),
        "contact": contact_of(job),
    }


def _tip_row(stop: RouteStop) -> dict:
    site = stop.disposal_site
    return {
        "kind": "tip",
        "label": "T",
        "site": site,
        "title": f"Tip at {site.name}",
        "address": ", ".join(part for part in (site.address, site.zip_code) if part),
        "open": True,
        "done": False,
        "latitude": float(site.latitude),
        "longitude": float(site.longitude),
        "maps_url": maps_url(site.latitude, site.longitude),
    }


def stop_rows(route: Route, tz: ZoneInfo) -> list[dict]:
    """The route's visits in order: pickups numbered 1, 2, 3 ..., tipping trips between them."""
    rows, number = [], 0
    for stop in route.stops.all():
        if stop.kind == RouteStop.Kind.TIP:
            row = _tip_row(stop)
        else:
            number += 1
            row = _pickup_row(stop, number, tz)
        row["stop"] = stop
        row["arrives"] = clock(timezone.localtime(stop.arrives_at, tz))
        rows.append(row)
    # A tipping trip is behind the driver once any pickup after it is closed.
    closed_after = False
    for row in reversed(rows):
        if row["kind"] == "pickup" and not row["open"]:
            closed_after = True
        elif row["kind"] == "tip" and closed_after:
            row["open"], row["done"] = False, True
    return rows


def route_summary(route: Route, tz: ZoneInfo, colour: str) -> dict:
    rows = stop_rows(route, tz)
    pickups = [row for row in rows if row["kind"] == "pickup"]
    return {
        "route": route,
        "truck": route.truck,
        "colour": colour,
        "rows": rows,
        "starts": clock(timezone.localtime(route.starts_at, tz)),
        "ends": clock(timezone.localtime(route.ends_at, tz)),
        "distance": miles(route.distance_m),
        "pickup_count": len(pickups),
        "done_count": sum(row["done"] for row in pickups),
        "tip_count": len(rows) - len(pickups),
    }


def summaries(plan, tz: ZoneInfo) -> list[dict]:
    """Every route of the plan, in the trucks' order, each with its colour."""
    routes = list(plan.routes.all()) if plan is not None else []
    return [route_summary(route, tz, COLOURS[index % len(COLOURS)]) for index, route in enumerate(routes)]


def map_data(route_summaries: list[dict]) -> dict:
    """What static/route-map.js draws: per truck, its depot and its visits in order, in its colour."""
    return {
        "routes": [
            {
                "name": summary["truck"].name,
                "colour": summary["colour"],
                "depot": [float(summary["truck"].depot_latitude), float(summary["truck"].depot_longitude)],
                "stops": [
                    {
                        "label": row["label"],
                        "kind": row["kind"],
                        "title": f"{row['label']}. {row['title']}" if row["kind"] == "pickup" else row["title"],
                        "arrives": row["arrives"],
                        "done": row["done"],
                        "position": [row["latitude"], row["longitude"]],
                    }
                    for row in summary["rows"]
                ],
            }
            for summary in route_summaries
        ]
    }


def tile_url() -> str:
    """The map's tile server ('' draws the routes on a plain background, with no requests to anyone)."""
    return getattr(settings, "MAP_TILE_URL", "") or ""


def tile_attribution() -> str:
    """Who the tiles are from, as their licence asks to say (e.g. OpenStreetMap's contributors)."""
    return getattr(settings, "MAP_TILE_ATTRIBUTION", "") or ""


def unroutable_rows(pairs, tz: ZoneInfo) -> list[dict]:
    rows = []
    for job, reason in pairs:
        rows.append(
            {
                "job": job,
                "address": f"{job.location.street}, {job.location.city}",
                "what": f"{job.quantity} {TIMES} {job.get_container_display()}",
                "window": window_of(job, tz),
                "reason": reason,
            }
        )
    return rows
