"""Which haulers can serve a request, best first. Pure reads: nothing here writes.

The candidates come from one query that starts at the ZIP index (haulers_servicezip is
unique on (zip_code, hauler)), so its cost follows the haulers serving that ZIP, not the
haulers in the country; a second query counts those candidates' load that day. (Counting
load inside the first query let the planner run the count for every hauler in the market
with a rate for the stream: measured by `make bench`.) Eligibility on the service date:

- the hauler is active and verified;
- a licence and an insurance certificate, checked by staff, are valid on that date (valid_from <= date <= expires_on);
- the location's ZIP is in its service area and it has a rate for the stream and container;
- its trucks run on that day of the week;
- it has capacity left that day: scheduled or completed pickups plus pending offers < capacity_per_day;
- it has not declined, let expire or given back an offer of this pickup.

Ranking: payout (rate + extra containers) lowest first, then reliability highest first, then
depot-to-location distance (haversine between centroids) shortest first, then hauler id.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from core.geo import miles_between
from haulers.models import Credential, Hauler, Rate, weekday_bit
from marketplace.models import Offer, Pickup

# Pickups that hold a slot of the hauler's day.
SLOT_HOLDING = (Pickup.Status.SCHEDULED, Pickup.Status.COMPLETED)
# An offer in one of these ends the hauler's part in that pickup.
ANSWERED_NO = (Offer.Status.DECLINED, Offer.Status.EXPIRED, Offer.Status.RELEASED)


@dataclass(frozen=True)
class Candidate:
    hauler_id: int
    payout_cents: int
    reliability: Decimal
    distance_miles: float

    def sort_key(self):
        return (self.payout_cents, -self.reliability, round(self.distance_miles, 3), self.hauler_id)


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

    @classmethod
    def for_pickup(cls, pickup: Pickup) -> "Request":
        return cls.at(
            pickup.location,
            waste_stream=pickup.waste_stream,
            container=pickup.container,
            quantity=pickup.quantity,
            service_date=pickup.service_date,
        )

    @classmethod
    def at(cls, location, *, waste_stream: str, container: str, quantity: int, service_date: dt.date) -> "Request":
        return cls(
            zip_code=location.zip_code,
            latitude=float(location.latitude),
            longitude=float(location.longitude),
            waste_stream=waste_stream,
            container=container,
            quantity=quantity,
            service_date=service_date,
        )


def _valid_credential(kind: str, on: dt.date):
    return Exists(
        Credential.objects.filter(
            hauler=OuterRef("hauler_id"), kind=kind, valid_from__lte=on, expires_on__gte=on, verified_at__isnull=False
        )
    )


def _count(queryset):
    """A correlated COUNT(*) subquery that yields 0 instead of NULL."""
    counted = queryset.order_by().values("hauler_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def candidate_rates(request: Request, *, pickup: Pickup | None = None, hauler_id: int | None = None):
    """The candidate query: (hauler, rate) rows for the request that pass every rule but capacity.

    With `pickup`, haulers already offered it (pending or answered no) are left out. With
    `hauler_id`, only that hauler is checked, and a pending offer of this pickup does not
    disqualify it (it is answering that offer).
    """
    day = request.service_date
    rates = (
        Rate.objects.filter(
            waste_stream=request.waste_stream,
            container=request.container,
            hauler__service_zips__zip_code=request.zip_code,
            hauler__status=Hauler.Status.ACTIVE,
            hauler__verified_at__isnull=False,
        )
        .filter(_valid_credential(Credential.Kind.LICENCE, day), _valid_credential(Credential.Kind.INSURANCE, day))
        .annotate(works=F("hauler__working_days").bitand(weekday_bit(day.weekday())))
        .filter(works__gt=0)
    )
    if hauler_id is not None:
        rates = rates.filter(hauler_id=hauler_id)
    if pickup is not None:
        excluded = (
            Q(status__in=ANSWERED_NO) if hauler_id else Q(status__in=ANSWERED_NO) | Q(status=Offer.Status.PENDING)
        )
        rates = rates.exclude(Exists(Offer.objects.filter(excluded, pickup=pickup, hauler_id=OuterRef("hauler_id"))))
    return rates.order_by().values_list(
        "hauler_id",
        "price_cents",
        "extra_container_cents",
        "hauler__reliability_score",
        "hauler__depot_latitude",
        "hauler__depot_longitude",
        "hauler__capacity_per_day",
    )


def day_loads(hauler_ids: list[int], day: dt.date, *, pickup: Pickup | None = None) -> dict[int, int]:
    """The capacity query: each hauler's scheduled or completed pickups plus pending offers on `day`.

    Counted for the candidates only (one query), so its cost follows the ZIP's candidates too.
    The pickup being matched does not count against its own offers.
    """
    if not hauler_ids:
        return {}
    booked = _count(Pickup.objects.filter(hauler_id=OuterRef("pk"), service_date=day, status__in=SLOT_HOLDING))
    offered = _count(
        Offer.objects.filter(hauler_id=OuterRef("pk"), status=Offer.Status.PENDING, pickup__service_date=day).exclude(
            pickup_id=pickup.pk if pickup else None
        )
    )
    loads = Hauler.objects.filter(pk__in=hauler_ids).annotate(load=booked + offered).values_list("pk", "load")
    return dict(loads)


def payout_for(price_cents: int, extra_container_cents: int, quantity: int) -> int:
    """A hauler's price for `quantity` containers at one visit."""
    return price_cents + extra_container_cents * (quantity - 1)


def ranked_haulers(request: Request, *, pickup: Pickup | None = None) -> list[Candidate]:
    """Eligible haulers for the request, best first (see the module docstring)."""
    rows = list(candidate_rates(request, pickup=pickup))
    loads = day_loads([row[0] for row in rows], request.service_date, pickup=pickup)
    candidates = [
        Candidate(
            hauler_id=hauler_id,
            payout_cents=payout_for(price, extra, request.quantity),
            reliability=reliability,
            distance_miles=miles_between(float(lat), float(lng), request.latitude, request.longitude),
        )
        for hauler_id, price, extra, reliability, lat, lng, capacity in rows
        if loads.get(hauler_id, 0) < capacity
    ]
    return sorted(candidates, key=Candidate.sort_key)


def is_eligible(request: Request, *, hauler_id: int, pickup: Pickup | None = None) -> bool:
    """Whether this hauler may still take this request (re-checked at every step of the cascade)."""
    row = candidate_rates(request, pickup=pickup, hauler_id=hauler_id).first()
    return row is not None and day_loads([hauler_id], request.service_date, pickup=pickup).get(hauler_id, 0) < row[-1]
