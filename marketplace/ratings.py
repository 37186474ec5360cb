"""A business's rating of a completed visit, and what a hauler's ratings add up to.

A visit can be rated from the moment it is completed until RATING_WINDOW_DAYS (14) after; a second rating of the
same visit replaces the first (one row per pickup), so "rate" and "change my rating" are the same call. Each save
asks for the hauler's reliability score to be recomputed, which folds its ratings in.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict
from core.permissions import require
from haulers.models import Hauler
from marketplace.models import Pickup, Rating

COMMENT_MAX = Rating._meta.get_field("comment").max_length
# What a hauler reads of a rating: never who at the business gave it.
RATING_COLUMNS = ("id", "stars", "tags", "comment", "created_at", "updated_at", "pickup_id", "customer_id", "hauler_id")
SUMMARY_DAYS = 90  # the reliability score's window: what a hauler reads here is what ranks it
# Tags that cannot both be true of one visit.
EXCLUSIVE = ({Rating.Tag.ON_TIME, Rating.Tag.LATE},)


def window() -> dt.timedelta:
    return dt.timedelta(days=settings.RATING_WINDOW_DAYS)


def rate_until(pickup: Pickup) -> dt.datetime | None:
    """The moment the visit's rating closes, or None when it was never completed."""
    if pickup.status != Pickup.Status.COMPLETED or pickup.completed_at is None:
        return None
    return pickup.completed_at + window()


def refusal(pickup: Pickup, *, now: dt.datetime | None = None) -> str | None:
    """Why the visit cannot be rated now, in a sentence, or None when it can."""
    if pickup.status != Pickup.Status.COMPLETED:
        return f"Only a completed visit can be rated; this pickup is {pickup.get_status_display().lower()}."
    until = rate_until(pickup)  # a completed visit has its hauler (pickup_hauler_when_scheduled)
    if until is None:
        return "This visit has no completion time, so it cannot be rated."
    if (now or timezone.now()) >= until:
        closed = timezone.localtime(until, ZoneInfo(pickup.location.timezone))
        return (
            f"A visit can be rated for {window().days} days after it was done; "
            f"this one's rating closed on {closed:%b} {closed.day}, {closed.year}."
        )
    return None


def _cleaned(*, stars, tags, comment) -> tuple[int, list[str], str]:
    """The rating's fields checked and normalised, or a ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        errors["stars"] = ["Choose from 1 to 5 stars."]
    known = set(Rating.Tag.values)
    if tags is None:
        tags = []
    if not isinstance(tags, list | tuple) or not all(isinstance(tag, str) for tag in tags):
        errors["tags"] = ["Tags are a list of words such as 'on_time'."]
        tags = []
    else:
        unknown = sorted(set(tags) - known)
        if unknown:
            errors["tags"] = [f"Unknown tag: {', '.join(unknown)}. Choose from {', '.join(Rating.Tag.values)}."]
        clash = next((pair for pair in EXCLUSIVE if pair <= set(tags)), None)
        if clash:
            labels = " and ".join(sorted(str(Rating.Tag(tag).label).lower() for tag in clash))
            errors.setdefault("tags", []).append(f"A visit cannot be both {labels}.")
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        errors["comment"] = ["The comment is text."]
        comment = ""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [f"Keep the comment to {COMMENT_MAX} characters (it has {len(comment)})."]
    elif "\x00" in comment:
        errors["comment"] = ["The comment has a null character in it."]
    if errors:
        raise ValidationError(errors)
    # the choices' order, each once: the same tags ticked in another order are the same rating
    ordered = [tag for tag in Rating.Tag.values if tag in set(tags)]
    return stars, ordered, comment


def rate_pickup(*, pickup: Pickup, stars: int, tags: list[str], comment: str = "", by) -> Rating:
    """Rate a completed visit (or change its rating) within the window; the hauler's score is recomputed after."""
    require(user=by, organisation=pickup.customer, action="see")
    stars, tags, comment = _cleaned(stars=stars, tags=tags, comment=comment)
    with transaction.atomic():
        # The pickup's row lock serialises two ratings of one visit (two tabs, a double tap): the second finds the
        # first's row and updates it rather than failing on the one-rating-per-pickup constraint.
        locked = Pickup.objects.select_for_update().select_related("location").get(pk=pickup.pk)
        reason = refusal(locked)
        if reason:
            raise Conflict(reason)
        rating = Rating.objects.filter(pickup=locked).first()
        if rating is not None and (rating.stars, rating.tags, rating.comment) == (stars, tags, comment):
            return rating  # the same answer again (a retried PUT): nothing changed, nothing to recompute
        if rating is None:
            rating = Rating(pickup=locked, customer_id=locked.customer_id)
        rating.hauler_id = locked.hauler_id
        rating.stars, rating.tags, rating.comment = stars, tags, comment
        rating.rated_by = by if getattr(by, "is_authenticated", False) else None
        rating.save()
        enqueue("marketplace.update_reliability", locked.hauler_id)
    return rating


# --- Reading ----------------------------------------------------------------------------------------------------


def rating_of(*, pickup: Pickup) -> Rating | None:
    """The visit's rating, if it has one."""
    return Rating.objects.filter(pickup=pickup).first()


def ratings_for_hauler(*, hauler: Hauler) -> QuerySet[Rating]:
    """The hauler's ratings, latest first, with the visit and the business's name (nothing else of the customer)."""
    return (
        Rating.objects.filter(hauler=hauler)
        .select_related("pickup", "customer")
        .only(*RATING_COLUMNS, "pickup__service_date", "pickup__waste_stream", "pickup__container", "customer__name")
        .order_by("-updated_at", "-id")
    )


@dataclass(frozen=True)
class Summary:
    """What a hauler's ratings of the last `days` add up to."""

    days: int
    count: int
    average: Decimal | None  # to one decimal; None with no ratings
    tags: list[tuple[str, str, int]]  # (tag, label, how many ratings name it), the most named first

    @property
    def stars_shown(self) -> int:
        """The average rounded to whole stars, for a row of filled and empty stars."""
        return int(self.average.quantize(Decimal("1"), rounding=ROUND_HALF_UP)) if self.average else 0


def summary_for_hauler(*, hauler: Hauler, days: int = SUMMARY_DAYS, now: dt.datetime | None = None) -> Summary:
    """The hauler's average, count and tag counts over the last `days` (by when each rating was last saved)."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    # One query: a hauler's ratings over 90 days are at most its visits in that time, a few hundred rows of two
    # small columns, and counting tags in a JSON list here keeps SQLite and PostgreSQL the same.
    rows = list(Rating.objects.filter(hauler=hauler, updated_at__gte=since).values_list("stars", "tags"))
    if not rows:
        return Summary(days=days, count=0, average=None, tags=[])
    average = (Decimal(sum(stars for stars, _ in rows)) / len(rows)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    counted = Counter(tag for _, tags in rows for tag in set(tags or []) if tag in Rating.Tag.values)
    order = {tag: index for index, tag in enumerate(Rating.Tag.values)}
    tags = [
        (tag, str(Rating.Tag(tag).label), count)
        for tag, count in sorted(counted.items(), key=lambda item: (-item[1], order[item[0]]))
    ]
    return Summary(days=days, count=len(rows), average=average, tags=tags)
