"""The fleet pages: trucks (what each serves, carries and works) and the disposal sites they tip at.

Owners and dispatchers see and change them; drivers work from their day instead.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.catalog import Container, WasteStream
from core.permissions import may, require
from core.views import apply_errors, hauler_required
from haulers.models import WEEKDAY_NAMES
from marketplace import fleet
from marketplace.web.formatting import span
from marketplace.web.hauler.forms import DisposalSiteForm, TruckEditForm, TruckForm

CONTAINER_NAMES = dict(Container.choices)
STREAM_NAMES = dict(WasteStream.choices)


def _may_edit(request) -> bool:
    return may(user=request.user, organisation=request.user.hauler_membership.hauler, action="fleet")


def _refuse_unless_owner(request) -> None:
    # Drivers do not see the fleet pages; dispatchers and owners see and change them (the services check again).
    hauler = request.user.hauler_membership.hauler
    require(user=request.user, organisation=hauler, action="fleet" if request.method == "POST" else "see")


def _truck_row(truck) -> dict:
    return {
        "truck": truck,
        "containers": ", ".join(CONTAINER_NAMES.get(c, c) for c in truck.containers),
        "shift": span(truck.shift_start, truck.shift_end),
        "sites": ", ".join(site.name for site in truck.disposal_sites.all()) or "None yet",
    }


@hauler_required
@require_http_methods(["GET", "POST"])
def trucks(request, hauler):
    """The hauler's trucks, and (for owners) a form to add one."""
    _refuse_unless_owner(request)
    sites = list(hauler.disposal_sites.all())
    form = TruckForm(request.POST if request.method == "POST" else None, hauler=hauler, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            truck = fleet.add_truck(hauler=hauler, by=request.user, **form.truck_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {truck.name}. The router plans it from its next working day.")
            return redirect("hauler_trucks")
    all_trucks = hauler.trucks.prefetch_related("disposal_sites").order_by("-active", "name", "pk")
    context = {
        "hauler": hauler,
        "form": form,
        "rows": [_truck_row(truck) for truck in all_trucks],
        "may_edit": _may_edit(request),
        "has_sites": bool(sites),
    }
    return render(request, "haulers/trucks.html", context, status=400 if form.errors else 200)


@hauler_required
@require_http_methods(["GET", "POST"])
def truck_detail(request, hauler, truck_id: int):
    """One truck: its details (owners edit them, or take it out of service)."""
    truck = hauler.trucks.filter(pk=truck_id).prefetch_related("disposal_sites").first()
    if truck is None:
        raise Http404("No such truck.")
    _refuse_unless_owner(request)
    form = TruckEditForm.for_truck(truck, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.update_truck(truck=truck, by=request.user, **form.truck_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            state = "" if truck.active else " It is out of service: it gets no new work."
            messages.success(request, f"Saved {truck.name}.{state}")
            return redirect("hauler_truck", truck_id=truck.pk)
    if not _may_edit(request):
        for field in form.fields.values():
            field.disabled = True
    context = {"hauler": hauler, "truck": truck, "row": _truck_row(truck), "form": form, "may_edit": _may_edit(request)}
    return render(request, "haulers/truck_detail.html", context, status=400 if form.errors else 200)


def _site_row(site) -> dict:
    days = [name[:3] for day, name in enumerate(WEEKDAY_NAMES) if site.open_on(day)]
    return {
        "site": site,
        "hours": span(site.opens_at, site.closes_at),
        "days": ", ".join(days) or "Closed every day",
        "accepts": ", ".join(STREAM_NAMES.get(s, s) for s in site.waste_streams) or "Everything",
    }


@hauler_required
@require_http_methods(["GET", "POST"])
def disposal_sites(request, hauler):
    """Where the trucks tip, and (for owners) a form to add a site."""
    _refuse_unless_owner(request)
    form = DisposalSiteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            site = fleet.add_disposal_site(hauler=hauler, by=request.user, **form.site_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {site.name}. Tick it on the trucks that tip there.")
            return redirect("hauler_disposal_sites")
    context = {
        "hauler": hauler,
        "form": form,
        "rows": [_site_row(site) for site in hauler.disposal_sites.all()],
        "may_edit": _may_edit(request),
    }
    return render(request, "haulers/disposal_sites.html", context, status=400 if form.errors else 200)


@hauler_required
@require_http_methods(["GET", "POST"])
def disposal_site_detail(request, hauler, site_id: int):
    """One disposal site: owners change its hours, days and what it accepts."""
    site = hauler.disposal_sites.filter(pk=site_id).first()
    if site is None:
        raise Http404("No such disposal site.")
    _refuse_unless_owner(request)
    form = DisposalSiteForm.for_site(site, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.update_disposal_site(site=site, by=request.user, **form.site_arguments())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved {site.name}.")
            return redirect("hauler_disposal_sites")
    if not _may_edit(request):
        for field in form.fields.values():
            field.disabled = True
    context = {"hauler": hauler, "site": site, "row": _site_row(site), "form": form, "may_edit": _may_edit(request)}
    return render(request, "haulers/disposal_site_detail.html", context, status=400 if form.errors else 200)
