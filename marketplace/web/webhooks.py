"""The Webhooks pages, for a business (/webhooks/) and a hauler (/hauler/webhooks/): endpoints, their events and
secrets, a test event, and each one's delivery log in sentences, in the organisation's own time zone.

Only the people who set up integrations reach them (marketplace.webhooks checks again on every change). A new or
rotated secret is shown once: it travels to the next page in the session and is removed as it is shown.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core import geo, permissions
from core.errors import Conflict
from core.views import apply_errors, business_required, hauler_required
from haulers.models import Hauler
from marketplace import webhooks
from marketplace.models import WebhookDelivery, WebhookEndpoint

FRESH_SECRET = "webhook_secret_once"
ACTIONS = ("rotate", "test", "pause", "resume", "delete")
LOG_PAGE = 25
OVERLAPS = [("24", "Keeps working 24 hours"), ("1", "Keeps working 1 hour"), ("0", "Stops now")]


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="Where we POST each event, e.g. https://example.com/haulmatch/webhooks.",
        widget=forms.URLInput(attrs={"inputmode": "url", "autocomplete": "url", "placeholder": "https://"}),
    )
    description = forms.CharField(max_length=200, required=False, help_text="What it is for, e.g. 'Our ERP'.")
    events = forms.MultipleChoiceField(label="Events to send", widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = list(webhooks.events_for(owner).items())


class RotateForm(forms.Form):
    overlap_hours = forms.TypedChoiceField(label="The old secret", choices=OVERLAPS, coerce=int, initial="24")


def _zone(owner) -> ZoneInfo:
    """The organisation's time: a hauler's depot, a business's first location."""
    if isinstance(owner, Hauler):
        place = geo.lookup(owner.depot_zip)
        name = place.timezone if place else None
    else:
        name = owner.locations.order_by("created_at", "pk").values_list("timezone", flat=True).first()
    return ZoneInfo(name or "America/New_York")


def _when(moment, zone: ZoneInfo) -> str:
    local = timezone.localtime(moment, zone)
    return f"{local:%b} {local.day}, {local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def outcome(delivery: WebhookDelivery, zone: ZoneInfo) -> str:
    """What happened to a delivery, in a sentence."""
    tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        answer = f" (it answered {delivery.response_code})" if delivery.response_code else ""
        return f"Received by your endpoint{answer} after {tries}."
    if delivery.status == WebhookDelivery.Status.FAILED:
        return f"Gave up after {tries}: {delivery.error}"
    if not delivery.attempts:
        return "Waiting to be sent."
    return f"Not received yet ({tries}): {delivery.error} Next try {_when(delivery.next_attempt_at, zone)}."


def _guard(request, owner) -> None:
    permissions.require(user=request.user, organisation=owner, action="integrations")


def _names(request) -> dict:
    side = "hauler" if request.resolver_match.url_name.startswith("hauler_") else "business"
    prefix = "hauler_" if side == "hauler" else ""
    return {"side": side, "list": f"{prefix}webhooks", "detail": f"{prefix}webhook"}


def _endpoint_list(request, owner):
    _guard(request, owner)
    names = _names(request)
    form = EndpointForm(request.POST if request.method == "POST" else None, owner=owner)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.create_endpoint(owner=owner, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except Conflict as error:
            form.add_error(None, str(error))
        else:
            request.session[FRESH_SECRET] = {"endpoint": endpoint.pk, "secret": endpoint.secret}
            messages.success(request, "Added the endpoint. Copy its signing secret now.")
            return redirect(names["detail"], endpoint_id=endpoint.pk)
    endpoints = list(webhooks.endpoints_of(owner=owner))
    context = {
        "owner": owner,
        "endpoints": endpoints,
        "form": form,
        "names": names,
        "events": webhooks.events_for(owner),
    }
    return render(request, "webhooks/list.html", context, status=400 if form.errors else 200)


def _endpoint_detail(request, owner, endpoint_id: int):
    _guard(request, owner)
    names = _names(request)
    endpoint = webhooks.endpoint_of(owner=owner, endpoint_id=endpoint_id)  # NotFound: a 404 page
    form = EndpointForm(
        request.POST if request.method == "POST" else None,
        owner=owner,
        initial={"url": endpoint.url, "description": endpoint.description, "events": endpoint.events},
    )
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.update_endpoint(endpoint=endpoint, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Saved the endpoint.")
            return redirect(names["detail"], endpoint_id=endpoint.pk)
    fresh = request.session.get(FRESH_SECRET)
    secret = None
    if fresh and fresh.get("endpoint") == endpoint.pk:
        secret = fresh["secret"]
        del request.session[FRESH_SECRET]  # shown once
    zone = _zone(owner)
    page = Paginator(webhooks.deliveries_of(endpoint=endpoint), LOG_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"delivery": d, "when": _when(d.created_at, zone), "outcome": outcome(d, zone), "event": d.event_type}
        for d in page
    ]
    context = {
        "owner": owner,
        "endpoint": endpoint,
        "form": form,
        "rotate_form": RotateForm(),
        "secret": secret,
        "secret_hint": f"whsec_…{endpoint.secret[-4:]}",
        "previous_until": _when(endpoint.previous_secret_expires_at, zone)
        if endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > timezone.now()
        else None,
        "rows": rows,
        "page": page,
        "names": names,
        "zone": zone.key,
    }
    return render(request, "webhooks/detail.html", context, status=400 if form.errors else 200)


def _endpoint_action(request, owner, endpoint_id: int, action: str):
    if action not in ACTIONS:
        raise Http404("No such action.")
    _guard(request, owner)
    names = _names(request)
    endpoint: WebhookEndpoint = webhooks.endpoint_of(owner=owner, endpoint_id=endpoint_id)
    back = redirect(names["detail"], endpoint_id=endpoint.pk)
    if action == "rotate":
        form = RotateForm(request.POST)
        hours = form.cleaned_data["overlap_hours"] if form.is_valid() else 24
        endpoint = webhooks.rotate_secret(endpoint=endpoint, by=request.user, overlap=dt.timedelta(hours=hours))
        request.session[FRESH_SECRET] = {"endpoint": endpoint.pk, "secret": endpoint.secret}
        messages.success(request, "Made a new signing secret. Copy it now.")
    elif action == "test":
        try:
            webhooks.send_test(endpoint=endpoint, by=request.user)
        except Conflict as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Sent a test event: its outcome is at the top of the log below.")
    elif action in ("pause", "resume"):
        webhooks.update_endpoint(endpoint=endpoint, by=request.user, active=action == "resume")
        messages.success(request, "Turned the endpoint on." if action == "resume" else "Turned the endpoint off.")
    elif action == "delete":
        webhooks.delete_endpoint(endpoint=endpoint, by=request.user)
        messages.success(request, f"Removed the endpoint {endpoint.url}.")
        return redirect(names["list"])
    return back


@business_required
@require_http_methods(["GET", "POST"])
def business_webhooks(request, customer):
    """The business's webhook endpoints, and a form to add one."""
    return _endpoint_list(request, customer)


@business_required
@require_http_methods(["GET", "POST"])
def business_webhook(request, customer, endpoint_id: int):
    """One endpoint: its events, secret, test button and delivery log."""
    return _endpoint_detail(request, customer, endpoint_id)


@business_required
@require_POST
def business_webhook_action(request, customer, endpoint_id: int, action: str):
    """Rotate the secret, send a test event, turn it off or on, or remove it."""
    return _endpoint_action(request, customer, endpoint_id, action)


@hauler_required
@require_http_methods(["GET", "POST"])
def hauler_webhooks(request, hauler):
    """The hauler's webhook endpoints, and a form to add one."""
    return _endpoint_list(request, hauler)


@hauler_required
@require_http_methods(["GET", "POST"])
def hauler_webhook(request, hauler, endpoint_id: int):
    """One endpoint: its events, secret, test button and delivery log."""
    return _endpoint_detail(request, hauler, endpoint_id)


@hauler_required
@require_POST
def hauler_webhook_action(request, hauler, endpoint_id: int, action: str):
    """Rotate the secret, send a test event, turn it off or on, or remove it."""
    return _endpoint_action(request, hauler, endpoint_id, action)
