"""The offer cascade: offer a pickup to the best eligible hauler(s), accept, decline, expire.

Every function here locks the pickup row first (then its offers), so dispatch, answers,
the expiry sweep and cancellation serialise per pickup and never deadlock on each other.
Each is safe to run twice: a second run finds the state already moved and returns.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict, NotFound
from core.permissions import require
from core.transitions import transition
from haulers.models import Hauler
from marketplace import lockouts, makeups, matching, plans, pricing, routes, scheduling
from marketplace.models import Offer, Pickup

log = logging.getLogger(__name__)

DISPATCHABLE = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED)


def locked_pickup(pickup_id: int) -> Pickup:
    """The pickup, row-locked for this transaction (take it before locking any of its offers)."""
    try:
        return Pickup.objects.select_for_update().select_related("location").get(pk=pickup_id)
    except Pickup.DoesNotExist:
        raise NotFound("No such pickup.") from None


def _answer_by(pickup: Pickup, now: dt.datetime) -> dt.datetime:
    ttl = settings.OFFER_TTL
    if pickup.service_date <= scheduling.local_today(pickup.location.timezone, now=now):
        ttl = min(ttl, settings.SAME_DAY_OFFER_TTL)  # same-day work cannot wait hours for an answer
    return now + ttl


def dispatch_pickup(*, pickup_id: int) -> list[Offer]:
    """Offer the pickup to the best eligible haulers until OFFER_FANOUT offers are pending.

    No one eligible within the margin guard, and nothing pending: the pickup is unmatched.
    """
    with transaction.atomic():
        pickup = locked_pickup(pickup_id)
        if pickup.status not in DISPATCHABLE:
            return []
        pending = pickup.offers.filter(status=Offer.Status.PENDING).count()
        wanted = settings.OFFER_FANOUT - pending
        if wanted <= 0:
            return []
        ceiling = pricing.max_payout_cents(pickup.price_cents)
        # A hauler at or above the minimum score holding a pending offer keeps those under it out (matching.py).
        floor_met = pending > 0 and _pending_above_floor(pickup)
        ranked = matching.ranked_haulers(matching.Request.for_pickup(pickup), pickup=pickup, floor_met=floor_met)
        if pickup.make_up_of_id is not None:  # who may redo a visit, and for how much: marketplace/makeups.py
            ceiling, ranked = makeups.terms(pickup, ranked)
        # The margin guard: ranked by weighted price, so a hauler over the ceiling may rank above one under it.
        affordable = [c for c in ranked if c.payout_cents <= ceiling][:wanted]
        if not affordable:
            if pending == 0:
                _unmatched(pickup, reason="No eligible hauler within the price" if ranked else "No eligible hauler")
            return []
        now = timezone.now()
        offers = Offer.objects.bulk_create(
            [
                Offer(
                    pickup=pickup,
                    hauler_id=c.hauler_id,
                    payout_cents=c.payout_cents,
                    answer_by=_answer_by(pickup, now),
                    service_date=pickup.service_date,  # bulk_create skips Offer.save, which would copy it
                )
                for c in affordable
            ]
        )
        if pickup.status == Pickup.Status.REQUESTED:
            transition(pickup, Pickup.Status.OFFERED, reason=f"Offered to {len(offers)} hauler(s)")
        for offer in offers:
            enqueue("marketplace.notify", "offer_made", offer.pk)
        return offers


def _pending_above_floor(pickup: Pickup) -> bool:
    return pickup.offers.filter(
        status=Offer.Status.PENDING, hauler__reliability_score__gte=settings.MATCH_MIN_RELIABILITY
    ).exists()


def _unmatched(pickup: Pickup, *, reason: str) -> None:
    transition(pickup, Pickup.Status.UNMATCHED, reason=reason)
    enqueue("marketplace.notify", "pickup_unmatched", pickup.pk)


def _offer_for(offer_id: int, hauler: Hauler) -> Offer:
    """The hauler's own offer, read without a lock (the pickup is locked first)."""
    try:
        return Offer.objects.only("pickup_id").get(pk=offer_id, hauler=hauler)
    except Offer.DoesNotExist:
        raise NotFound("No such offer.") from None


def accept_offer(*, offer_id: int, hauler: Hauler, by=None) -> Pickup:
    """The hauler takes the job. Of haulers accepting at once exactly one wins; the rest get Conflict."""
    require(user=by, organisation=hauler, action="offers")  # owners and dispatchers, not drivers
    pickup_id = _offer_for(offer_id, hauler).pickup_id
    with transaction.atomic():
        pickup = locked_pickup(pickup_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if offer.status != Offer.Status.PENDING:
            raise Conflict(f"This offer is no longer open (it is {offer.get_status_display().lower()}).")
        if pickup.status != Pickup.Status.OFFERED:
            raise Conflict("This pickup is no longer available.")
        if offer.answer_by <= timezone.now():
            raise Conflict("This offer has expired.")
        # Its fleet's day is counted under the hauler's lock, so two accepts never both take its last slot.
        # FOR NO KEY UPDATE: new offers and pickups may still point at the hauler while it is held.
        Hauler.objects.select_for_update(no_key=True).filter(pk=hauler.pk).first()
        request = matching.Request.for_pickup(pickup)
        if not matching.is_eligible(request, hauler_id=hauler.pk, pickup=pickup, offers=False):
            raise Conflict("You can no longer take this pickup (check your credentials, area and capacity).")
        now = timezone.now()
        transition(offer, Offer.Status.ACCEPTED, by=by, reason="Accepted", fields={"responded_at": now})
        transition(
            pickup,
            Pickup.Status.SCHEDULED,
            by=by,
            reason=f"Accepted by {hauler.name}",
            fields={"hauler": hauler, "payout_cents": offer.payout_cents},
        )
        withdraw_pending_offers(pickup=pickup, reason="Another hauler accepted first.")
        routes.day_changed(pickup)
        plans.take_plan(pickup=pickup)
        enqueue("marketplace.notify", "pickup_scheduled", pickup.pk)
        enqueue("marketplace.update_reliability", hauler.pk)
    return pickup


def decline_offer(*, offer_id: int, hauler: Hauler, reason: str = "", by=None) -> Offer:
    """The hauler says no; the cascade moves on to the next hauler."""
    require(user=by, organisation=hauler, action="offers")
    pickup_id = _offer_for(offer_id, hauler).pickup_id
    with transaction.atomic():
        pickup = locked_pickup(pickup_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if offer.status != Offer.Status.PENDING:
            raise Conflict(f"This offer is no longer open (it is {offer.get_status_display().lower()}).")
        transition(
            offer,
            Offer.Status.DECLINED,
            by=by,
            reason=reason or "Declined",
            fields={"responded_at": timezone.now(), "decline_reason": reason[:300]},
        )
        move_on(pickup)
        enqueue("marketplace.update_reliability", hauler.pk)
    return offer


def move_on(pickup: Pickup) -> None:
    """After an offer ends unanswered-yes: back to requested when none is pending, and dispatch again."""
    if pickup.status == Pickup.Status.OFFERED and not pickup.offers.filter(status=Offer.Status.PENDING).exists():
        transition(pickup, Pickup.Status.REQUESTED, reason="No pending offer left; trying the next hauler")
    if pickup.status in DISPATCHABLE:
        enqueue("marketplace.dispatch_pickup", pickup.pk)


def expire_offer(*, offer_id: int, now: dt.datetime | None = None) -> bool:
    """Expire one pending offer past its answer-by time and move the cascade on; False if it was not due."""
    now = now or timezone.now()
    pickup_id = Offer.objects.filter(pk=offer_id).values_list("pickup_id", flat=True).first()
    if pickup_id is None:
        return False
    with transaction.atomic():
        pickup = locked_pickup(pickup_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if offer.status != Offer.Status.PENDING or offer.answer_by > now:
            return False
        transition(offer, Offer.Status.EXPIRED, reason="No answer in time")
        move_on(pickup)
        lockouts.check_lockout(hauler_id=offer.hauler_id, now=now)
        enqueue("marketplace.update_reliability", offer.hauler_id)
    return True


def due_offer_ids(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pending offers whose answer-by time has passed (uses the partial index)."""
    now = now or timezone.now()
    return list(
        Offer.objects.filter(status=Offer.Status.PENDING, answer_by__lte=now)
        .order_by("answer_by")
        .values_list("pk", flat=True)[:limit]
    )


def withdraw_pending_offers(*, pickup: Pickup, reason: str) -> int:
    """Withdraw the pickup's pending offers (the caller holds the pickup lock) and tell those haulers."""
    withdrawn = 0
    for offer in pickup.offers.select_for_update().filter(status=Offer.Status.PENDING):
        transition(offer, Offer.Status.WITHDRAWN, reason=reason)
        enqueue("marketplace.notify", "offer_withdrawn", offer.pk)
        withdrawn += 1
    return withdrawn


REDISPATCHABLE = (Pickup.Status.REQUESTED, Pickup.Status.UNMATCHED, Pickup.Status.MISSED, Pickup.Status.SCHEDULED)


def redispatch(*, pickup: Pickup, by=None, reason: str = "Re-dispatched by staff") -> Pickup:
    """Put a pickup back into the cascade: its hauler, if any, is released; a requested one is dispatched again."""
    with transaction.atomic():
        pickup = locked_pickup(pickup.pk)
        if pickup.status not in REDISPATCHABLE:
            raise Conflict(f"A {pickup.get_status_display().lower()} pickup cannot be re-dispatched.")
        makeups.refuse_if_made_up(pickup)  # sending a missed visit out again beside its make-up would do it twice
        if pickup.service_date < scheduling.local_today(pickup.location.timezone):
            raise Conflict("The service date has passed; move the pickup to a new date first.")
        if pickup.status != Pickup.Status.REQUESTED:
            _release_hauler(pickup, reason=reason, by=by)
            routes.day_changed(pickup)
            transition(pickup, Pickup.Status.REQUESTED, by=by, reason=reason, fields={"hauler": None, "truck": None})
        enqueue("marketplace.dispatch_pickup", pickup.pk)
    return pickup


def reschedule(*, pickup: Pickup, service_date: dt.date, by=None, reason: str = "Date changed") -> Pickup:
    """Move a pickup that has not happened yet to another date; it is offered afresh for that date."""
    with transaction.atomic():
        pickup = locked_pickup(pickup.pk)
        movable = (*DISPATCHABLE, Pickup.Status.SCHEDULED, Pickup.Status.UNMATCHED, Pickup.Status.MISSED)
        if pickup.status not in movable:
            raise Conflict(f"A {pickup.get_status_display().lower()} pickup cannot be moved.")
        makeups.refuse_if_made_up(pickup)
        problem = scheduling.check_service_date(
            service_date=service_date, tz_name=pickup.location.timezone, window_end=pickup.window_end
        )
        if problem:
            raise ValidationError({"service_date": problem})
        withdraw_pending_offers(pickup=pickup, reason="The pickup moved to another date.")
        accepted = pickup.offers.select_for_update().filter(status=Offer.Status.ACCEPTED).first()
        if accepted is not None:
            transition(accepted, Offer.Status.WITHDRAWN, by=by, reason=reason)
            enqueue("marketplace.notify", "offer_withdrawn", accepted.pk)
        routes.day_changed(pickup)  # the day it leaves
        Pickup.objects.filter(pk=pickup.pk).update(service_date=service_date, updated_at=timezone.now())
        pickup.offers.update(service_date=service_date)  # the copy the day's capacity count reads
        pickup.service_date = service_date
        if pickup.status != Pickup.Status.REQUESTED:
            transition(
                pickup,
                Pickup.Status.REQUESTED,
                by=by,
                reason=f"{reason}: {service_date}",
                fields={"hauler": None, "truck": None},
            )
        enqueue("marketplace.dispatch_pickup", pickup.pk)
    return pickup


def stale_requested_ids(*, older_than: dt.timedelta = dt.timedelta(minutes=5), now=None) -> list[int]:
    """Requested pickups nobody is dispatching (a lost task, a broker outage): the sweep sends them again."""
    cutoff = (now or timezone.now()) - older_than
    return list(
        Pickup.objects.filter(status=Pickup.Status.REQUESTED, updated_at__lte=cutoff).values_list("pk", flat=True)[:500]
    )


def release_pickup(*, pickup: Pickup, hauler: Hauler, by=None, reason: str) -> Pickup:
    """The scheduled hauler gives the job back before the window; it counts against its reliability."""
    with transaction.atomic():
        pickup = locked_pickup(pickup.pk)
        if pickup.status != Pickup.Status.SCHEDULED or pickup.hauler_id != hauler.pk:
            raise Conflict("Only the hauler holding a scheduled pickup can give it back.")
        _release_hauler(pickup, reason=reason, by=by)
        routes.day_changed(pickup)
        transition(pickup, Pickup.Status.REQUESTED, by=by, reason=reason, fields={"hauler": None, "truck": None})
        lockouts.check_lockout(hauler_id=hauler.pk)
        enqueue("marketplace.dispatch_pickup", pickup.pk)
        enqueue("marketplace.update_reliability", hauler.pk)
    return pickup


def _release_hauler(pickup: Pickup, *, reason: str, by) -> None:
    accepted = pickup.offers.select_for_update().filter(status=Offer.Status.ACCEPTED).first()
    if accepted is not None:
        transition(accepted, Offer.Status.RELEASED, by=by, reason=reason)
        enqueue("marketplace.notify", "offer_released", accepted.pk)


def assign_by_hand(*, pickup: Pickup, hauler: Hauler, by, payout_cents: int | None = None) -> Pickup:
    """Staff give the pickup to a hauler directly: an accepted offer is recorded like any other."""
    with transaction.atomic():
        pickup = locked_pickup(pickup.pk)
        if pickup.status not in (*DISPATCHABLE, Pickup.Status.UNMATCHED):
            raise Conflict(f"A {pickup.get_status_display().lower()} pickup cannot be assigned.")
        if hauler.status != Hauler.Status.ACTIVE:
            raise Conflict(f"{hauler.name} is not active; only active haulers can be assigned.")
        payout = pickup.payout_cents if payout_cents is None else payout_cents
        if payout > pricing.max_payout_cents(pickup.price_cents):
            raise Conflict("That payout leaves less than the floor margin; lower it.")
        withdraw_pending_offers(pickup=pickup, reason="Assigned by staff.")
        now = timezone.now()
        offer = Offer.objects.create(pickup=pickup, hauler=hauler, payout_cents=payout, answer_by=now)
        transition(offer, Offer.Status.ACCEPTED, by=by, reason="Assigned by staff", fields={"responded_at": now})
        transition(
            pickup,
            Pickup.Status.SCHEDULED,
            by=by,
            reason=f"Assigned to {hauler.name} by staff",
            fields={"hauler": hauler, "payout_cents": payout},
        )
        routes.day_changed(pickup)
        enqueue("marketplace.notify", "pickup_scheduled", pickup.pk)
    return pickup
