"""The operations map's pages: the map page, the bins it loads as JSON, and one bin's panel.

Staff (active, is_staff: those the admin lets in) see every business's bins; a business member sees their
business's. Anyone else is refused. Another business's bin is a 404, as if it did not exist.
"""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from core.catalog import WasteStream
from core.errors import NotFound
from marketplace import operations
from marketplace.web import formatting
from marketplace.web.operations.forms import MapFilters

# The JSON's rows, in this order (one array per bin keeps 1,000 bins to a few tens of kilobytes).
COLUMNS = ["id", "lat", "lng", "fill", "state", "at_risk", "alarms", "location", "stream"]


def operations_viewer(view):
    """Signed in, and staff or a business member; the view gets the business (None for staff) second."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_active and user.is_staff:
            return view(request, None, *args, **kwargs)
        membership = getattr(user, "customer_membership", None)
        if membership is None:
            raise PermissionDenied("The operations map is for staff and for businesses with bin sensors.")
        return view(request, membership.customer, *args, **kwargs)

    return wrapper


def _filters(request, customer) -> MapFilters:
    return MapFilters(request.GET, markets=operations.markets(customer=customer))


@require_GET
@operations_viewer
def operations_map(request, customer):
    """The map of every bin in view, its legend and counts, the open alarms, and the bins that need a truck."""
    form = _filters(request, customer)
    chosen = form.chosen()
    now = timezone.now()
    found = operations.bins_in_view(customer=customer, now=now, **chosen)
    alarms, alarm_total = operations.open_alarms(
        customer=customer, market=chosen.get("market"), stream=chosen.get("stream")
    )
    query = urlencode(chosen)
    context = {
        "customer": customer,
        "form": form,
        "counts": operations.counts(found),
        "urgent": operations.needing_a_visit(found),
        "alarms": alarms,
        "alarm_total": alarm_total,
        "nearly_full_points": operations.NEARLY_FULL_POINTS,
        "horizon_days": settings.SENSOR_ALARM_OVERFLOW_HORIZON.days,
        "offline_intervals": settings.SENSOR_ALARM_OFFLINE_INTERVALS,
        "data_url": reverse("operations_bins") + (f"?{query}" if query else ""),
        "bin_url": reverse("operations_bin", args=[0]),
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        "filtered": bool(chosen),
    }
    return render(request, "operations/map.html", context)


@require_GET
@operations_viewer
def operations_bins(request, customer):
    """The bins in view as compact rows for the map; a bad filter is a 400 naming it."""
    form = _filters(request, customer)
    if not form.is_valid():
        return JsonResponse(
            {"errors": {name: [str(message) for message in problems] for name, problems in form.errors.items()}},
            status=400,
        )
    chosen = form.chosen()
    found = operations.bins_in_view(customer=customer, now=timezone.now(), **chosen)
    locations: dict[int, str] = {}
    rows = []
    for item in found:
        if item.location_id not in locations:
            locations[item.location_id] = item.location if customer else f"{item.location} ({item.business})"
        rows.append(
            [
                item.id,
                round(item.latitude, 6),
                round(item.longitude, 6),
                item.fill,
                item.state,
                int(item.at_risk),
                item.alarms,
                item.location_id,
                item.waste_stream,
            ]
        )
    return JsonResponse(
        {
            "columns": COLUMNS,
            "bins": rows,
            "locations": locations,
            "streams": dict(WasteStream.choices),
            "states": operations.STATES,
            "counts": operations.counts(found),
            "filters": chosen,
        }
    )


def chart_summary(detail: operations.BinDetail) -> str:
    """The chart in a sentence, for those who cannot see it."""
    device = detail.device
    name = f"{device.get_waste_stream_display().lower()} {device.get_container_display()}"
    if not detail.readings:
        return f"No readings from the {name} in the last two weeks."
    fills = [fill for _, fill in detail.readings]
    sentence = (
        f"Fill of the {name} over the last two weeks: now {fills[-1]}%, highest {max(fills)}%, "
        f"lowest {min(fills)}%; collect at {device.collect_at_percent}%."
    )
    if detail.forecast:
        sentence += f" Forecast to reach {detail.forecast[-1][1]:.0f}% by the end of the dashed line."
    return sentence


@require_GET
@operations_viewer
def operations_bin(request, customer, device_id: int):
    """One bin's panel: its chart, next visit and recent visits. The map loads it in place (htmx); alone, a page."""
    try:
        detail = operations.bin_detail(customer=customer, device_id=device_id, now=timezone.now())
    except NotFound:
        raise Http404("No such bin.") from None
    partial = request.headers.get("HX-Request") == "true"
    template = "operations/_bin_panel.html" if partial else "operations/bin.html"
    visit = detail.next_visit
    context = {
        "detail": detail,
        "customer": customer,
        "chart": detail.chart(),
        "chart_id": f"bin-chart-{detail.device.pk}",
        "summary": chart_summary(detail),
        "visit_window": formatting.window_label(visit.window_start, visit.window_end) if visit else "",
        "nearly_full_points": operations.NEARLY_FULL_POINTS,
        "horizon_days": settings.SENSOR_ALARM_OVERFLOW_HORIZON.days,
    }
    response = render(request, template, context)
    # The same URL answers a fragment to htmx and a page to a browser: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
