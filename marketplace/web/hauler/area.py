"""The hauler's service area: a pasted ZIP list or a radius, previewed before it is saved, and plotted."""

import math
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core import geo
from core.permissions import may
from core.views import apply_errors, hauler_required, role_required
from haulers import services as hauler_services
from haulers.models import Hauler
from marketplace.web.hauler.forms import RadiusForm, ZipListForm
from marketplace.web.hauler.views import counted

PLOT_SIZE = 320
PLOT_PADDING = 14


def _save_area(hauler: Hauler, mode: str, data: dict, *, dry_run: bool, by) -> list[str]:
    def apply() -> list[str]:
        if mode == "list":
            return hauler_services.set_service_zips(hauler=hauler, by=by, zip_codes=data["zip_codes"])
        return hauler_services.set_service_radius(
            hauler=hauler, by=by, centre_zip=data["depot_zip"], radius_miles=data["radius_miles"]
        )

    if not dry_run:
        return apply()
    # The preview runs the very service that saves, so it shows (and refuses) exactly what saving would;
    # its writes are rolled back.
    with transaction.atomic():
        zip_codes = apply()
        transaction.set_rollback(True)
    return zip_codes


def _plot(infos: list[geo.ZipInfo], depot: tuple[float, float]) -> dict:
    """ZIP centroids and the depot scaled into a square, north up, keeping the map's proportions."""
    points = [(float(info.latitude), float(info.longitude)) for info in infos]
    lats, lngs = [lat for lat, _ in [*points, depot]], [lng for _, lng in [*points, depot]]
    top, left = max(lats), min(lngs)
    # A degree of longitude shrinks towards the poles; without this the plot is stretched sideways.
    squeeze = math.cos(math.radians((max(lats) + min(lats)) / 2))
    width, height = (max(lngs) - left) * squeeze, top - min(lats)
    scale = (PLOT_SIZE - 2 * PLOT_PADDING) / max(width, height, 1e-6)
    offset_x, offset_y = (PLOT_SIZE - width * scale) / 2, (PLOT_SIZE - height * scale) / 2

    def place(lat: float, lng: float) -> dict:
        return {"x": round(offset_x + (lng - left) * squeeze * scale, 1), "y": round(offset_y + (top - lat) * scale, 1)}

    return {
        "size": PLOT_SIZE,
        "points": [{**place(*point), "zip": info.zip_code} for point, info in zip(points, infos, strict=True)],
        "depot": place(*depot),
    }


def _area_summary(hauler: Hauler, zip_codes: list[str]) -> dict:
    """The ZIP codes counted, grouped by city, and plotted around the depot."""
    infos = [info for info in map(geo.lookup, zip_codes) if info is not None]
    by_city = defaultdict(list)
    for info in infos:
        by_city[(info.city.title(), info.state)].append(info.zip_code)
    groups = [
        {"city": city, "state": state, "zip_codes": sorted(codes)} for (city, state), codes in sorted(by_city.items())
    ]
    depot = (float(hauler.depot_latitude), float(hauler.depot_longitude))
    return {"count": len(infos), "groups": groups, "plot": _plot(infos, depot) if infos else None}


@hauler_required
@role_required("see", post="commercial")
@require_http_methods(["GET", "POST"])
def area(request, hauler):
    """Where the hauler works: a pasted ZIP list or a radius, previewed before it is saved."""
    current = list(hauler.service_zips.values_list("zip_code", flat=True))
    mode = request.POST.get("mode") if request.method == "POST" else None
    list_form = ZipListForm(request.POST if mode == "list" else None, initial={"zip_codes": ", ".join(current)})
    radius_form = RadiusForm(
        request.POST if mode == "radius" else None, initial={"depot_zip": hauler.depot_zip, "radius_miles": 15}
    )
    preview = None
    form = {"list": list_form, "radius": radius_form}.get(mode)
    if request.method == "POST" and form is None:
        messages.error(request, "Choose a ZIP list or a radius.")
    elif form is not None and form.is_valid():
        saving = "save" in request.POST
        try:
            zip_codes = _save_area(hauler, mode, form.cleaned_data, dry_run=not saving, by=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if saving:
                messages.success(request, f"Saved: you serve {counted(len(zip_codes), 'ZIP code')}.")
                return redirect("hauler_area")
            preview = {**_area_summary(hauler, zip_codes), "mode": mode}
    context = {
        "hauler": hauler,
        "list_form": list_form,
        "radius_form": radius_form,
        "preview": preview,
        "current": _area_summary(hauler, current),
        "may_edit": may(user=request.user, organisation=hauler, action="commercial"),
    }
    failed = request.method == "POST" and (form is None or bool(form.errors))
    return render(request, "haulers/area.html", context, status=400 if failed else 200)
