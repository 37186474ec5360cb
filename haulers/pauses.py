"""Lockouts: a hauler's new offers paused for a while, and staff lifting a pause early.

When to pause is the market's rule (marketplace/lockouts.py counts the give-backs and lapsed offers);
this module only records it, once, and lifts it. Hauler.offers_paused_until is what matching reads;
an OfferPause row is the record of each pause: why, until when, and who lifted it and why.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict
from haulers.models import Hauler, OfferPause


def pause_offers(*, hauler_id: int, reason: str, period: dt.timedelta, now: dt.datetime) -> OfferPause | None:
    """Pause the hauler's new offers until now + period; None (and nothing written) when already paused.

    A conditional update, so two events at once pause once and a second call inside a pause is a no-op.
    """
    until = now + period
    moved = (
        Hauler.objects.filter(pk=hauler_id)
        .filter(Q(offers_paused_until__isnull=True) | Q(offers_paused_until__lte=now))
        .update(offers_paused_until=until, updated_at=now)
    )
    if not moved:
        return None
    pause = OfferPause.objects.create(hauler_id=hauler_id, started_at=now, until=until, reason=reason[:300])
    enqueue("marketplace.notify", "offers_paused", pause.pk)
    return pause


def current_pause(*, hauler: Hauler, now: dt.datetime | None = None) -> OfferPause | None:
    """The pause in force now, if any."""
    now = now or timezone.now()
    return hauler.offer_pauses.filter(lifted_at__isnull=True, until__gt=now).first()


def lift_offer_pause(*, hauler: Hauler, by, reason: str, now: dt.datetime | None = None) -> OfferPause:
    """Staff end a pause early, with a reason the record keeps; the hauler is told. 409 when none is in force."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why the pause is lifted."})
    now = now or timezone.now()
    with transaction.atomic():
        locked = Hauler.objects.select_for_update(no_key=True).get(pk=hauler.pk)
        pause = current_pause(hauler=locked, now=now)
        if pause is None or locked.offers_paused_until is None or locked.offers_paused_until <= now:
            raise Conflict(f"{locked.name}'s offers are not paused.")
        pause.lifted_at, pause.lifted_by, pause.lift_reason = now, by, reason[:300]
        pause.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        Hauler.objects.filter(pk=locked.pk).update(offers_paused_until=None, updated_at=now)
        hauler.offers_paused_until = None
        enqueue("marketplace.notify", "offers_resumed", pause.pk)
    return pause
