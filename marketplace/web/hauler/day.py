"""The driver's day, phone first: the next stop big at the top, then the rest of the route, the map, and closing
each job from the cab.

A driver sees the truck they are assigned to that day; an owner or a dispatcher picks any truck. Completing or
reporting a job is safe to repeat: a retried submit (a flaky connection, a double tap) finds the job already
closed and says so.
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import Conflict
from core.permissions import may
from core.views import apply_errors, hauler_required
from haulers.models import DriverAssignment, Hauler
from marketplace import routes, scheduling, selectors, services
from marketplace.models import Pickup
from marketplace.web.hauler import routeview
from marketplace.web.hauler.forms import DayCompleteForm, ExceptionForm
from marketplace.web.hauler.views import opens_later


def day_url(day: dt.date, truck_id: int | None = None) -> str:
    query = {"day": day.isoformat(), **({"truck": truck_id} if truck_id else {})}
    return f"{reverse('hauler_day')}?{urlencode(query)}"


def _truck_and_choices(hauler: Hauler, membership, plan, day: dt.date, wanted: int | None):
    """The truck shown, and (for an owner) the trucks to choose from: those with a route first."""
    routed = [route.truck for route in plan.routes.all()] if plan is not None else []
    if not may(user=membership.user, organisation=hauler, action="dispatch"):
        assignment = DriverAssignment.objects.filter(driver=membership, day=day).select_related("truck").first()
        return (assignment.truck if assignment else None), []
    idle = [truck for truck in hauler.trucks.filter(active=True) if truck.pk not in {t.pk for t in routed}]
    choices = routed + idle
    chosen = next((truck for truck in choices if truck.pk == wanted), choices[0] if choices else None)
    return chosen, choices


def _render_day(request, hauler, params, *, focus=None, complete_form=None, exception_form=None, status=200):
    tz = routes.zone_of(hauler)
    day, wanted = routeview.chosen_day(params, tz)
    membership = request.user.hauler_membership
    plan = routes.day_plan(hauler=hauler, day=day)
    truck, choices = _truck_and_choices(hauler, membership, plan, day, wanted)
    summaries = routeview.summaries(plan, tz)
    mine = next((summary for summary in summaries if truck and summary["truck"].pk == truck.pk), None)
    rows = mine["rows"] if mine else []
    open_rows = [row for row in rows if row["kind"] == "pickup" and row["open"]]
    current = next((row for row in open_rows if row["job"].pk == focus), open_rows[0] if open_rows else None)
    if current is not None:
        current["next"] = True
        index = rows.index(current)
        # A tipping trip due before the next pickup is the first thing the driver does.
        tip_first = next((row for row in rows[:index] if row["kind"] == "tip" and row["open"]), None)
    else:
        tip_first = None
    opens = opens_later(current["job"]) if current else ""  # before the window: why early, and no report yet
    context = {
        "hauler": hauler,
        "day": day,
        "today": scheduling.local_today(str(tz)),
        "previous_url": day_url(day - dt.timedelta(days=1), truck.pk if truck and choices else None),
        "next_url": day_url(day + dt.timedelta(days=1), truck.pk if truck and choices else None),
        "is_owner": may(user=request.user, organisation=hauler, action="dispatch"),
        "truck": truck,
        "choices": [{"truck": t, "url": day_url(day, t.pk), "current": t == truck} for t in choices],
        "summary": mine,
        "rows": rows,
        "current": current,
        "tip_first": tip_first,
        "remaining": len(open_rows),
        "unroutable": routeview.unroutable_rows(routes.unroutable_jobs(plan=plan, hauler=hauler, day=day), tz),
        "opens": opens,
        "complete_form": complete_form or DayCompleteForm(initial={"weight_unit": "lb"}, opens=opens),
        "exception_form": exception_form or ExceptionForm(),
        "back": day_url(day, truck.pk if truck else None),
        "map": routeview.map_data([mine]) if mine else None,
        "tile_url": routeview.tile_url(),
        "tile_attribution": routeview.tile_attribution(),
        "planned_at": plan.planned_at if plan else None,
        "tz": str(tz),
    }
    return render(request, "haulers/day.html", context, status=status)


@hauler_required
@require_GET
def driver_day(request, hauler):
    """Today's route for the driver's truck (or the truck an owner picks): next stop first."""
    return _render_day(request, hauler, request.GET)


def _back(request, hauler) -> str:
    day, truck_id = routeview.chosen_day(request.POST, routes.zone_of(hauler))
    return day_url(day, truck_id)


def _already_closed(request, job: Pickup) -> bool:
    job.refresh_from_db(fields=["status"])
    if job.status == Pickup.Status.SCHEDULED:
        return False
    messages.info(request, f"{job.location.street}: already recorded as {job.get_status_display().lower()}.")
    return True


def _close_job(request, hauler, pickup_id: int, *, form_class, service, done: str, form_name: str):
    """One way to close a job from the day screen: a repeat says it is recorded, bad input re-renders the day."""
    job = selectors.job_of(hauler=hauler, pickup_id=pickup_id)
    if _already_closed(request, job):
        return redirect(_back(request, hauler))
    # From the cab the job is serviced now: a reason is asked for exactly when now is before its window.
    extra = {"opens": opens_later(job)} if form_class is DayCompleteForm else {}
    form = form_class(request.POST, request.FILES, **extra)
    if form.is_valid():
        try:
            service(pickup_id=job.pk, hauler=hauler, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        except Conflict as error:
            if not _already_closed(request, job):
                messages.error(request, str(error))
            return redirect(_back(request, hauler))
        else:
            messages.success(request, done.format(street=job.location.street))
            return redirect(_back(request, hauler))
    return _render_day(request, hauler, request.POST, focus=job.pk, status=400, **{form_name: form})


@hauler_required
@require_POST
def day_complete(request, hauler, pickup_id: int):
    """The driver did the job: photo and weight from the day screen; back to the day with the next stop."""
    return _close_job(
        request, hauler, pickup_id, form_class=DayCompleteForm, service=services.complete_pickup,
        done="Done: {street}. Proof of service recorded.", form_name="complete_form",
    )  # fmt: skip


@hauler_required
@require_POST
def day_exception(request, hauler, pickup_id: int):
    """The driver could not service it (blocked, contaminated, not put out); the customer is told why."""
    return _close_job(
        request, hauler, pickup_id, form_class=ExceptionForm, service=services.report_exception,
        done="Recorded: {street} could not be serviced. The customer is told.", form_name="exception_form",
    )  # fmt: skip
