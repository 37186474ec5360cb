"""The staff console's queues: the work the market cannot finish on its own, counted for the admin's index.

Each queue is a filter on one model, defined once here and used twice: for its count on the index and as the
change list's filter the count links to, so the number staff click is the number of rows they find. The counts
cost one query per model (conditional counts, not one query per queue) whatever the market's size, and a
queue whose list the user may not open is neither counted nor shown.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from billing.models import Payment
from haulers.models import Credential, Hauler
from marketplace.models import Offer, Pickup
from sensors.models import Alarm

# The stale-request sweep sends a requested pickup again after five minutes; one still requested after half an
# hour is stuck (the worker or broker is down, or dispatch keeps failing) and someone should look.
STUCK_REQUEST_AFTER = dt.timedelta(minutes=30)


def pickup_reasons(*, now) -> dict[str, Q]:
    """Why a pickup needs staff, by the admin filter's value."""
    # Offered with no pending offer still inside its answer-by time: the expiry sweep is behind (or not
    # running), or the pickup was left offered with nothing pending at all.
    open_offer = Offer.objects.filter(pickup=OuterRef("pk"), status=Offer.Status.PENDING, answer_by__gt=now)
    return {
        "unmatched": Q(status=Pickup.Status.UNMATCHED),
        "stuck": Q(status=Pickup.Status.REQUESTED, updated_at__lte=now - STUCK_REQUEST_AFTER),
        "missed": Q(status=Pickup.Status.MISSED),
        "overdue": Q(status=Pickup.Status.OFFERED) & ~Exists(open_offer),
    }


def overdue_offers(*, now) -> Q:
    return Q(status=Offer.Status.PENDING, answer_by__lte=now)


def credentials_awaiting_verification(*, today) -> Q:
    """Uploaded and still current, but nobody on staff has checked the document yet."""
    return Q(verified_at__isnull=True, expires_on__gte=today)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    next_step: str
    count: int
    url: str


# (key, model, the change list's query string, label, what staff do about it)
QUEUES = (
    ("unmatched", Pickup, {"attention": "unmatched"}, "Pickups with no hauler found",
     "Assign a hauler by hand or re-dispatch once one has joined the area."),
    ("stuck", Pickup, {"attention": "stuck"}, "Pickups waiting over 30 minutes for dispatch",
     "Check the worker is running, then re-dispatch them."),
    ("missed", Pickup, {"attention": "missed"}, "Missed pickups",
     "Call the business, then reschedule or re-dispatch."),
    ("overdue_offers", Offer, {"overdue": "yes"}, "Offers past their answer-by time",
     "Expire them so the cascade moves on to the next hauler."),
    ("pending_haulers", Hauler, {"status__exact": Hauler.Status.PENDING}, "Haulers awaiting verification",
     "Check their licence and insurance, then verify them."),
    ("credentials", Credential, {"verification": "awaiting"}, "Credentials awaiting verification",
     "Open the document and mark it verified."),
    ("failed_payments", Payment, {"status__exact": Payment.Status.FAILED}, "Failed payments",
     "Ask the business to update its card; bookings stay paused until it does."),
    ("open_alarms", Alarm, {"state": "open"}, "Open sensor alarms",
     "Acknowledge the ones you have taken in hand."),
)  # fmt: skip


def _counts(models: set, *, now) -> dict[str, int]:
    """One query per model in `models`, none for the others."""
    counts: dict[str, int] = {}
    if Pickup in models:
        reasons = pickup_reasons(now=now)
        counts |= Pickup.objects.aggregate(
            **{key: Count("pk", filter=reasons[key]) for key in ("unmatched", "stuck", "missed")}
        )
    if Offer in models:
        counts["overdue_offers"] = Offer.objects.filter(overdue_offers(now=now)).count()
    if Hauler in models:
        counts["pending_haulers"] = Hauler.objects.filter(status=Hauler.Status.PENDING).count()
    if Credential in models:
        today = timezone.localdate(now)
        counts["credentials"] = Credential.objects.filter(credentials_awaiting_verification(today=today)).count()
    if Payment in models:
        counts["failed_payments"] = Payment.objects.filter(status=Payment.Status.FAILED).count()
    if Alarm in models:
        counts["open_alarms"] = Alarm.objects.filter(closed_at__isnull=True).count()
    return counts


def queues(request, *, site, now=None) -> list[Queue]:
    """The queues this user may open, each with its count and a link to its filtered change list."""
    visible = {
        model
        for model in {row[1] for row in QUEUES}
        if model in site._registry and site._registry[model].has_view_or_change_permission(request)
    }
    counts = _counts(visible, now=now or timezone.now())
    rows = []
    for key, model, query, label, next_step in QUEUES:
        if model not in visible:
            continue
        opts = model._meta
        url = reverse(f"{site.name}:{opts.app_label}_{opts.model_name}_changelist") + "?" + urlencode(query)
        rows.append(Queue(key=key, label=label, next_step=next_step, count=counts[key], url=url))
    return rows
