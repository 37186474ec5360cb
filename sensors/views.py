"""A business's sensor pages: register a sensor at a location, see its token once, rotate it, change its rules.

sensors is a leaf beside customers, so it reaches the business through the signed-in user's membership
rather than importing customers' views.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.views import apply_errors, business_required, role_required
from sensors import services
from sensors.forms import DeviceForm, RulesForm
from sensors.models import Device

# The plain token waits in the session only until the page that shows it is opened, once.
SESSION_KEY = "sensor_tokens"


def _own_location(customer, location_id: int):
    location = customer.locations.filter(pk=location_id).first()
    if location is None:
        raise Http404("No such location.")
    return location


def _own_device(customer, device_id: int) -> Device:
    device = Device.objects.filter(pk=device_id, location__customer=customer).select_related("location").first()
    if device is None:
        raise Http404("No such sensor.")
    return device


def _show_token_once(request, device: Device, token: str):
    tokens = request.session.get(SESSION_KEY, {})
    tokens[str(device.pk)] = token
    request.session[SESSION_KEY] = tokens
    return redirect("sensor_token", device_id=device.pk)


@business_required
@role_required("sites")  # sensors are a location's equipment: owners and managers
@require_http_methods(["GET", "POST"])
def device_add(request, customer, location_id: int):
    location = _own_location(customer, location_id)
    form = DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, token = services.register_device(location=location, **form.cleaned_data, by=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _show_token_once(request, device, token)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "location": location, "title": f"Add a sensor at {location.name}"}
    return render(request, "sensors/device_form.html", context, status=status)


@never_cache
@business_required
@role_required("sites")
def device_token(request, customer, device_id: int):
    device = _own_device(customer, device_id)
    tokens = request.session.get(SESSION_KEY, {})
    token = tokens.pop(str(device.pk), None)
    if token is not None:
        request.session[SESSION_KEY] = tokens
    return render(request, "sensors/device_token.html", {"device": device, "token": token})


@business_required
@role_required("sites")
@require_POST
def device_rotate(request, customer, device_id: int):
    device = _own_device(customer, device_id)
    return _show_token_once(request, device, services.rotate_token(device=device, by=request.user))


@business_required
@role_required("see", post="sites")
@require_http_methods(["GET", "POST"])
def device_rules(request, customer, device_id: int):
    device = _own_device(customer, device_id)
    form = RulesForm.for_device(device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_rules(device=device, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Saved the rules of sensor {device.serial}.")
            return redirect(reverse("sensor_rules", args=[device.pk]))
    status = 400 if request.method == "POST" else 200
    return render(request, "sensors/device_rules.html", {"form": form, "device": device}, status=status)
