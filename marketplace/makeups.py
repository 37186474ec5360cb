"""Make-up visits: a new pickup that does again what a missed or poorly done visit did not.

When: within 24 hours. The same local day when it is reported by noon at the location (MAKE_UP_SAME_DAY_BY) and a
window can still be booked that day (the original's first, else the soonest-ending arrival window still open to
booking); otherwise the next day a hauler serves the location, in the original's window.

Who: through the usual cascade (marketplace/dispatch.py). For a miss (the original is missed) the hauler that missed
it is never offered the make-up. For a case about a poor visit staff may ask for the same hauler first: it gets
the first offer alone, and the cascade goes on to the others if it declines or lets the offer expire.

Money: the business never pays twice for one service.
- A make-up of a visit that was not charged (missed) is charged at the original's price, like any visit;
  the missed-visit credit the business got stays.
- A make-up of a visit that was charged (completed: a case about a poor visit) costs the business $0.
- The same hauler redoing its own visit earns $0 more.
- Another hauler is paid its rate by the platform: the make-up's payout may exceed its price (Pickup allows
  this for make-ups only), and on completion the ledger books the hauler's payable and a platform fee of minus
  that payable, so the pickup still balances (charges - refunds = payable + fee - credits). The margin guard
  is the original's: no hauler is offered more than the original's price less FLOOR_MARGIN_CENTS.
"""

import dataclasses
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import ledger
from billing.models import LedgerEntry
from core.enqueue import enqueue
from core.errors import Conflict
from core.transitions import actor, transition
from marketplace import matching, pricing, scheduling
from marketplace.models import Offer, Pickup

MAKE_UP_SAME_DAY_BY = dt.time(12, 0)
# How many days ahead the next served day is looked for; past that the make-up is booked for tomorrow and the
# cascade finds nobody, so staff are told (unmatched).
SERVED_DAY_SEARCH = 7
MAKEABLE = (Pickup.Status.COMPLETED, Pickup.Status.MISSED)


def excluded_hauler_id(make_up: Pickup) -> int | None:
    """The hauler a make-up is never offered to: the one that missed the visit it makes up."""
    original = make_up.make_up_of
    if original is not None and original.status == Pickup.Status.MISSED:
        return original.hauler_id
    return None


def terms(make_up: Pickup, ranked: list[matching.Candidate]) -> tuple[int, list[matching.Candidate]]:
    """The margin ceiling and the candidates for dispatching a make-up (see the module docstring's money rule)."""
    original = make_up.make_up_of
    excluded = excluded_hauler_id(make_up)
    candidates = [
        dataclasses.replace(c, payout_cents=0) if c.hauler_id == original.hauler_id else c
        for c in ranked
        if c.hauler_id != excluded
    ]
    return pricing.max_payout_cents(original.price_cents), candidates


def _served(original: Pickup, day: dt.date, window: tuple[dt.time, dt.time], excluded: int | None) -> bool:
    request = matching.Request.at(
        original.location,
        waste_stream=original.waste_stream,
        container=original.container,
        quantity=original.quantity,
        service_date=day,
        window=window,
    )
    return any(c.hauler_id != excluded for c in matching.ranked_haulers(request))


def _windows_by_preference(original: Pickup) -> list[tuple[dt.time, dt.time]]:
    own = (original.window_start, original.window_end)
    others = sorted(settings.ARRIVAL_WINDOWS, key=lambda w: (w[1], -w[0].hour * 60 - w[0].minute))
    return [own, *(w for w in others if w != own)]


def make_up_slot(*, original: Pickup, now: dt.datetime | None = None) -> tuple[dt.date, tuple[dt.time, dt.time]]:
    """The date and arrival window of a make-up reported `now` (see the module docstring)."""
    now = now or timezone.now()
    tz_name = original.location.timezone
    local = scheduling.local_now(tz_name, now=now)
    excluded = original.hauler_id if original.status == Pickup.Status.MISSED else None
    if local.time() <= MAKE_UP_SAME_DAY_BY:
        for window in _windows_by_preference(original):
            bookable = scheduling.check_service_date(
                service_date=local.date(), tz_name=tz_name, window_end=window[1], now=now
            )
            if bookable is None and _served(original, local.date(), window, excluded):
                return local.date(), window
    own = (original.window_start, original.window_end)
    for offset in range(1, SERVED_DAY_SEARCH + 1):
        day = local.date() + dt.timedelta(days=offset)
        if _served(original, day, own, excluded):
            return day, own
    return local.date() + dt.timedelta(days=1), own


def book_make_up(*, pickup: Pickup, by, reason: str, same_hauler_first: bool, now: dt.datetime | None = None) -> Pickup:
    """Book the make-up visit of a completed or missed pickup and send it out; one at a time per visit.

    Under the original's row lock: a visit that already has a make-up on its way (not cancelled) gets that one
    back, so two callers at once (the miss's task run twice, staff resolving a case) book one between them.
    """
    with transaction.atomic():
        original = Pickup.objects.select_for_update().select_related("location").get(pk=pickup.pk)
        if original.status not in MAKEABLE:
            raise Conflict(f"A {original.get_status_display().lower()} pickup cannot be made up.")
        existing = original.make_ups.exclude(status=Pickup.Status.CANCELLED).order_by("pk").first()
        if existing is not None:
            return existing
        day, (start, end) = make_up_slot(original=original, now=now)
        charged = original.status == Pickup.Status.COMPLETED
        make_up = Pickup.objects.create(
            customer_id=original.customer_id,
            location=original.location,
            make_up_of=original,
            waste_stream=original.waste_stream,
            container=original.container,
            quantity=original.quantity,
            service_date=day,
            window_start=start,
            window_end=end,
            price_cents=0 if charged else original.price_cents,
            # what the hauler that accepts is offered replaces this (see terms())
            payout_cents=0 if charged else original.payout_cents,
            currency=original.currency,
            created_by=actor(by),
        )
        enqueue("marketplace.notify", "make_up_booked", make_up.pk)
        if same_hauler_first and charged and _offer_to_same_hauler(make_up, original, reason=reason):
            return make_up
        enqueue("marketplace.dispatch_pickup", make_up.pk)
    return make_up


def _offer_to_same_hauler(make_up: Pickup, original: Pickup, *, reason: str) -> bool:
    """Offer the make-up to the hauler of the original alone, for $0 more; False when it cannot take it."""
    if original.hauler_id is None:
        return False
    request = matching.Request.for_pickup(make_up)
    if not matching.is_eligible(request, hauler_id=original.hauler_id, pickup=make_up):
        return False
    now = timezone.now()
    ttl = settings.OFFER_TTL
    if make_up.service_date <= scheduling.local_today(make_up.location.timezone, now=now):
        ttl = min(ttl, settings.SAME_DAY_OFFER_TTL)  # as dispatch does: same-day work cannot wait hours
    offer = Offer.objects.create(pickup=make_up, hauler_id=original.hauler_id, payout_cents=0, answer_by=now + ttl)
    transition(make_up, Pickup.Status.OFFERED, reason=f"Make-up offered to the same hauler first: {reason}"[:500])
    enqueue("marketplace.notify", "offer_made", offer.pk)
    return True


def refuse_if_made_up(pickup: Pickup) -> None:
    """Conflict when a visit being sent out again already has a make-up on its way (move or cancel that one)."""
    if pickup.make_ups.exclude(status=Pickup.Status.CANCELLED).exists():
        raise Conflict("A make-up visit is already booked for this pickup; move or cancel the make-up instead.")


def make_up_missed(*, pickup_id: int) -> Pickup | None:
    """A no-show is made up by itself, once: None when it was excused, or a make-up exists (even one the
    business cancelled: it said it does not want one)."""
    original = Pickup.objects.filter(pk=pickup_id).first()
    if original is None or original.status != Pickup.Status.MISSED or original.exception_reason:
        return None
    with transaction.atomic():
        Pickup.objects.select_for_update().filter(pk=pickup_id).first()  # serialise with another run of this
        if original.make_ups.exists():
            return None
        return book_make_up(pickup=original, by=None, reason="The visit was missed", same_hauler_first=False)


def book_platform_payout(*, pickup: Pickup) -> LedgerEntry | None:
    """A completed make-up the business pays nothing for: the hauler's payable, paid out of the platform's fee.

    Written once per pickup (ledger keys), so a redelivered charge task changes nothing.
    """
    if pickup.make_up_of_id is None or pickup.price_cents or not pickup.payout_cents:
        return None
    if pickup.status != Pickup.Status.COMPLETED:
        return None
    refs = {"customer_id": pickup.customer_id, "pickup_id": pickup.pk}
    kind = LedgerEntry.Kind
    payable = ledger.post(
        kind=kind.HAULER_PAYABLE,
        amount_cents=pickup.payout_cents,
        key=f"make-up-payable:{pickup.pk}",
        hauler_id=pickup.hauler_id,
        memo=f"Make-up visit for pickup {pickup.make_up_of_id}, paid by HaulMatch",
        **refs,
    )
    ledger.post(kind=kind.PLATFORM_FEE, amount_cents=-pickup.payout_cents, key=f"make-up-fee:{pickup.pk}", **refs)
    return payable
