"""The business pages: the home page and its coverage check, onboarding, the dashboard, booking, pickups and plans."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from billing import cards, receipts
from core import geo
from core.catalog import Container, WasteStream
from core.errors import Conflict
from core.views import apply_errors, business_required, role_required
from customers import services as customer_services
from customers.forms import CompanyForm, LocationForm
from customers.models import Membership as CustomerMembership
from haulers.models import Membership as HaulerMembership
from marketplace import plans, pricing, routes, scheduling, selectors, services
from marketplace.models import Frequency, Pickup, ServicePlan
from marketplace.web import activity, rows
from marketplace.web.business.cases import pickup_panel
from marketplace.web.business.forms import (
    DateChangeForm,
    PlanEndForm,
    PlanPauseForm,
    PlanWeekdaysForm,
    quote_form_class,
    window_value,
)
from marketplace.web.business.make_ups import make_up_panel
from marketplace.web.formatting import booked_window, clock_range, window_label


def home(request, coverage: dict | None = None):
    """What HaulMatch is, and where a signed-in person goes next."""
    context = {"waste_streams": WasteStream.choices, "containers": Container.choices, **(coverage or {})}
    if request.user.is_authenticated:
        context["customer_membership"] = (
            CustomerMembership.objects.filter(user=request.user).select_related("customer").first()
        )
        context["hauler_membership"] = (
            HaulerMembership.objects.filter(user=request.user).select_related("hauler").first()
        )
    return render(request, "marketplace/home.html", context)


def coverage(request):
    """Does HaulMatch serve this ZIP yet? htmx gets the answer alone; a plain GET (no script, or a shared link)
    gets the home page with the answer under the ZIP box, never a bare fragment."""
    zip_code = request.GET.get("zip", "").strip()
    context = {"zip_code": zip_code, "asked": "zip" in request.GET, "valid": len(zip_code) == 5 and zip_code.isdigit()}
    if context["valid"]:
        context["known"] = geo.lookup(zip_code)
        context["haulers"] = selectors.serving_hauler_count(zip_code=zip_code) if context["known"] else 0
    if request.headers.get("HX-Request") == "true":
        response = render(request, "marketplace/_coverage.html", context)
    else:
        response = home(request, coverage=context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@business_required
@role_required("sites")  # the first location (and the business's details): owners and managers
@require_http_methods(["GET", "POST"])
def onboarding(request, customer):
    """After signup: the business's details, pickup contact and first location, in one step."""
    company = CompanyForm(request.POST or None, instance=customer, prefix="company")
    location = LocationForm(request.POST or None, prefix="location")
    if request.method == "POST" and company.is_valid() and location.is_valid():
        try:
            with transaction.atomic():
                customer_services.update_company(customer=customer, by=request.user, **company.cleaned_data)
                customer_services.add_location(customer=customer, by=request.user, **location.cleaned_data)
        except ValidationError as error:
            apply_errors(location, error)
        else:
            messages.success(request, "You're set up. Get your first quote below.")
            return redirect("book")
    status = 400 if request.method == "POST" else 200
    return render(request, "marketplace/onboarding.html", {"company": company, "location": location}, status=status)


@business_required
def dashboard(request, customer):
    """Upcoming pickups, those needing attention, and recent activity."""
    today = scheduling.local_today(settings.TIME_ZONE)
    sensors = rows.sensors(customer=customer)
    context = {
        "customer": customer,
        "upcoming": rows.upcoming(customer=customer, today=today - dt.timedelta(days=1)),
        "attention": rows.attention(customer=customer),
        "plans": rows.open_plans(customer=customer),
        "activity": rows.activity(selectors.recent_activity(customer=customer)),
        "savings": sensors["savings"],
        "has_sensors": sensors["has_sensors"],
    }
    return render(request, "marketplace/dashboard.html", context)


@business_required
@require_http_methods(["GET", "POST"])
def book(request, customer):
    """Step 1: what, where, when -> an instant price."""
    if not selectors.locations_of(customer=customer).exists():
        messages.info(request, "Add the address where your bins are first.")
        return redirect(f"{reverse('location_add')}?next={reverse('book')}")
    form = quote_form_class(request)(request.POST or None, customer=customer, initial=_quote_initial(request, customer))
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.create_quote(customer=customer, **form.quote_arguments())
        except services.NoHaulerAvailable as error:
            form.add_error(None, error.messages)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _quote_page(request, customer, quote)
    status = 400 if request.method == "POST" else 200
    return render(request, "marketplace/book.html", {"form": form, "kind": form.kind}, status=status)


PRESETS = ("waste_stream", "container", "location", "quantity", "service_date", "window", "frequency", "day_of_month",
           "end_date")  # fmt: skip


def _quote_initial(request, customer) -> dict:
    """The form preset from the link that led here: a sensor's or a bin's suggestion, or "Change the details"."""
    initial = {"service_date": timezone.localdate() + dt.timedelta(days=1)}
    for key in PRESETS:
        if request.GET.get(key):
            initial[key] = request.GET[key]
    if request.GET.getlist("weekdays"):
        initial["weekdays"] = request.GET.getlist("weekdays")
    return initial


def _change_url(quote) -> str:
    """The booking form again with this quote's details filled in, so changing one detail keeps the rest."""
    details = {
        "location": quote.location_id, "waste_stream": quote.waste_stream, "container": quote.container,
        "quantity": quote.quantity, "service_date": quote.service_date.isoformat(),
        "window": window_value(quote.window_start, quote.window_end),
    }  # fmt: skip
    if quote.frequency != Frequency.ONCE:
        first = quote.start_date or quote.service_date  # the form's "First visit" is the plan's start
        details.update(kind="recurring", frequency=quote.frequency, day_of_month=quote.day_of_month or "")
        details["service_date"] = first.isoformat()
        details["weekdays"] = [day for day in range(7) if quote.weekdays & (1 << day)]
        details["end_date"] = quote.end_date.isoformat() if quote.end_date else ""
    return f"{reverse('book')}?{urlencode(details, doseq=True)}"


def _quote_page(request, customer, quote):
    context = {
        "quote": quote,
        "window": window_label(quote.window_start, quote.window_end),
        "booking_block": cards.booking_block(customer=customer),
        # Adding the card comes back here (its page takes ?next=), so the price is booked at once, not lost.
        "card_url": _card_url_back_to(quote),
        "change_url": _change_url(quote),
    }
    return render(request, "marketplace/quote.html", context)


def _card_url_back_to(quote) -> str:
    return f"{reverse('billing_card')}?{urlencode({'next': reverse('book_quote', args=[quote.pk])})}"


def _show_quote(request, customer, quote):
    """The quote again (after adding a card, or a reload): its page while it holds, else where it went."""
    pickup = Pickup.objects.filter(quote=quote).only("pk").first()
    if pickup is not None:
        return redirect("pickup_detail", pickup_id=pickup.pk)
    plan = ServicePlan.objects.filter(quote=quote).only("pk").first()
    if plan is not None:
        return redirect("plan_detail", plan_id=plan.pk)
    if quote.expires_at <= timezone.now():
        messages.info(request, "That price has expired. Check the details and get a new one.")
        again = {"waste_stream": quote.waste_stream, "container": quote.container, "location": quote.location_id}
        if quote.frequency != Frequency.ONCE:
            again["kind"] = "recurring"
        return redirect(f"{reverse('book')}?{urlencode(again)}")
    return _quote_page(request, customer, quote)


@business_required
@require_http_methods(["GET", "POST"])
def book_quote(request, customer, quote_id: int):
    """Step 2: one click books the quoted price. A GET shows the quote again (the card page returns here)."""
    quote = selectors.quote_of(customer=customer, quote_id=quote_id)
    if request.method == "GET":
        return _show_quote(request, customer, quote)
    try:
        if quote.frequency != Frequency.ONCE:
            plan = plans.book_plan(quote=quote, customer=customer, by=request.user)
            return redirect(f"{reverse('plan_detail', args=[plan.pk])}?booked=1")
        pickup, created = services.get_or_book_quote(quote=quote, customer=customer, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("book")
    except Conflict as error:
        if not cards.booking_block(customer=customer):
            raise
        # The card is what stands in the way: say so, and where to fix it.
        context = {"message": str(error), "fix_url": _card_url_back_to(quote), "fix_label": "Go to your payment card"}
        return render(request, "409.html", context, status=409)
    # A second click (or a second tab) lands on the pickup without being told it was booked again.
    return redirect(f"{reverse('pickup_detail', args=[pickup.pk])}{'?booked=1' if created else ''}")


@business_required
def pickup_detail(request, customer, pickup_id: int):
    """A pickup: its status, timeline, hauler once scheduled, and what can be done now."""
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    context = {
        "pickup": pickup,
        "window": _window(pickup),
        **_arrival(pickup),
        "timeline": activity.timeline(pickup, selectors.pickup_timeline(pickup=pickup)),
        "can_cancel": pickup.status in CANCELLABLE,
        "can_move": pickup.status in MOVABLE,
        "date_form": DateChangeForm(initial={"service_date": pickup.service_date}),
        "booked": request.GET.get("booked") == "1",
        "cancellation_fee_cents": settings.CANCELLATION_FEE_CENTS,
        "cutoff_hours": int(settings.CANCELLATION_CUTOFF.total_seconds() // 3600),
        "visit_money": receipts.pickup_money(pickup=pickup),
        **pickup_panel(pickup),
        **make_up_panel(pickup),  # after can_move: a make-up on its way takes the move away
    }
    return render(request, "marketplace/pickup_detail.html", context)


def _window(pickup: Pickup) -> str:
    return booked_window(
        service_date=pickup.service_date, start=pickup.window_start, end=pickup.window_end,
        tz_name=pickup.location.timezone,
    )  # fmt: skip


def _arrival(pickup: Pickup) -> dict:
    """About when the truck comes, once the hauler's route is planned, and whether it is on its way."""
    if pickup.status != Pickup.Status.SCHEDULED:
        return {"planned_arrival": None, "on_the_way": False}
    arrival = routes.planned_arrival(pickup)
    if arrival is None:
        return {"planned_arrival": None, "on_the_way": False}
    tz = ZoneInfo(pickup.location.timezone)
    start, end = (timezone.localtime(moment, tz).time() for moment in arrival)
    # The band around the planned stop stays inside the window the route keeps: "about 10:45 to 11:15 AM" beside a
    # window that ends at 11 said the truck might come late.
    if start < pickup.window_end and end > pickup.window_start:
        start, end = max(start, pickup.window_start), min(end, pickup.window_end)
    return {"planned_arrival": clock_range(start, end), "on_the_way": routes.on_the_way(pickup)}


CANCELLABLE = (
    Pickup.Status.REQUESTED,
    Pickup.Status.OFFERED,
    Pickup.Status.SCHEDULED,
    Pickup.Status.UNMATCHED,
)
MOVABLE = (*CANCELLABLE, Pickup.Status.MISSED)


def _cancel_terms(pickup: Pickup) -> tuple[str | None, int]:
    """(why it cannot be cancelled, or None; the fee cancelling now costs): what the service would decide."""
    if pickup.status not in CANCELLABLE:
        return f"A {pickup.get_status_display().lower()} pickup cannot be cancelled.", 0
    start, _ = pickup.window()
    now = timezone.now()
    if now >= start:
        return "The arrival window has started; the pickup can no longer be cancelled.", 0
    if pickup.status != Pickup.Status.SCHEDULED:
        return None, 0  # no hauler has planned for it yet
    return None, pricing.late_cancellation_fee_cents(price_cents=pickup.price_cents, window_start=start, now=now)


@business_required
@require_http_methods(["GET", "POST"])
def pickup_cancel(request, customer, pickup_id: int):
    """Cancelling asks first and says what it costs; only the confirming POST (confirm=yes) cancels. If the fee
    changed since the page was shown (the cutoff passed meanwhile), it asks again with the new amount."""
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    problem, fee_cents = _cancel_terms(pickup)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    fee_changed = request.POST.get("fee_cents", str(fee_cents)) != str(fee_cents)
    if problem or not confirmed or fee_changed:
        context = {
            "pickup": pickup,
            "window": _window(pickup),
            "problem": problem,
            "fee_cents": fee_cents,
            "fee_changed": confirmed and fee_changed,
        }
        status = 409 if problem and request.method == "POST" else 200
        return render(request, "marketplace/pickup_cancel.html", context, status=status)
    pickup = services.cancel_pickup(pickup=pickup, by=request.user)
    fee = (
        f" A late-cancellation fee of ${pickup.cancellation_fee_cents / 100:.2f} applies."
        if pickup.cancellation_fee_cents
        else ""
    )
    messages.success(request, f"Pickup cancelled.{fee}")
    return redirect("pickup_detail", pickup_id=pickup.pk)


@business_required
@require_POST
def pickup_move(request, customer, pickup_id: int):
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    form = DateChangeForm(request.POST)
    if form.is_valid():
        try:
            services.change_pickup_date(pickup=pickup, service_date=form.cleaned_data["service_date"], by=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Date changed. We are finding a hauler for the new date.")
            return redirect("pickup_detail", pickup_id=pickup.pk)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("pickup_detail", pickup_id=pickup.pk)


@business_required
def pickup_proof_photo(request, customer, pickup_id: int):
    """The proof photo, to the business that booked the pickup (uploads have no public URL)."""
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    proof = getattr(pickup, "proof", None)
    if proof is None or not proof.photo:
        raise Http404("No photo.")
    return FileResponse(proof.photo.open("rb"), content_type=_photo_type(proof.photo.name))


def _photo_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


@business_required
def plan_detail(request, customer, plan_id: int):
    """A recurring plan: its schedule, hauler, upcoming visits, and skip / pause / change / end."""
    plan = selectors.plan_of(customer=customer, plan_id=plan_id)
    today = scheduling.local_today(plan.location.timezone)
    context = {
        "plan": plan,
        "visits": plan.visits.filter(service_date__gte=today - dt.timedelta(days=7)).order_by("service_date")[:30],
        "weekday_names": plans.weekday_names(plan.weekdays),
        "booked": request.GET.get("booked") == "1",
        "pause_form": PlanPauseForm(),
        "end_form": PlanEndForm(),
        "weekdays_form": PlanWeekdaysForm(),
        "open": plan.status in ("pending", "active"),
    }
    return render(request, "marketplace/plan_detail.html", context)


def _dropped(plan, *, first: dt.date, last: dt.date | None) -> tuple[list[Pickup], int]:
    """The open visits a skip, pause or end would drop (nominal dates in [first, last]) and the late fees of those
    a hauler has planned for inside the cutoff: plans._drop_visits' terms, read before anything is changed."""
    visits = plan.visits.filter(status__in=plans.OPEN_VISIT, plan_date__gte=first).select_related("location")
    if last is not None:
        visits = visits.filter(plan_date__lte=last)
    now, dropped, fee_cents = timezone.now(), [], 0
    for visit in visits.order_by("service_date"):
        start, _ = visit.window()
        if now >= start:
            continue  # under way or past: not dropped
        dropped.append(visit)
        if visit.status == Pickup.Status.SCHEDULED:
            fee_cents += pricing.late_cancellation_fee_cents(price_cents=visit.price_cents, window_start=start, now=now)
    return dropped, fee_cents


def _end_terms(plan, last_day: dt.date) -> dict:
    before_start = last_day < plan.start_date
    first = plan.start_date if before_start else last_day + dt.timedelta(days=1)
    dropped, fee_cents = _dropped(plan, first=first, last=None)
    return {"plan": plan, "action": "end", "last_day": last_day, "before_start": before_start, "dropped": dropped,
            "fee_cents": fee_cents}  # fmt: skip


@business_required
@require_POST
def plan_change(request, customer, plan_id: int, action: str):
    """Skip or pause visits, move to other weekdays, or end the plan."""
    plan = selectors.plan_of(customer=customer, plan_id=plan_id)
    forms_by_action = {"pause": PlanPauseForm, "end": PlanEndForm, "weekdays": PlanWeekdaysForm}
    if action not in forms_by_action:
        raise Http404("No such change.")
    form = forms_by_action[action](request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("plan_detail", plan_id=plan.pk)
    data = form.cleaned_data
    if action == "end" and request.POST.get("confirm") != "yes":
        # Ending drops every later visit (and may cost late fees): say so, and end only once confirmed.
        return render(request, "marketplace/plan_end.html", _end_terms(plan, data["last_day"]))
    if action == "pause" and request.POST.get("confirm") != "yes":
        # A skip is one tap while it is free; one that costs a late fee says so first.
        dropped, fee_cents = _dropped(plan, first=data["start"], last=data["end"])
        if fee_cents:
            context = {"plan": plan, "action": "pause", "start": data["start"], "end": data["end"],
                       "dropped": dropped, "fee_cents": fee_cents}  # fmt: skip
            return render(request, "marketplace/plan_end.html", context)
    try:
        if action == "pause":
            plans.pause_plan(plan=plan, customer=customer, start=data["start"], end=data["end"], by=request.user)
            done = "Skipped." if data["start"] == data["end"] else "Paused."
        elif action == "end":
            plans.end_plan(plan=plan, customer=customer, last_day=data["last_day"], by=request.user)
            done = "The plan ends on that day."
        else:
            successor = plans.change_weekdays(
                plan=plan, customer=customer, weekdays=form.mask(), from_date=data["from_date"], by=request.user
            )
            messages.success(request, "From that date on, visits are on the new days.")
            return redirect("plan_detail", plan_id=successor.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("plan_detail", plan_id=plan.pk)
