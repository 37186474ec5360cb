"""A hauler with a season behind it, for the reliability page's tests: jobs on time and late, a miss, a claim a case
overturned, a give-back inside a day of its window, declined and lapsed offers, and ratings."""

import datetime as dt

from django.utils import timezone

from core.transitions import transition
from marketplace import scheduling
from marketplace.models import Case, Offer, Pickup, Rating, ServiceProof
from tests import factories


def _visit(location, hauler, *, days_ago: int, status: str, **fields) -> Pickup:
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    return factories.PickupFactory(
        location=location, hauler=hauler, status=status, service_date=day, window_start=dt.time(7),
        window_end=dt.time(11), **fields,
    )  # fmt: skip


def _done(pickup: Pickup, local: dt.time) -> None:
    at = scheduling.at_local(pickup.service_date, local, pickup.location.timezone)
    ServiceProof.objects.create(pickup=pickup, photo="proof/p.jpg", serviced_at=at)
    Pickup.objects.filter(pk=pickup.pk).update(completed_at=at)


def _offer(pickup: Pickup, hauler, status: str) -> Offer:
    return Offer.objects.create(
        pickup=pickup, hauler=hauler, status=status, payout_cents=2_400, answer_by=timezone.now()
    )


def season(location, hauler) -> None:
    """17 visits came due: 14 on time, 1 late, 1 missed, 1 false could-not-service claim; 22 jobs accepted, 2 of them
    given back (1 late); 6 offers declined and 2 let expire; 10 ratings averaging 4.3 stars."""
    for n in range(14):
        visit = _visit(location, hauler, days_ago=2 + n, status="completed")
        _done(visit, dt.time(8, 30))
        _offer(visit, hauler, "accepted")
        if n < 10:
            Rating.objects.create(
                pickup=visit, customer=location.customer, hauler=hauler, stars=5 if n < 5 else 4 if n < 8 else 3
            )
    late = _visit(location, hauler, days_ago=20, status="completed")
    _done(late, dt.time(12, 40))
    _offer(late, hauler, "accepted")
    missed = _visit(location, hauler, days_ago=21, status="missed")
    _offer(missed, hauler, "accepted")
    claimed = _visit(location, hauler, days_ago=22, status="missed", exception_reason="blocked")
    _offer(claimed, hauler, "accepted")
    Case.objects.create(
        customer=location.customer, pickup=claimed, hauler=hauler, problem="missed", claim_overturned=True,
        respond_by=timezone.now(),
    )  # fmt: skip
    for days_ahead in (0, 6):  # one given back on the day, one with days to spare
        pickup = _visit(location, None, days_ago=-days_ahead, status="requested")
        transition(_offer(pickup, hauler, "accepted"), Offer.Status.RELEASED, reason="Truck in the shop")
    for n in range(3):
        _offer(_visit(location, hauler, days_ago=-(3 + n), status="scheduled"), hauler, "accepted")
    for status in ["declined"] * 6 + ["expired"] * 2:
        _offer(_visit(location, None, days_ago=-4, status="requested"), hauler, status)
