"""A business's own pages: company details and service locations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core import permissions
from core.next_url import safe_next
from core.views import apply_errors, business_required
from customers import services
from customers.forms import CompanyForm, LocationForm
from customers.models import ServiceLocation


def _may(request, customer, action: str) -> bool:
    return permissions.may(user=request.user, organisation=customer, action=action)


def _refuse_unless(request, customer, action: str) -> None:
    # The form pages are refused whole (a GET too): the service would refuse the POST anyway.
    permissions.require(user=request.user, organisation=customer, action=action)


def _own_location(customer, location_id) -> ServiceLocation:
    location = ServiceLocation.objects.filter(customer=customer, pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


@business_required
def location_list(request, customer):
    locations = customer.locations.order_by(F("archived_at").asc(nulls_first=True), "name", "id")
    context = {"locations": locations, "customer": customer, "may_edit": _may(request, customer, "sites")}
    return render(request, "customers/location_list.html", context)


@business_required
@require_http_methods(["GET", "POST"])
def location_add(request, customer):
    _refuse_unless(request, customer, "sites")
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.add_location(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {location.name}.")
            return redirect(safe_next(request) or "location_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/location_form.html", {"form": form, "title": "Add a location"}, status=status)


@business_required
@require_http_methods(["GET", "POST"])
def location_edit(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    _refuse_unless(request, customer, "sites")
    form = LocationForm.for_location(location, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_location(location=location, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved {location.name}.")
            return redirect("location_list")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": f"Edit {location.name}", "location": location}
    return render(request, "customers/location_form.html", context, status=status)


@business_required
@require_POST
def location_archive(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    services.archive_location(location=location, by=request.user)
    messages.success(request, f"Archived {location.name}. Its pickups and history are kept.")
    return redirect("location_list")


@business_required
@require_POST
def location_restore(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    services.restore_location(location=location, by=request.user)
    messages.success(request, f"Restored {location.name}.")
    return redirect("location_list")


@business_required
@require_http_methods(["GET", "POST"])
def company(request, customer):
    """The business's details: owners and managers change them, everyone else reads them."""
    may_edit = _may(request, customer, "company")
    if request.method == "POST":
        _refuse_unless(request, customer, "company")
    form = CompanyForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        services.update_company(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, "Saved your business details.")
        return redirect("company")
    if not may_edit:
        for field in form.fields.values():
            field.disabled = True
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/company.html", {"form": form, "may_edit": may_edit}, status=status)
