"""Credentials over time: remind haulers before they expire; when one lapses, move its work on.

Matching already refuses a hauler whose licence or insurance does not cover the service date.
This sweep (beat, hourly, idempotent) handles what was agreed before the lapse, or before staff
suspended the hauler: scheduled jobs go back into the cascade, pending offers are withdrawn, and
the hauler and staff are told. Only credentials staff have checked count.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.enqueue import enqueue
from core.transitions import transition
from haulers.models import Credential, Hauler
from marketplace import dispatch
from marketplace.models import Offer, Pickup, ServicePlan

REMINDER_DAYS = (30, 7)


def _covered(kind: str, hauler_ref: str, date_ref: str):
    return Exists(
        Credential.objects.filter(
            hauler=OuterRef(hauler_ref),
            kind=kind,
            valid_from__lte=OuterRef(date_ref),
            expires_on__gte=OuterRef(date_ref),
            verified_at__isnull=False,
        )
    )


def _uncovered(hauler_ref: str, date_ref: str) -> Q:
    """No checked licence or insurance for the date, or the hauler is no longer active (suspended)."""
    inactive = hauler_ref.removesuffix("_id") + "__status"
    return (
        ~Q(_covered(Credential.Kind.LICENCE, hauler_ref, date_ref))
        | ~Q(_covered(Credential.Kind.INSURANCE, hauler_ref, date_ref))
        | ~Q(**{inactive: Hauler.Status.ACTIVE})
    )


def expiring_credentials(*, today: dt.date, days: int):
    """Credentials whose last valid day is `days` from today, with no newer one of the same kind to follow."""
    successor = Credential.objects.filter(
        hauler=OuterRef("hauler"), kind=OuterRef("kind"), expires_on__gt=OuterRef("expires_on")
    )
    return Credential.objects.filter(expires_on=today + dt.timedelta(days=days)).exclude(Exists(successor))


def remind_expiring(*, today: dt.date) -> int:
    """Tell each hauler 30 and 7 days before a credential expires (once each: the notifications dedupe)."""
    sent = 0
    for days in REMINDER_DAYS:
        for credential_id in expiring_credentials(today=today, days=days).values_list("pk", flat=True):
            enqueue("marketplace.notify", f"credential_expires_in_{days}_days", credential_id)
            sent += 1
    return sent


def _lapsed_jobs():
    return Pickup.objects.filter(status=Pickup.Status.SCHEDULED).filter(_uncovered("hauler_id", "service_date"))


def _lapsed_offers():
    return Offer.objects.filter(status=Offer.Status.PENDING).filter(_uncovered("hauler_id", "pickup__service_date"))


def lapsed_job_ids(*, today: dt.date) -> list[int]:
    """Scheduled pickups from today on whose hauler's licence or insurance does not cover the service date."""
    return list(_lapsed_jobs().filter(service_date__gte=today).values_list("pk", flat=True))


def lapsed_offer_ids(*, today: dt.date) -> list[int]:
    """Pending offers to haulers whose credentials do not cover the pickup's date."""
    return list(_lapsed_offers().filter(pickup__service_date__gte=today).values_list("pk", flat=True))


def release_lapsed_job(*, pickup_id: int) -> bool:
    """Give a lapsed hauler's scheduled job to the cascade again; False if it no longer applies."""
    with transaction.atomic():
        pickup = dispatch.locked_pickup(pickup_id)
        if not _lapsed_jobs().filter(pk=pickup_id).exists():  # renewed meanwhile, or no longer scheduled
            return False
        hauler = pickup.hauler
        dispatch.redispatch(
            pickup=pickup, reason=f"{hauler.name} is suspended or its licence or insurance does not cover this date"
        )
        _free_plan(pickup, hauler)
        enqueue("marketplace.notify", "pickup_lapsed_hauler", pickup.pk)
    return True


def _free_plan(pickup: Pickup, hauler) -> None:
    """A plan whose hauler can no longer serve it looks for a new one: whoever takes its next visit takes it."""
    if pickup.plan_id is None:
        return
    plan = ServicePlan.objects.select_for_update().get(pk=pickup.plan_id)
    if plan.status == ServicePlan.Status.ACTIVE and plan.hauler_id == hauler.pk:
        transition(
            plan, ServicePlan.Status.PENDING, reason=f"{hauler.name} can no longer serve it", fields={"hauler": None}
        )


def withdraw_lapsed_offer(*, offer_id: int) -> bool:
    """Withdraw a pending offer its hauler can no longer take, and move the cascade on."""
    pickup_id = Offer.objects.filter(pk=offer_id).values_list("pickup_id", flat=True).first()
    if pickup_id is None:
        return False
    with transaction.atomic():
        pickup = dispatch.locked_pickup(pickup_id)
        offer = Offer.objects.select_for_update().get(pk=offer_id)
        if not _lapsed_offers().filter(pk=offer_id).exists():
            return False
        transition(offer, Offer.Status.WITHDRAWN, reason="The hauler's licence or insurance does not cover the date")
        enqueue("marketplace.notify", "offer_withdrawn", offer.pk)
        dispatch.move_on(pickup)
    return True


def check_compliance(*, today: dt.date | None = None) -> dict:
    """The hourly sweep: reminders, then lapsed jobs and offers."""
    today = today or timezone.localdate()
    with transaction.atomic():
        reminders = remind_expiring(today=today)
    released = sum(release_lapsed_job(pickup_id=pk) for pk in lapsed_job_ids(today=today))
    withdrawn = sum(withdraw_lapsed_offer(offer_id=pk) for pk in lapsed_offer_ids(today=today))
    return {"reminders": reminders, "released": released, "withdrawn": withdrawn}
