"""A hauler's day on the road: each truck's order of stops, planned arrivals, tipping trips and the stops
no truck can take, planned by the router (routing/) from the day's jobs and the fleet.

A day is re-planned after commit whenever it changes (an accept, a cancellation, a sensor-booked
pickup, a skip, a moved date, a stop moved between trucks): `replan_later` queues the task, which
solves outside any transaction for as long as the day's size needs (at most ROUTE_SOLVE_SECONDS) and saves
the result only if the day is still what it solved (a digest of its inputs); a change made meanwhile has
queued its own re-plan.
Routes are planned in the hauler's depot timezone; every window is converted from its location's.
"""

import datetime as dt
import hashlib
from collections import Counter
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import geo
from core.catalog import is_roll_off
from core.enqueue import enqueue
from core.errors import Conflict, NotFound
from core.permissions import require
from haulers.models import Hauler, Truck
from marketplace import scheduling
from marketplace.capacity import capacity_units, load_units
from marketplace.models import DayPlan, Pickup, Route, RouteStop
from routing.distance import backend_for
from routing.problem import DisposalSite, Place, Problem, Stop, Window
from routing.problem import Truck as RoutingTruck
from routing.solver import production_time_limit_s, solve

# Minutes on site per container: a cart is wheeled out and back, a dumpster lifted, a roll-off box swapped.
SERVICE_MINUTES = {"cart": 2, "dumpster": 4, "roll_off": 15}
TIP_MINUTES = 15
ROUTED = (Pickup.Status.SCHEDULED, Pickup.Status.COMPLETED)


def replan_later(*, hauler_id: int | None, day: dt.date) -> None:
    """Queue a re-plan of the hauler's day once the current transaction commits."""
    if hauler_id is not None:
        enqueue("marketplace.plan_day", hauler_id, day.isoformat())


def zone_of(hauler: Hauler) -> ZoneInfo:
    info = geo.lookup(hauler.depot_zip)
    return ZoneInfo(info.timezone if info else settings.TIME_ZONE)


def _seconds(moment: dt.datetime, day: dt.date, tz: ZoneInfo) -> int:
    """Wall-clock seconds after midnight in the route's zone (a location's window converted to the depot's clock);
    the solver's clock is the depot's wall clock, as shifts and site hours are, so a DST day stays consistent."""
    local = moment.astimezone(tz).replace(tzinfo=None)
    return int((local - dt.datetime.combine(day, dt.time(0))).total_seconds())


def _moment(seconds: int, day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The aware moment of a wall-clock time on the route's day (the inverse of _seconds)."""
    return (dt.datetime.combine(day, dt.time(0)) + dt.timedelta(seconds=seconds)).replace(tzinfo=tz)


def service_seconds(container: str, quantity: int) -> int:
    kind = "roll_off" if is_roll_off(container) else "cart" if container.startswith("cart") else "dumpster"
    return SERVICE_MINUTES[kind] * 60 * quantity


def _inputs(hauler: Hauler, day: dt.date):
    """The day's jobs and trucks, as the rows the plan is made from."""
    jobs = list(
        Pickup.objects.filter(hauler=hauler, service_date=day, status__in=ROUTED)
        .select_related("location")
        .order_by("pk")
    )
    trucks = list(hauler.trucks.filter(active=True).prefetch_related("disposal_sites").order_by("name", "pk"))
    return jobs, trucks


def _problem(
    hauler: Hauler, day: dt.date, jobs: list[Pickup], trucks: list[Truck], *, now: dt.datetime | None = None
) -> Problem:
    """The day as the router sees it. With `now` (a re-plan of today) nothing is planned before it, and the stops
    each truck has done count against its shift's; without it, the day as booked (what the digest covers)."""
    tz = zone_of(hauler)
    weekday = day.weekday()
    done = Counter()
    earliest = 0
    if now is not None:
        done = Counter(
            RouteStop.objects.filter(
                route__plan__hauler=hauler, route__plan__day=day, pickup__status=Pickup.Status.COMPLETED
            ).values_list("route__truck_id", flat=True)
        )
        earliest = max(0, _seconds(now, day, tz)) if now.astimezone(tz).date() == day else 0
    routing_trucks = []
    for truck in trucks:
        sites = tuple(
            DisposalSite(
                id=site.pk,
                place=Place(float(site.latitude), float(site.longitude)),
                opens_s=_clock(site.opens_at) if site.open_on(weekday) else 0,
                closes_s=_clock(site.closes_at) if site.open_on(weekday) else 0,
                service_s=TIP_MINUTES * 60,
            )
            for site in truck.disposal_sites.all()
        )
        works = hauler.works_on(weekday)
        routing_trucks.append(
            RoutingTruck(
                id=truck.pk,
                depot=Place(float(truck.depot_latitude), float(truck.depot_longitude)),
                shift_start_s=max(_clock(truck.shift_start), earliest) if works else 0,
                shift_end_s=_clock(truck.shift_end) if works else 0,
                capacity=capacity_units(truck.kind == Truck.Kind.ROLL_OFF, truck.capacity_per_trip),
                max_stops=max(0, truck.stops_per_shift - done[truck.pk]),
                disposal_sites=sites,
            )
        )
    stops = []
    for job in jobs:
        if job.status == Pickup.Status.COMPLETED:
            continue  # done: stays where it was on the route the driver followed
        start, end = job.window()
        allowed = frozenset(t.pk for t in trucks if t.serves(job.container))
        if job.truck_id in allowed:  # the dispatcher's pin holds while that truck still runs and serves it
            allowed = frozenset({job.truck_id})
        stops.append(
            Stop(
                id=job.pk,
                place=Place(float(job.location.latitude), float(job.location.longitude)),
                load=load_units(job.container, job.quantity),
                service_s=service_seconds(job.container, job.quantity),
                window=Window(_seconds(start, day, tz), _seconds(end, day, tz)),
                trucks=allowed,
                zip_code=job.location.zip_code,
            )
        )
    return Problem(trucks=tuple(routing_trucks), stops=tuple(stops))


def _clock(moment: dt.time) -> int:
    return moment.hour * 3600 + moment.minute * 60


def _digest(problem: Problem, jobs: list[Pickup]) -> str:
    done = sorted(job.pk for job in jobs if job.status == Pickup.Status.COMPLETED)
    return hashlib.sha256(repr((problem, done)).encode()).hexdigest()


def plan_day(*, hauler_id: int, day: dt.date, time_limit_s: float | None = None) -> DayPlan:
    """Plan (or re-plan) a hauler's day: each truck's stops in order, arrivals, tipping trips; idempotent."""
    hauler = Hauler.objects.get(pk=hauler_id)
    jobs, trucks = _inputs(hauler, day)
    problem = _problem(hauler, day, jobs, trucks)
    digest = _digest(problem, jobs)
    plan = DayPlan.objects.filter(hauler=hauler, day=day).first()
    if plan is not None and plan.inputs == digest:
        return plan  # nothing changed since the last plan
    backend = backend_for(
        settings.ROUTING_URL, circuity=settings.ROUTING_CIRCUITY, speed_kmh=settings.ROUTING_SPEED_KMH
    )
    # What is solved knows the clock (today: nothing before now); the digest does not, so it stays comparable.
    today = _problem(hauler, day, jobs, trucks, now=timezone.now())
    # The search a day of this size needs (0.3 s for a handful of stops, 1.9 s at 100), capped by the setting: a
    # flat 2 s for every re-plan kept the worker solving five-stop days while dispatches and notices waited.
    budget = min(settings.ROUTE_SOLVE_SECONDS, production_time_limit_s(len(jobs)))
    solution = solve(today, backend=backend, time_limit_s=time_limit_s or budget)
    with transaction.atomic():
        plan, _ = DayPlan.objects.get_or_create(hauler=hauler, day=day)
        plan = DayPlan.objects.select_for_update().get(pk=plan.pk)
        jobs_now, trucks_now = _inputs(hauler, day)
        if _digest(_problem(hauler, day, jobs_now, trucks_now), jobs_now) != digest:
            return plan  # the day changed while solving; that change queued its own re-plan
        _save(plan, solution, day=day, tz=zone_of(hauler))
        plan.inputs, plan.solver, plan.planned_at = digest, solution.solver, timezone.now()
        plan.distance_m = solution.distance_m
        plan.unroutable = {str(item.stop_id): item.reason for item in solution.unroutable}
        plan.save()
    return plan


def _save(plan: DayPlan, solution, *, day: dt.date, tz: ZoneInfo) -> None:
    # A completed stop keeps its place and times on the route the driver followed; the rest follow it.
    done = list(
        RouteStop.objects.filter(route__plan=plan, pickup__status=Pickup.Status.COMPLETED)
        .select_related("route")
        .order_by("arrives_at")
    )
    kept = {}
    for stop in done:
        kept.setdefault(stop.route.truck_id, []).append(stop)
    planned = {route.truck_id: route for route in solution.routes}
    plan.routes.all().delete()
    for truck_id in sorted(set(planned) | set(kept)):
        route_plan, before = planned.get(truck_id), kept.get(truck_id, [])
        route = Route.objects.create(
            plan=plan,
            truck_id=truck_id,
            starts_at=before[0].route.starts_at if before else _moment(route_plan.start_s, day, tz),
            ends_at=_moment(route_plan.end_s, day, tz) if route_plan else before[-1].route.ends_at,
            distance_m=route_plan.distance_m if route_plan else 0,  # what is still to drive
        )
        rows = [
            RouteStop(
                route=route,
                sequence=i,
                kind=RouteStop.Kind.PICKUP,
                pickup_id=stop.pickup_id,
                arrives_at=stop.arrives_at,
                departs_at=stop.departs_at,
                load_after=stop.load_after,
            )
            for i, stop in enumerate(before)
        ]
        for visit in route_plan.visits if route_plan else ():
            is_tip = visit.kind == "tip"
            rows.append(
                RouteStop(
                    route=route,
                    sequence=len(rows),
                    kind=RouteStop.Kind.TIP if is_tip else RouteStop.Kind.PICKUP,
                    pickup_id=None if is_tip else visit.id,
                    disposal_site_id=visit.id if is_tip else None,
                    arrives_at=_moment(visit.arrival_s, day, tz),
                    departs_at=_moment(visit.departure_s, day, tz),
                    load_after=visit.load_after,
                )
            )
        RouteStop.objects.bulk_create(rows)


def move_stop(*, hauler: Hauler, pickup_id: int, truck_id: int | None, by=None) -> Pickup:
    """The dispatcher puts a job on one truck (None: let the router choose); the day is re-planned."""
    require(user=by, organisation=hauler, action="dispatch")
    with transaction.atomic():
        pickup = Pickup.objects.select_for_update().filter(pk=pickup_id, hauler=hauler).first()
        if pickup is None:
            raise NotFound("No such job among yours.")
        if pickup.status != Pickup.Status.SCHEDULED:
            raise Conflict(f"This job is {pickup.get_status_display().lower()}; only a scheduled job can move.")
        truck = None
        if truck_id is not None:
            truck = Truck.objects.filter(pk=truck_id, hauler=hauler, active=True).first()
            if truck is None:
                raise ValidationError({"truck": "Choose one of your active trucks."})
            if not truck.serves(pickup.container):
                raise ValidationError({"truck": f"{truck.name} cannot serve a {pickup.get_container_display()}."})
        pickup.truck = truck
        pickup.save(update_fields=["truck", "updated_at"])
        replan_later(hauler_id=hauler.pk, day=pickup.service_date)
    return pickup


# --- Reading a day ------------------------------------------------------------------------------


def day_plan(*, hauler: Hauler, day: dt.date) -> DayPlan | None:
    """The hauler's planned day with its routes, stops, pickups and sites loaded (a constant number of queries)."""
    return (
        DayPlan.objects.filter(hauler=hauler, day=day)
        .prefetch_related(
            "routes__truck",
            "routes__stops__pickup__location",
            "routes__stops__pickup__customer",
            "routes__stops__disposal_site",
        )
        .first()
    )


def unroutable_jobs(*, plan: DayPlan | None, hauler: Hauler, day: dt.date) -> list[tuple[Pickup, str]]:
    """The day's scheduled jobs on no route, each with the reason (not yet planned, or why it cannot be)."""
    routed = set()
    if plan is not None:
        routed = {stop.pickup_id for route in plan.routes.all() for stop in route.stops.all() if stop.pickup_id}
    reasons = plan.unroutable if plan is not None else {}
    jobs = (
        Pickup.objects.filter(hauler=hauler, service_date=day, status=Pickup.Status.SCHEDULED)
        .exclude(pk__in=routed)
        .select_related("location")
        .order_by("window_start", "pk")
    )
    return [(job, reasons.get(str(job.pk), "Not planned yet: the route is being worked out.")) for job in jobs]


def _current_stop(pickup: Pickup) -> RouteStop | None:
    """The pickup's stop on its hauler's plan of its day (not one left on another hauler's or day's plan)."""
    return (
        RouteStop.objects.filter(
            pickup=pickup, route__plan__hauler_id=pickup.hauler_id, route__plan__day=pickup.service_date
        )
        .select_related("route")
        .first()
    )


def planned_arrival(pickup: Pickup) -> tuple[dt.datetime, dt.datetime] | None:
    """About when the truck arrives: the planned arrival, give or take 15 minutes, once the route exists."""
    stop = _current_stop(pickup)
    if stop is None:
        return None
    margin = dt.timedelta(minutes=15)
    return stop.arrives_at - margin, stop.arrives_at + margin


def on_the_way(pickup: Pickup) -> bool:
    """The truck's previous pickup on the route is done (or this is its first stop and it has left)."""
    stop = _current_stop(pickup)
    if stop is None or pickup.status != Pickup.Status.SCHEDULED:
        return False
    before = (
        RouteStop.objects.filter(route=stop.route, sequence__lt=stop.sequence, kind=RouteStop.Kind.PICKUP)
        .select_related("pickup")
        .order_by("-sequence")
        .first()
    )
    if before is None:
        return timezone.now() >= stop.route.starts_at
    behind = (Pickup.Status.COMPLETED, Pickup.Status.SKIPPED, Pickup.Status.CANCELLED, Pickup.Status.MISSED)
    return before.pickup.status in behind


def fleet_changed(*, hauler_id: int) -> int:
    """The hauler's trucks or sites changed: every day from today with scheduled jobs is re-planned after commit."""
    hauler = Hauler.objects.get(pk=hauler_id)
    today = scheduling.local_today(zone_of(hauler).key)
    days = list(
        Pickup.objects.filter(hauler=hauler, service_date__gte=today, status=Pickup.Status.SCHEDULED)
        .order_by("service_date")
        .values_list("service_date", flat=True)
        .distinct()
    )
    for day in days:
        replan_later(hauler_id=hauler_id, day=day)
    return len(days)


def day_changed(pickup: Pickup) -> None:
    """The pickup joins or leaves its hauler's day: that day is re-planned after commit."""
    replan_later(hauler_id=pickup.hauler_id, day=pickup.service_date)
