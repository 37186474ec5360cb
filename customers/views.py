"""A business's own pages: company details and service locations."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.views import apply_errors, business_required
from customers import services
from customers.forms import CompanyForm, LocationForm
from customers.models import ServiceLocation


def _own_location(customer, location_id) -> ServiceLocation:
    location = ServiceLocation.objects.filter(customer=customer, pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


@business_required
def location_list(request, customer):
    locations = customer.locations.order_by(F("archived_at").asc(nulls_first=True), "name", "id")
    return render(request, "customers/location_list.html", {"locations": locations, "customer": customer})


@business_required
@require_http_methods(["GET", "POST"])
def location_add(request, customer):
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.add_location(customer=customer, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added {location.name}.")
            return redirect(request.GET.get("next") or "location_list")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/location_form.html", {"form": form, "title": "Add a location"}, status=status)


@business_required
@require_http_methods(["GET", "POST"])
def location_edit(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    form = LocationForm.for_location(location, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_location(location=location, **form.cleaned_data)
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
    services.archive_location(location=location)
    messages.success(request, f"Archived {location.name}. Its pickups and history are kept.")
    return redirect("location_list")


@business_required
@require_POST
def location_restore(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    services.restore_location(location=location)
    messages.success(request, f"Restored {location.name}.")
    return redirect("location_list")


@business_required
@require_http_methods(["GET", "POST"])
def company(request, customer):
    form = CompanyForm(request.POST or None, instance=customer)
    if request.method == "POST" and form.is_valid():
        services.update_company(customer=customer, **form.cleaned_data)
        messages.success(request, "Saved your business details.")
        return redirect("company")
    status = 400 if request.method == "POST" else 200
    return render(request, "customers/company.html", {"form": form}, status=status)
