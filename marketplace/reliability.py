"""A hauler's reliability score, 0 to 1, over the last 90 days.

    acceptance   = accepted / (accepted + declined + expired)          offers it answered, or let lapse
    on_time      = completed / (completed + missed)                    scheduled pickups that came due
                                                                       (a miss with the customer's exception
                                                                       reason, e.g. blocked, is not counted)
    follow_through = 1 - released / (accepted + released)              jobs it gave back after accepting

    score = 0.30 * acceptance + 0.50 * on_time + 0.20 * follow_through

Each rate is smoothed toward PRIOR with PRIOR_WEIGHT imaginary events, so a new hauler starts
at PRIOR and one bad day does not sink a hauler with little history. Doing the job matters
most; answering offers next. The score breaks ties between equal prices in matching.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils import timezone

from haulers.models import Hauler
from marketplace.models import Offer, Pickup

WINDOW = dt.timedelta(days=90)
PRIOR = Decimal("0.9")
PRIOR_WEIGHT = 5
WEIGHTS = {"acceptance": Decimal("0.30"), "on_time": Decimal("0.50"), "follow_through": Decimal("0.20")}


def _smoothed(good: int, total: int) -> Decimal:
    return (Decimal(good) + PRIOR * PRIOR_WEIGHT) / (Decimal(total) + PRIOR_WEIGHT)


def score(*, accepted: int, declined: int, expired: int, released: int, completed: int, missed: int) -> Decimal:
    """The formula above, to three decimals."""
    acceptance = _smoothed(accepted + released, accepted + released + declined + expired)
    on_time = _smoothed(completed, completed + missed)
    follow_through = _smoothed(accepted, accepted + released)
    total = (
        WEIGHTS["acceptance"] * acceptance + WEIGHTS["on_time"] * on_time + WEIGHTS["follow_through"] * follow_through
    )
    return total.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def update_reliability(*, hauler_id: int, now: dt.datetime | None = None) -> Decimal:
    """Recompute and store one hauler's score from its last 90 days."""
    since = (now or timezone.now()) - WINDOW
    offers = Offer.objects.filter(hauler_id=hauler_id, created_at__gte=since).aggregate(
        accepted=Count("pk", filter=Q(status=Offer.Status.ACCEPTED)),
        declined=Count("pk", filter=Q(status=Offer.Status.DECLINED)),
        expired=Count("pk", filter=Q(status=Offer.Status.EXPIRED)),
        released=Count("pk", filter=Q(status=Offer.Status.RELEASED)),
    )
    pickups = Pickup.objects.filter(hauler_id=hauler_id, service_date__gte=since.date()).aggregate(
        completed=Count("pk", filter=Q(status=Pickup.Status.COMPLETED)),
        # a visit the customer's side made impossible (blocked, not put out) is not the hauler's miss
        missed=Count("pk", filter=Q(status=Pickup.Status.MISSED, exception_reason="")),
    )
    value = score(**offers, **pickups)
    Hauler.objects.filter(pk=hauler_id).update(reliability_score=value)
    return value
