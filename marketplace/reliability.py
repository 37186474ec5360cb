"""A hauler's reliability score, 0 to 1, over the last 90 days (WINDOW), and the parts it is made of.

Four parts, each a rate from 0 to 1:

    on_time        = on_time / (completed + missed + 2 * overturned)     the visits that came due
                     on_time: completed with the proof's serviced_at inside the arrival window
                     (Pickup.window(), in the location's zone): early or late is done but not on time;
                     missed: the hauler's own misses (a miss for the customer's reason, e.g. blocked or
                     not put out, is not counted); overturned: a could-not-service claim that a case
                     found untrue (Case.claim_overturned), which counts as two misses: the visit was
                     missed and the business was blamed for it
    follow_through = kept / (kept + given_back + late)                    jobs it accepted
                     kept: accepted offers it still holds or did; given_back: offers it released after
                     accepting; late: those of them released inside CANCELLATION_CUTOFF of the window's
                     start (a late cancellation counts twice: a give-back and a scramble)
    answering      = taken / (taken + declined + expired)                  offers it was made
                     taken: accepted or released (it said yes); declined and let expire count alike
    ratings        = mean of (stars - 1) / 4                               the businesses' ratings
                     5 stars is 1, 3 stars is 0.5, 1 star is 0

    score = 0.40 * on_time + 0.20 * follow_through + 0.15 * answering + 0.25 * ratings

Each rate is smoothed toward PRIOR with PRIOR_WEIGHT imaginary events ((good + 0.9 * 5) / (total + 5)), so a new
hauler starts at 0.900 and one bad day does not sink a hauler with little history; twenty real events outweigh
the prior four to one. Doing the job on time weighs most, then what businesses say, then keeping what it took.
The score is stored on Hauler.reliability_score (update_reliability, after each event and nightly as the window
moves) and matching ranks by it (marketplace/matching.py).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, Q
from django.utils import timezone

from core.models import StatusChange
from haulers.models import Hauler
from marketplace import scheduling
from marketplace.models import Case, Offer, Pickup, Rating

WINDOW = dt.timedelta(days=90)
PRIOR = Decimal("0.9")
PRIOR_WEIGHT = 5
WEIGHTS = {
    "on_time": Decimal("0.40"),
    "follow_through": Decimal("0.20"),
    "answering": Decimal("0.15"),
    "ratings": Decimal("0.25"),
}
TAKEN = (Offer.Status.ACCEPTED, Offer.Status.RELEASED)


@dataclass(frozen=True)
class Counts:
    """What a hauler did in the window: the inputs of the score."""

    on_time: int = 0
    outside_window: int = 0  # completed, but early or late
    missed: int = 0
    overturned: int = 0
    kept: int = 0
    given_back: int = 0
    late: int = 0  # of given_back, inside CANCELLATION_CUTOFF of the window
    declined: int = 0
    expired: int = 0
    ratings: int = 0
    stars_total: int = 0

    @property
    def completed(self) -> int:
        return self.on_time + self.outside_window

    @property
    def taken(self) -> int:
        return self.kept + self.given_back


@dataclass(frozen=True)
class Part:
    name: str
    weight: Decimal
    rate: Decimal  # smoothed, 0..1
    good: Decimal
    total: int


def _smoothed(good: Decimal | int, total: int) -> Decimal:
    return (Decimal(good) + PRIOR * PRIOR_WEIGHT) / (Decimal(total) + PRIOR_WEIGHT)


def parts(counts: Counts) -> list[Part]:
    """The four parts of the module docstring, smoothed."""
    c = counts
    star_good = (Decimal(c.stars_total) - c.ratings) / 4  # the sum of (stars - 1) / 4
    raw = [
        ("on_time", Decimal(c.on_time), c.completed + c.missed + 2 * c.overturned),
        ("follow_through", Decimal(c.kept), c.kept + c.given_back + c.late),
        ("answering", Decimal(c.taken), c.taken + c.declined + c.expired),
        ("ratings", star_good, c.ratings),
    ]
    return [Part(name, WEIGHTS[name], _smoothed(good, total), good, total) for name, good, total in raw]


def score(counts: Counts) -> Decimal:
    """The formula of the module docstring, to three decimals."""
    total = sum(part.weight * part.rate for part in parts(counts))
    return min(Decimal(1), max(Decimal(0), total)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def counts_for(*, hauler_id: int, now: dt.datetime | None = None) -> Counts:
    """What the hauler did in the 90 days up to now (five queries)."""
    now = now or timezone.now()
    since = now - WINDOW
    overturned = set(
        Case.objects.filter(
            Q(hauler_id=hauler_id) | Q(hauler__isnull=True, pickup__hauler_id=hauler_id),
            claim_overturned=True,
            pickup__service_date__gte=since.date(),
        ).values_list("pickup_id", flat=True)
    )
    on_time = outside = 0
    completed = Pickup.objects.filter(
        hauler_id=hauler_id, status=Pickup.Status.COMPLETED, proof__serviced_at__gte=since
    ).values_list("service_date", "window_start", "window_end", "location__timezone", "proof__serviced_at")
    for day, start, end, tz_name, serviced_at in completed:
        opens, closes = scheduling.window_bounds(service_date=day, window_start=start, window_end=end, tz_name=tz_name)
        if opens <= serviced_at <= closes:
            on_time += 1
        else:
            outside += 1
    missed = (
        Pickup.objects.filter(
            hauler_id=hauler_id, status=Pickup.Status.MISSED, exception_reason="", service_date__gte=since.date()
        )
        .exclude(pk__in=overturned)
        .count()
    )
    offers = Offer.objects.filter(hauler_id=hauler_id, created_at__gte=since).aggregate(
        kept=Count("pk", filter=Q(status=Offer.Status.ACCEPTED)),
        given_back=Count("pk", filter=Q(status=Offer.Status.RELEASED)),
        declined=Count("pk", filter=Q(status=Offer.Status.DECLINED)),
        expired=Count("pk", filter=Q(status=Offer.Status.EXPIRED)),
    )
    rated = Rating.objects.filter(hauler_id=hauler_id, updated_at__gte=since).aggregate(n=Count("pk"), avg=Avg("stars"))
    stars_total = round((rated["avg"] or 0) * rated["n"])
    return Counts(
        on_time=on_time,
        outside_window=outside,
        missed=missed,
        overturned=len(overturned),
        late=_late_give_backs(hauler_id, since) if offers["given_back"] else 0,
        ratings=rated["n"],
        stars_total=stars_total,
        **offers,
    )


def _late_give_backs(hauler_id: int, since: dt.datetime) -> int:
    """Released offers whose release came inside CANCELLATION_CUTOFF of the pickup's window opening."""
    released = {
        offer.pk: offer
        for offer in Offer.objects.filter(
            hauler_id=hauler_id, status=Offer.Status.RELEASED, created_at__gte=since
        ).select_related("pickup__location")
    }
    changes = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Offer),
        object_id__in=list(released),
        to_status=Offer.Status.RELEASED,
    ).values_list("object_id", "at")
    late = 0
    for offer_id, at in changes:
        opens, _ = released[offer_id].pickup.window()
        if opens - at < settings.CANCELLATION_CUTOFF:
            late += 1
    return late


def update_reliability(*, hauler_id: int, now: dt.datetime | None = None) -> Decimal:
    """Recompute and store one hauler's score from its last 90 days."""
    value = score(counts_for(hauler_id=hauler_id, now=now))
    Hauler.objects.filter(pk=hauler_id).update(reliability_score=value)
    return value


def active_hauler_ids() -> list[int]:
    """The haulers whose scores the nightly sweep refreshes (the 90 days move on without any event)."""
    return list(Hauler.objects.filter(status=Hauler.Status.ACTIVE).values_list("pk", flat=True))


@dataclass(frozen=True)
class Report:
    """The hauler's page: the score as matching uses it, the parts it is made of, and what they count."""

    score: Decimal  # recomputed now, as the stored score will be after its next update
    stored: Decimal  # Hauler.reliability_score, what matching read last
    counts: Counts
    parts: dict[str, Part]
    minimum: Decimal  # MATCH_MIN_RELIABILITY: below it, offers go to others first
    paused_until: dt.datetime | None


def report_for(*, hauler: Hauler, now: dt.datetime | None = None) -> Report:
    """The selector behind the hauler's "Your reliability" page."""
    now = now or timezone.now()
    counts = counts_for(hauler_id=hauler.pk, now=now)
    paused = hauler.offers_paused_until if hauler.offers_paused_until and hauler.offers_paused_until > now else None
    return Report(
        score=score(counts),
        stored=hauler.reliability_score,
        counts=counts,
        parts={part.name: part for part in parts(counts)},
        minimum=settings.MATCH_MIN_RELIABILITY,
        paused_until=paused,
    )
