"""Lockouts: more than LOCKOUT_MAX_GIVE_BACKS jobs given back or offers let expire within LOCKOUT_PERIOD
(24 h) pause the hauler's new offers for LOCKOUT_PERIOD.

Checked from dispatch, inside the transaction that expires the offer or records the give-back, so the
count includes the event that tipped it and the pause commits with it. The hauler's row is locked
(FOR NO KEY UPDATE, after the pickup, the order accept_offer takes them in), so two events at once are
counted one after the other. The count starts again after a pause (from its start, or from when staff
lifted it): the events that caused one pause never cause the next.
"""

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.models import StatusChange
from haulers import pauses
from haulers.models import Hauler, OfferPause
from marketplace.models import Offer


def strikes(*, hauler_id: int, since: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    """(jobs given back, offers let expire) between since and now."""
    expired = Offer.objects.filter(
        hauler_id=hauler_id, status=Offer.Status.EXPIRED, answer_by__gte=since, answer_by__lte=now
    ).count()
    released = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Offer),
        object_id__in=Offer.objects.filter(hauler_id=hauler_id, status=Offer.Status.RELEASED).values("pk"),
        to_status=Offer.Status.RELEASED,
        at__gte=since,
        at__lte=now,
    ).count()
    return released, expired


def check_lockout(*, hauler_id: int, now: dt.datetime | None = None) -> OfferPause | None:
    """Pause the hauler's offers when it is over the limit; the new pause, or None (under it, or paused already)."""
    now = now or timezone.now()
    hauler = Hauler.objects.select_for_update(no_key=True).filter(pk=hauler_id).first()
    if hauler is None or (hauler.offers_paused_until and hauler.offers_paused_until > now):
        return None
    since = now - settings.LOCKOUT_PERIOD
    last = hauler.offer_pauses.first()
    if last is not None:
        since = max(since, last.lifted_at or last.started_at)
    released, expired = strikes(hauler_id=hauler_id, since=since, now=now)
    if released + expired <= settings.LOCKOUT_MAX_GIVE_BACKS:
        return None
    hours = settings.LOCKOUT_PERIOD.total_seconds() / 3600
    reason = f"{_count(released, 'job')} given back and {_count(expired, 'offer')} let expire in {hours:g} hours"
    return pauses.pause_offers(hauler_id=hauler_id, reason=reason, period=settings.LOCKOUT_PERIOD, now=now)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
