"""The dispatcher's day (owners and dispatchers): every truck's route side by side, one map, the jobs no truck
could take; moving a job to another truck, assigning drivers, re-planning; and a printable sheet per truck.

A page never solves a route: a move or "re-plan now" queues the re-plan (routes.replan_later), which a
worker runs within ROUTE_SOLVE_SECONDS (in-process at commit under eager tasks).
"""

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import Conflict
from core.permissions import require
from core.views import hauler_required
from haulers import fleet
from haulers.models import DriverAssignment, Truck
from marketplace import routes, scheduling
from marketplace.web.hauler import routeview
from marketplace.web.hauler.forms import AssignDriverForm, MoveStopForm, ReplanForm


def _owner_only(request) -> None:
    require(user=request.user, organisation=request.user.hauler_membership.hauler, action="dispatch")


def driver_name(membership) -> str:
    user = membership.user
    return (user.full_name if user and user.full_name else "") or membership.email


def routes_url(day) -> str:
    return f"{reverse('hauler_routes')}?{urlencode({'day': day.isoformat()})}"


def _move_choices(job, trucks: list[Truck]) -> list[dict]:
    """The trucks this job could go on: active ones that serve its container."""
    return [
        {"id": truck.pk, "name": truck.name, "selected": truck.pk == job.truck_id}
        for truck in trucks
        if truck.serves(job.container)
    ]


@hauler_required
@require_GET
def routes_day(request, hauler):
    """Every truck's route for a day with its distance, start and end, driver, map and moves."""
    _owner_only(request)
    tz = routes.zone_of(hauler)
    day, _ = routeview.chosen_day(request.GET, tz)
    plan = routes.day_plan(hauler=hauler, day=day)
    trucks = list(hauler.trucks.filter(active=True))
    summaries = routeview.summaries(plan, tz)
    drivers = {a.truck_id: a.driver_id for a in DriverAssignment.objects.filter(truck__hauler=hauler, day=day)}
    team = [
        {"id": member.pk, "name": driver_name(member)}
        for member in hauler.memberships.filter(user__isnull=False).select_related("user").order_by("email")
    ]
    for summary in summaries:
        summary["driver_id"] = drivers.get(summary["truck"].pk)
        for row in summary["rows"]:
            if row["kind"] == "pickup" and row["open"]:
                row["move_to"] = _move_choices(row["job"], trucks)
    routed = {summary["truck"].pk for summary in summaries}
    idle = [{"truck": truck, "driver_id": drivers.get(truck.pk)} for truck in trucks if truck.pk not in routed]
    unroutable = routeview.unroutable_rows(routes.unroutable_jobs(plan=plan, hauler=hauler, day=day), tz)
    for item in unroutable:
        item["move_to"] = _move_choices(item["job"], trucks)
    context = {
        "hauler": hauler,
        "day": day,
        "today": scheduling.local_today(str(tz)),
        "previous_url": routes_url(day - dt.timedelta(days=1)),
        "next_url": routes_url(day + dt.timedelta(days=1)),
        "plan": plan,
        "summaries": summaries,
        "idle": idle,
        "team": team,
        "unroutable": unroutable,
        "map": routeview.map_data(summaries),
        "tile_url": routeview.tile_url(),
        "tile_attribution": routeview.tile_attribution(),
        "total_distance": routeview.miles(sum(summary["route"].distance_m for summary in summaries)),
        "tz": str(tz),
    }
    return render(request, "haulers/routes.html", context)


def _day_posted(request, form) -> str:
    """Where to go back to: the day posted, else today's routes."""
    day = form.cleaned_data.get("day") if form.is_valid() else None
    return routes_url(day) if day else reverse("hauler_routes")


@hauler_required
@require_POST
def move(request, hauler):
    """Put a job on a truck (or let the router choose); the day is re-planned."""
    _owner_only(request)
    form = MoveStopForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a job and a truck to move it to.")
        return redirect(_day_posted(request, form))
    data = form.cleaned_data
    try:
        pickup = routes.move_stop(hauler=hauler, pickup_id=data["pickup"], truck_id=data["truck"], by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Conflict as error:
        messages.error(request, str(error))
    else:
        where = f"on {pickup.truck.name}" if pickup.truck else "where the router finds it best"
        messages.success(request, f"{pickup.location.street} goes {where}. The day is being re-planned.")
    return redirect(_day_posted(request, form))


@hauler_required
@require_POST
def replan(request, hauler):
    """Re-plan the day now (after a change the router has not seen, e.g. a truck back in service)."""
    _owner_only(request)
    form = ReplanForm(request.POST)
    if form.is_valid():
        routes.replan_later(hauler_id=hauler.pk, day=form.cleaned_data["day"])
        messages.success(request, "Re-planning the day. The routes below are the newest plan.")
    else:
        messages.error(request, "Choose a day to re-plan.")
    return redirect(_day_posted(request, form))


@hauler_required
@require_POST
def assign(request, hauler):
    """Put one of the team behind the wheel of a truck for the day (or nobody)."""
    _owner_only(request)
    form = AssignDriverForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a truck and a driver.")
        return redirect(_day_posted(request, form))
    truck = hauler.trucks.filter(pk=form.cleaned_data["truck"]).first()
    if truck is None:
        raise Http404("No such truck.")
    driver = None
    if form.cleaned_data["driver"]:
        driver = hauler.memberships.filter(pk=form.cleaned_data["driver"]).select_related("user").first()
        if driver is None:
            messages.error(request, "Choose one of your team.")
            return redirect(_day_posted(request, form))
    try:
        fleet.assign_driver(truck=truck, day=form.cleaned_data["day"], driver=driver, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        day = form.cleaned_data["day"]
        who = f"{driver_name(driver)} drives it" if driver else "no driver assigned"
        messages.success(request, f"{truck.name} on {day:%A, %B} {day.day}: {who}.")
    return redirect(_day_posted(request, form))


@hauler_required
@require_GET
def route_sheet(request, hauler, truck_id: int):
    """One truck's route for a day on paper: stops, windows, arrivals, contacts, access notes, tips, signature."""
    truck = hauler.trucks.filter(pk=truck_id).first()
    if truck is None:
        raise Http404("No such truck.")
    tz = routes.zone_of(hauler)
    day, _ = routeview.chosen_day(request.GET, tz)
    plan = routes.day_plan(hauler=hauler, day=day)
    route = next((route for route in plan.routes.all() if route.truck_id == truck.pk), None) if plan else None
    assignment = DriverAssignment.objects.filter(truck=truck, day=day).select_related("driver__user").first()
    context = {
        "hauler": hauler,
        "truck": truck,
        "day": day,
        "summary": routeview.route_summary(route, tz, routeview.COLOURS[0]) if route else None,
        "driver": assignment.driver if assignment else None,
        "tz": str(tz),
    }
    return render(request, "haulers/route_sheet.html", context)
