"""Celery tasks: thin edges that take ids, load rows and call one service.

Every task is safe to run twice (acks_late re-delivers after a lost worker): the services
they call lock, re-check the state and return early when the work is already done.
"""

import datetime as dt
import smtplib
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from billing.stripe_gateway import StripeUnreachable
from marketplace import (
    alarms,
    bins,
    compliance,
    dispatch,
    disputes,
    followup,
    makeups,
    notifications,
    payments,
    plans,
    reliability,
    routes,
    webhooks,
)
from sensors import state as sensor_state


@shared_task(name="marketplace.ping")
def ping() -> str:
    """Answer 'pong': lets operators and tests check that a worker is consuming."""
    return "pong"


@shared_task(name="marketplace.dispatch_pickup")
def dispatch_pickup(pickup_id: int) -> int:
    """Offer a pickup to the next best hauler(s)."""
    return len(dispatch.dispatch_pickup(pickup_id=pickup_id))


@shared_task(name="marketplace.expire_offers")
def expire_offers() -> int:
    """Beat, every minute: expire offers past their answer-by time; the cascade moves on."""
    return sum(dispatch.expire_offer(offer_id=offer_id) for offer_id in dispatch.due_offer_ids())


@shared_task(name="marketplace.dispatch_stale")
def dispatch_stale() -> int:
    """Beat, every five minutes: dispatch requested pickups whose dispatch task was lost."""
    stale = dispatch.stale_requested_ids()
    for pickup_id in stale:
        dispatch.dispatch_pickup(pickup_id=pickup_id)
    return len(stale)


@shared_task(name="marketplace.update_reliability")
def update_reliability(hauler_id: int) -> str:
    """Recompute a hauler's reliability score after an event."""
    return str(reliability.update_reliability(hauler_id=hauler_id))


@shared_task(name="marketplace.refresh_reliability")
def refresh_reliability() -> int:
    """Beat, nightly: every active hauler's score, as its 90 days move on without any event; a task each."""
    ids = reliability.active_hauler_ids()
    for hauler_id in ids:
        update_reliability.delay(hauler_id)
    return len(ids)


# Transient failures (the mail server or the network) are retried with exponential backoff;
# anything else is a bug and fails loudly. The notification's dedupe key makes a retry send once.
TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(name="marketplace.notify", autoretry_for=TRANSIENT, retry_backoff=30, retry_backoff_max=900, max_retries=6)
def notify(kind: str, object_id: int) -> int:
    """Send the messages for one event; returns how many were sent."""
    return notifications.send(kind, object_id)


@shared_task(name="marketplace.check_compliance")
def check_compliance() -> dict:
    """Beat, hourly: credential reminders; lapsed haulers' jobs and offers move on."""
    return compliance.check_compliance()


@shared_task(name="marketplace.send_reminders")
def send_reminders() -> int:
    """Beat, every 15 minutes: day-before reminders at 17:00 local."""
    return followup.send_reminders()


@shared_task(name="marketplace.detect_missed")
def detect_missed() -> int:
    """Beat, every 15 minutes: scheduled pickups an hour past their window become missed."""
    return followup.detect_missed()


@shared_task(name="marketplace.generate_plan_visits")
def generate_plan_visits(plan_id: int) -> int:
    """Create one plan's visits ahead (right after a hauler takes it)."""
    return len(plans.generate_visits(plan_id=plan_id))


@shared_task(name="marketplace.generate_all_plan_visits")
def generate_all_plan_visits() -> int:
    """Beat, every six hours: end finished plans; create every active plan's visits ahead. Idempotent."""
    from django.utils import timezone

    plans.end_finished_plans(today=timezone.localdate())
    return sum(len(plans.generate_visits(plan_id=plan_id)) for plan_id in plans.active_plan_ids())


@shared_task(name="marketplace.evaluate_device")
def evaluate_device(device_id: int) -> str:
    """After new readings: book (or suggest) a pickup for a full bin, then its alarms (booking may clear one)."""
    outcome = bins.evaluate_device(device_id=device_id)
    alarms.check(device_ids=[device_id])
    return outcome


@shared_task(name="marketplace.evaluate_devices")
def evaluate_devices(device_ids: list[int]) -> dict:
    """After a batch of new readings: the devices' forecasts, each one's collect rules, then their alarms."""
    sensor_state.refresh(device_ids)
    outcomes = Counter(bins.evaluate_device(device_id=device_id) for device_id in sorted(set(device_ids)))
    alarms.check(device_ids=device_ids)
    return dict(outcomes)  # how many devices came to each outcome, for the worker's log


@shared_task(name="marketplace.check_alarms")
def check_alarms() -> int:
    """Beat, every five minutes: every watched bin's alarm rules; returns how many alarms opened."""
    return len(alarms.check())


@shared_task(name="marketplace.skip_empty_visits")
def skip_empty_visits() -> int:
    """Beat, every 15 minutes: skip plan visits whose bin was nearly empty at the cutoff."""
    return bins.skip_empty_visits()


@shared_task(name="marketplace.charge_pickup")
def charge_pickup(pickup_id: int) -> str:
    """Charge a finished one-time pickup (or its late-cancellation fee)."""
    payment = payments.charge_pickup(pickup_id=pickup_id)
    return payment.status if payment else "nothing owed"


@shared_task(name="marketplace.retry_payments")
def retry_payments() -> int:
    """Beat, every 15 minutes: each payment due a (re)try gets a task of its own."""
    due = payments.due_payment_ids()
    for payment_id in due:
        attempt_payment.delay(payment_id)
    return len(due)


@shared_task(name="marketplace.attempt_payment")
def attempt_payment(payment_id: int) -> str:
    """Try one due payment (a payment not due is left alone)."""
    return payments.attempt_payment(payment_id=payment_id).status


@shared_task(name="marketplace.retry_failed_payments")
def retry_failed_payments(customer_id: int) -> int:
    """A business saved a new card: its failed payments are tried again at once, not at the next sweep."""
    return payments.retry_failed_payments(customer_id=customer_id)


@shared_task(name="marketplace.payment_changed")
def payment_changed(payment_id: int) -> int:
    """Stripe's webhook settled or failed a payment: its webhook event goes out (once per outcome, as ever)."""
    return payments.payment_changed(payment_id=payment_id)


@shared_task(name="marketplace.issue_invoices")
def issue_invoices() -> int:
    """Beat, every six hours: last month's plan visits are invoiced (once) and charged, INVOICE_GRACE after it ends."""
    return len(payments.issue_invoices(today=timezone.localdate() - settings.INVOICE_GRACE))


@shared_task(name="marketplace.credit_missed_pickup")
def credit_missed_pickup(pickup_id: int) -> bool:
    """A missed pickup credits the business."""
    return payments.credit_missed_pickup(pickup_id=pickup_id) is not None


@shared_task(name="marketplace.make_up_missed")
def make_up_missed(pickup_id: int) -> int | None:
    """A missed pickup gets its make-up visit, once; returns the make-up's id (None when none was booked)."""
    make_up = makeups.make_up_missed(pickup_id=pickup_id)
    return make_up.pk if make_up else None


@shared_task(name="marketplace.plan_day", soft_time_limit=60, time_limit=90)
def plan_day(hauler_id: int, day: str) -> int:
    """Re-plan a hauler's day after it changed (searches at most ROUTE_SOLVE_SECONDS); returns the km planned."""
    plan = routes.plan_day(hauler_id=hauler_id, day=dt.date.fromisoformat(day))
    return round(plan.distance_m / 1000)


# --- Outbound webhooks ---


@shared_task(name="marketplace.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str:
    """Send one webhook delivery if it is due (claimed under its row lock); returns its status."""
    delivery = webhooks.deliver(delivery_id=delivery_id)
    return delivery.status if delivery else "not due"


@shared_task(name="marketplace.retry_webhooks")
def retry_webhooks() -> int:
    """Beat, every minute: each webhook delivery due a (re)try gets a task of its own."""
    due = webhooks.due_delivery_ids()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(name="marketplace.prune_webhook_log")
def prune_webhook_log() -> int:
    """Beat, daily: deliveries older than WEBHOOK_LOG_RETENTION leave the log."""
    return webhooks.prune_log()


# --- Card disputes (billing records them from Stripe's events and enqueues these by name) ---


@shared_task(name="marketplace.open_dispute_case", autoretry_for=(StripeUnreachable,), retry_backoff=60, max_retries=8)
def open_dispute_case(dispute_id: int) -> int:
    """Open a new dispute's case and stage its evidence packet at Stripe; returns the case's id."""
    return disputes.open_case(dispute_id=dispute_id).pk


@shared_task(name="marketplace.dispute_closed")
def dispute_closed(dispute_id: int) -> str:
    """A dispute Stripe closed: its case becomes won or lost and both sides are told; returns the case's status."""
    return disputes.settle_case(dispute_id=dispute_id).status
