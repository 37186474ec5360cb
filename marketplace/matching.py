"""Which haulers can serve a request, best first. Pure reads: nothing here writes.

The candidates come from one query that starts at the ZIP index (haulers_servicezip is
unique on (zip_code, hauler)), so its cost follows the haulers serving that ZIP, not the
haulers in the country; a second query counts those candidates' load that day. (Counting
load inside the first query let the planner run the count for every hauler in the market
with a rate for the stream: measured by `make bench`.) Each query is built with the ORM and
compiled once per shape (core.compiled): building them on every call cost more than PostgreSQL
takes to answer them. Eligibility on the service date:

- the hauler is active and verified;
- a licence and an insurance certificate, checked by staff, are valid on that date (valid_from <= date <= expires_on);
- the location's ZIP is in its service area and it has a rate for the stream and container;
- its trucks run on that day of the week;
- a truck of its that serves the container works a shift overlapping the arrival window, and its fleet
  has room that day for this job beside the ones it holds (scheduled or done, plus pending offers):
  capacity by kind of work (marketplace/capacity.py), not one counter;
- it has not declined, let expire or given back an offer of this pickup;
- its offers are not paused (a lockout: Hauler.offers_paused_until, marketplace/lockouts.py). An accept of an
  offer it already holds is not refused for that (is_eligible does not ask).

Ranking, best first, by the weighted price

    payout x (1 + MATCH_RELIABILITY_WEIGHT x (1 - reliability score))

(payout: rate + extra containers; the score from marketplace/reliability.py, 0 to 1), lowest first; then the
score, highest first; then the depot-to-location distance (km), shortest first; then hauler id. With the
weight at 0.5, each 0.1 of score is worth 5% of price: a 0.10 hauler at $60.00 weighs $87.00 and a 0.99 one at
$60.01 $60.31, so the reliable one wins the near-tie, while a 0.80 hauler at $50.00 ($55.00) still beats that
0.99 one at $60.01: a far cheaper, decent hauler wins. The weight ranks only; every hauler is offered and
paid its own payout, and a quote is priced from the best-ranked hauler's payout plus the fee (services.
create_quote), so the customer price is always what the chosen hauler earns plus the fee. Haulers scoring
under MATCH_MIN_RELIABILITY are left out while any eligible hauler is at or above it (dispatch also counts
one that holds a pending offer of the pickup); when none is, they are ranked like the rest. A weight and a
minimum of 0 give the old rule (price, then score). With MATCH_ROUTE_AWARE on, the third key
is instead the km the stop adds to the hauler's route that day at its cheapest window-compatible insertion
(straight line times ROUTING_CIRCUITY), where a truck with no route yet counts its opening trip
(depot -> stop -> depot) shared over the stops it does in a shift (stops_per_shift). That trip carries the
stops that follow; charged whole to the first one, any detour of a route already out was cheaper than a
truck from the same yard (by the triangle inequality, always), so the first haulers' routes collected
stops from all over the city. It is off: `make bench` measures both over a simulated market day of 400
requests matched as they arrive (BENCH market_km_ratio_route_aware), and sharing the opening trip brings
route-aware from about a third more km than depot distance to about as many (0.95 to 1.03 over the
seeds tried), not the fewer km that would make it the default.
"""

import datetime as dt
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Value
from django.utils import timezone

from core.compiled import CompiledQuery
from core.geo import miles_between
from haulers.models import Credential, Hauler, Rate, Truck, weekday_bit
from marketplace import scheduling
from marketplace.capacity import TruckSlots, capacity_units, fits, load_units
from marketplace.models import Offer, Pickup
from routing.distance import haversine_m
from routing.problem import Place

# Pickups that hold a slot of the hauler's day.
SLOT_HOLDING = (Pickup.Status.SCHEDULED, Pickup.Status.COMPLETED)
# An offer in one of these ends the hauler's part in that pickup.
ANSWERED_NO = (Offer.Status.DECLINED, Offer.Status.EXPIRED, Offer.Status.RELEASED)


@dataclass(frozen=True)
class Candidate:
    hauler_id: int
    payout_cents: int
    reliability: Decimal
    distance_km: float  # what the stop adds to the day's route (or the depot distance, route-awareness off)

    @property
    def weighted_cents(self) -> Decimal:
        """The price ranking compares: payout x (1 + MATCH_RELIABILITY_WEIGHT x (1 - score))."""
        weight = settings.MATCH_RELIABILITY_WEIGHT
        if not weight:  # the old rule, payout then score: no arithmetic to do
            return self.payout_cents
        return self.payout_cents * (1 + weight * (1 - self.reliability))

    def sort_key(self):
        return (self.weighted_cents, -self.reliability, round(self.distance_km, 3), self.hauler_id)


@dataclass(frozen=True)
class Request:
    """What is to be picked up, where and when."""

    zip_code: str
    latitude: float
    longitude: float
    waste_stream: str
    container: str
    quantity: int
    service_date: dt.date
    window: tuple[dt.time, dt.time] = settings.PICKUP_WINDOW

    @classmethod
    def for_pickup(cls, pickup: Pickup) -> "Request":
        return cls.at(
            pickup.location,
            waste_stream=pickup.waste_stream,
            container=pickup.container,
            quantity=pickup.quantity,
            service_date=pickup.service_date,
            window=(pickup.window_start, pickup.window_end),
        )

    @classmethod
    def at(cls, location, *, waste_stream: str, container: str, quantity: int, service_date: dt.date,
           window: tuple[dt.time, dt.time] | None = None) -> "Request":  # fmt: skip
        return cls(
            zip_code=location.zip_code,
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            waste_stream=waste_stream,
            container=container,
            quantity=quantity,
            service_date=service_date,
            window=window or scheduling.default_window(),
        )


def _valid_credential(kind: str, on: dt.date):
    return Exists(
        Credential.objects.filter(
            hauler=OuterRef("hauler_id"), kind=kind, valid_from__lte=on, expires_on__gte=on, verified_at__isnull=False
        )
    )


def _candidate_query(*, zip_code, waste_stream, container, day, weekday, pickup_id, hauler_id):
    rates = (
        Rate.objects.filter(
            waste_stream=waste_stream,
            container=container,
            hauler__service_zips__zip_code=zip_code,
            hauler__status=Hauler.Status.ACTIVE,
            hauler__verified_at__isnull=False,
        )
        .filter(_valid_credential(Credential.Kind.LICENCE, day), _valid_credential(Credential.Kind.INSURANCE, day))
        .annotate(works=F("hauler__working_days").bitand(weekday))
        .filter(works__gt=0)
    )
    if hauler_id is not None:
        rates = rates.filter(hauler_id=hauler_id)
    if pickup_id is not None:
        excluded = (
            Q(status__in=ANSWERED_NO)
            if hauler_id is not None
            else Q(status__in=ANSWERED_NO) | Q(status=Offer.Status.PENDING)
        )
        rates = rates.exclude(
            Exists(Offer.objects.filter(excluded, pickup_id=pickup_id, hauler_id=OuterRef("hauler_id")))
        )
    return rates.order_by().values_list(
        "hauler_id",
        "price_cents",
        "extra_container_cents",
        "hauler__reliability_score",
        "hauler__depot_latitude",
        "hauler__depot_longitude",
        # a column of the row already read, not a condition: the compiled statement binds no datetimes, and a
        # clock frozen into its SQL would be wrong by the next call
        "hauler__offers_paused_until",
    )


# Matching runs on every quote and every step of a cascade: building its querysets each time cost the ORM
# several times what PostgreSQL takes to answer them. Compiled once per shape, each is the same SQL run with
# the request's values (core.compiled).
_CANDIDATES = CompiledQuery(_candidate_query)


def _candidate_values(request: Request, pickup: Pickup | None, hauler_id: int | None) -> dict:
    day = request.service_date
    return {
        "zip_code": request.zip_code,
        "waste_stream": request.waste_stream,
        "container": request.container,
        "day": day,
        "weekday": weekday_bit(day.weekday()),
        "pickup_id": pickup.pk if pickup is not None else None,
        "hauler_id": hauler_id,
    }


def candidate_rates(request: Request, *, pickup: Pickup | None = None, hauler_id: int | None = None):
    """The candidate query: (hauler, rate) rows for the request that pass every rule but capacity.

    With `pickup`, haulers already offered it (pending or answered no) are left out. With
    `hauler_id`, only that hauler is checked, and a pending offer of this pickup does not
    disqualify it (it is answering that offer). The queryset, for EXPLAIN and the bench; matching
    itself runs its compiled SQL (candidate_rows).
    """
    return _CANDIDATES.queryset(**_candidate_values(request, pickup, hauler_id))


def candidate_rows(request: Request, *, pickup: Pickup | None = None, hauler_id: int | None = None) -> list[tuple]:
    """candidate_rates' rows: (hauler id, price, extra container price, reliability, depot latitude, longitude,
    offers paused until)."""
    return _CANDIDATES.rows(**_candidate_values(request, pickup, hauler_id))


def _fleet_query(*, hauler_ids):
    return Truck.objects.filter(hauler_id__in=hauler_ids, active=True).values_list(
        "hauler_id", "pk", "containers", "stops_per_shift", "shift_start", "shift_end", "depot_latitude",
        "depot_longitude", "kind", "capacity_per_trip",
    )  # fmt: skip


_FLEETS = CompiledQuery(_fleet_query)


def fleets(hauler_ids: list[int]) -> dict[int, list[TruckSlots]]:
    """The candidates' active trucks, as slots (one query)."""
    found = defaultdict(list)
    rows = _FLEETS.rows(hauler_ids=list(hauler_ids))
    for hauler_id, truck_id, containers, stops, start, end, lat, lng, kind, per_trip in rows:
        capacity = capacity_units(kind == Truck.Kind.ROLL_OFF, per_trip)
        found[hauler_id].append(
            TruckSlots(truck_id, frozenset(containers), stops, start, end, float(lat), float(lng), capacity)
        )
    return found


@dataclass(frozen=True)
class Job:
    container: str
    latitude: float
    longitude: float
    window_start: dt.time
    window_end: dt.time
    truck_id: int | None  # the truck whose planned route holds it, if any
    sequence: int | None


def _day_query(*, hauler_ids, day, pickup_id, offers):
    held = (
        Pickup.objects.filter(hauler_id__in=hauler_ids, service_date=day, status__in=SLOT_HOLDING)
        .order_by()
        .values_list(
            "hauler_id", "container", "location__latitude", "location__longitude", "window_start", "window_end",
            "route_stops__route__truck_id", "route_stops__sequence",
        )
    )  # fmt: skip
    if not offers:
        return held
    offered = (
        # The date on both sides: the offer's own copy lets its half start from an index of pending offers
        # (offer_pending_day: hauler, date) and the pickup's bounds the pickups joined to that day's, so no
        # input grows with other days. Through the pickup's date alone, a bulk load nobody had ANALYZEd was
        # planned as a nested loop scanning every pickup of the date again for each pending offer; offered
        # the date, the offer side is joined by key or hashed (pinned in tests/services/test_matching_plans.py).
        Offer.objects.filter(
            hauler_id__in=hauler_ids, status=Offer.Status.PENDING, service_date=day, pickup__service_date=day
        )
        .exclude(pickup_id=pickup_id)
        .order_by()
        .values_list(
            "hauler_id", "pickup__container", "pickup__location__latitude", "pickup__location__longitude",
            "pickup__window_start", "pickup__window_end", Value(None, output_field=IntegerField()),
            Value(None, output_field=IntegerField()),
        )
    )  # fmt: skip
    return held.union(offered, all=True)


_DAYS = CompiledQuery(_day_query)


def day_jobs(
    hauler_ids: list[int], day: dt.date, *, pickup: Pickup | None = None, offers: bool = True
) -> dict[int, list[Job]]:
    """Each candidate's jobs on `day`: scheduled or completed pickups plus pending offers (one query).

    With their place on the day's planned route, so the route-aware rank needs no other query.
    The pickup being matched does not count against its own offers; with offers=False only firm
    bookings count (an accept: the hauler may take any offer it holds while a truck has room).
    """
    if not hauler_ids:
        return {}
    pickup_id = pickup.pk if pickup is not None and offers else None  # only offers are of a pickup
    rows = _DAYS.rows(hauler_ids=list(hauler_ids), day=day, pickup_id=pickup_id, offers=offers)
    found = defaultdict(list)
    for hauler_id, container, lat, lng, start, end, truck_id, sequence in rows:
        found[hauler_id].append(Job(container, float(lat), float(lng), start, end, truck_id, sequence))
    return found


def has_room(request: Request, trucks: list[TruckSlots], jobs: list[Job]) -> bool:
    """Whether the hauler's fleet takes this request beside its jobs of the day (see marketplace/capacity.py)."""
    held = Counter((job.container, job.window_start, job.window_end) for job in jobs)
    load = load_units(request.container, request.quantity)
    return fits(trucks, held, container=request.container, window=request.window, load=load)


def added_km(request: Request, trucks: list[TruckSlots], jobs: list[Job]) -> float:
    """The km the stop adds at its cheapest insertion into a route of a truck that can take it.

    Only between stops whose windows allow it there (the one before opens before this one closes, the
    one after closes after this one opens): a cheap slot next to an afternoon stop is no slot for a
    morning pickup. A truck with no route yet opens one, depot -> stop -> depot, and that trip is shared
    by the stops the truck does in a shift (see the module docstring). Straight lines times
    ROUTING_CIRCUITY: matching never waits on a road network.
    """
    here = Place(request.latitude, request.longitude)
    new = (here, *request.window)
    routes = defaultdict(list)
    for job in sorted((j for j in jobs if j.truck_id is not None), key=lambda j: j.sequence):
        routes[job.truck_id].append((Place(job.latitude, job.longitude), job.window_start, job.window_end))
    best = None
    load = load_units(request.container, request.quantity)
    for truck in trucks:
        if not truck.can_take(request.container, request.window, load):
            continue
        depot = Place(truck.depot_latitude, truck.depot_longitude)
        stops = routes.get(truck.truck_id)
        if not stops:
            metres = 2 * _leg(depot, here) / max(1, truck.stops)
            best = metres if best is None else min(best, metres)
            continue
        ends = (depot, dt.time.min, dt.time.max)
        for before, after in itertools.pairwise([ends, *stops, ends]):
            if before[1] <= new[2] and new[1] <= after[2]:
                metres = _leg(before[0], here) + _leg(here, after[0]) - _leg(before[0], after[0])
                best = metres if best is None else min(best, metres)
    return (best or 0) / 1000


def _leg(a: Place, b: Place) -> float:
    return haversine_m(a, b) * settings.ROUTING_CIRCUITY


def payout_for(price_cents: int, extra_container_cents: int, quantity: int) -> int:
    """A hauler's price for `quantity` containers at one visit."""
    return price_cents + extra_container_cents * (quantity - 1)


def ranked_haulers(request: Request, *, pickup: Pickup | None = None, floor_met: bool = False) -> list[Candidate]:
    """Eligible haulers for the request, best first (see the module docstring).

    floor_met: a hauler at or above MATCH_MIN_RELIABILITY is eligible beyond these rows (it holds a pending
    offer of the pickup), so none under it is returned.
    """
    now = timezone.now()
    rows = [row for row in candidate_rows(request, pickup=pickup) if row[6] is None or row[6] <= now]
    ids = [row[0] for row in rows]
    trucks, jobs = fleets(ids), day_jobs(ids, request.service_date, pickup=pickup)
    candidates = []
    for hauler_id, price, extra, reliability, lat, lng, _ in rows:
        fleet, held = trucks.get(hauler_id, []), jobs.get(hauler_id, [])
        if not has_room(request, fleet, held):
            continue
        if settings.MATCH_ROUTE_AWARE:
            distance_km = added_km(request, fleet, held)
        else:
            distance_km = miles_between(float(lat), float(lng), request.latitude, request.longitude) * 1.609344
        candidates.append(Candidate(hauler_id, payout_for(price, extra, request.quantity), reliability, distance_km))
    floor = settings.MATCH_MIN_RELIABILITY
    if floor and (floor_met or any(c.reliability >= floor for c in candidates)):
        candidates = [c for c in candidates if c.reliability >= floor]
    return sorted(candidates, key=Candidate.sort_key)


def is_eligible(request: Request, *, hauler_id: int, pickup: Pickup | None = None, offers: bool = True) -> bool:
    """Whether this hauler may still take this request (re-checked at every step of the cascade).

    offers=False counts firm bookings only, as an accept does (see day_jobs).
    """
    if not candidate_rows(request, pickup=pickup, hauler_id=hauler_id):  # one row at most: its rate
        return False
    trucks = fleets([hauler_id])
    jobs = day_jobs([hauler_id], request.service_date, pickup=pickup, offers=offers)
    return has_room(request, trucks.get(hauler_id, []), jobs.get(hauler_id, []))
