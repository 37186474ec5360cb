"""After booking: the day-before reminders, and noticing pickups that never happened.

Both are sweeps over rows (beat, every 15 minutes), not Celery ETAs. Each pickup is judged in
its location's timezone: reminders go out at 17:00 local the day before; a scheduled pickup not
completed (or excused) an hour after its window closed is missed.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core.enqueue import enqueue
from core.transitions import transition
from marketplace import dispatch, scheduling
from marketplace.models import Pickup

REMINDER_LOCAL_TIME = dt.time(17, 0)
MISSED_AFTER_WINDOW = dt.timedelta(hours=1)


def _scheduled_around(now: dt.datetime, *, days_back: int, days_ahead: int):
    # Every US timezone is within a day of UTC: a small band of dates holds every candidate.
    today = now.astimezone(dt.UTC).date()
    return Pickup.objects.filter(
        status=Pickup.Status.SCHEDULED,
        service_date__gte=today - dt.timedelta(days=days_back),
        service_date__lte=today + dt.timedelta(days=days_ahead),
    ).select_related("location")


def reminders_due(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled pickups whose reminder time (17:00 local, the day before) has come, not yet reminded."""
    now = now or timezone.now()
    due = []
    for pickup in _scheduled_around(now, days_back=0, days_ahead=2).filter(reminded_at__isnull=True):
        tz_name = pickup.location.timezone
        remind_from = scheduling.at_local(pickup.service_date - dt.timedelta(days=1), REMINDER_LOCAL_TIME, tz_name)
        if remind_from <= now < pickup.window()[0]:
            due.append(pickup.pk)
    return due


def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the customer and the hauler of tomorrow's pickups, once per pickup."""
    sent = 0
    for pickup_id in reminders_due(now=now):
        with transaction.atomic():
            # The conditional update is the claim: of two overlapping sweeps one reminds.
            claimed = Pickup.objects.filter(pk=pickup_id, reminded_at__isnull=True).update(reminded_at=timezone.now())
            if claimed:
                enqueue("marketplace.notify", "pickup_reminder_customer", pickup_id)
                enqueue("marketplace.notify", "pickup_reminder_hauler", pickup_id)
                sent += 1
    return sent


def _is_overdue(pickup: Pickup, now: dt.datetime) -> bool:
    return pickup.window()[1] + MISSED_AFTER_WINDOW <= now


def overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled pickups an hour past the end of their window."""
    now = now or timezone.now()
    band = [p.pk for p in _scheduled_around(now, days_back=3, days_ahead=1) if _is_overdue(p, now)]
    # anything older than the band (a sweep that did not run for days) is overdue whatever its timezone
    older = Pickup.objects.filter(
        status=Pickup.Status.SCHEDULED, service_date__lt=now.astimezone(dt.UTC).date() - dt.timedelta(days=3)
    )
    return sorted({*band, *older.values_list("pk", flat=True)})


def mark_missed(*, pickup_id: int, now: dt.datetime | None = None) -> bool:
    """Record that a scheduled pickup did not happen; tell the customer; it costs the hauler reliability; a make-up
    visit is booked."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = dispatch.locked_pickup(pickup_id)
        if pickup.status != Pickup.Status.SCHEDULED or not _is_overdue(pickup, now):
            return False
        transition(pickup, Pickup.Status.MISSED, reason="Not completed by the end of its window")
        enqueue("marketplace.notify", "pickup_missed", pickup.pk)
        enqueue("marketplace.update_reliability", pickup.hauler_id)
        enqueue("marketplace.credit_missed_pickup", pickup.pk)
        enqueue("marketplace.make_up_missed", pickup.pk)  # sent out again by itself (marketplace/makeups.py)
    return True


def detect_missed(*, now: dt.datetime | None = None) -> int:
    """The sweep: every overdue scheduled pickup becomes missed."""
    return sum(mark_missed(pickup_id=pickup_id, now=now) for pickup_id in overdue(now=now))
