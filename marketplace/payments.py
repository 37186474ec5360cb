"""What the market owes and is owed, handed to billing: which pickups are charged, invoiced and credited.

A completed one-time pickup is charged its snapshotted price; a late cancellation its fee (HaulMatch keeps it);
a skipped visit, a cancellation without a fee and a missed pickup are charged nothing. Plan visits are invoiced
monthly, completed ones at their price and ones skipped or cancelled too late at their fee. A missed pickup credits
the business MISSED_PICKUP_CREDIT_CENTS (at most its price).
"""

import datetime as dt
from itertools import groupby

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from billing import charges, refunds
from billing.models import Payment
from billing.stripe_gateway import GatewayError, configured
from core.enqueue import enqueue
from marketplace import makeups, webhooks
from marketplace.models import Pickup


def _attempt(payment: Payment | None, *, now: dt.datetime | None = None) -> Payment | None:
    """Try a due payment; tell the business when this attempt is the one that failed."""
    if payment is None or payment.status == Payment.Status.SUCCEEDED:
        return payment
    if payment.next_attempt_at is None or payment.next_attempt_at > (now or timezone.now()):
        # Not due: a redelivered charge task, or an invoice run meeting last month's invoice again, must not retry a
        # declined card ahead of PAYMENT_RETRY_SCHEDULE (each decline counts towards pausing bookings).
        return payment
    declines = payment.attempts
    try:
        payment = charges.attempt_payment(payment_id=payment.pk)
    except GatewayError:
        return payment  # Stripe unreachable: the retry sweep tries again
    if payment.status == Payment.Status.FAILED and payment.attempts > declines:
        enqueue("marketplace.notify", "payment_failed", payment.pk)
    webhooks.emit_payment(payment=payment)  # succeeded, or this attempt failed (once per attempt)
    return payment


def charge_pickup(*, pickup_id: int) -> Payment | None:
    """Charge a finished one-time pickup (or its late-cancellation fee) once; None when nothing is owed."""
    pickup = Pickup.objects.select_related("customer", "hauler").get(pk=pickup_id)
    if pickup.plan_id is not None:
        return None  # plan visits go on the monthly invoice
    if pickup.make_up_of_id is not None and pickup.price_cents == 0:
        makeups.book_platform_payout(pickup=pickup)  # a free redo: the platform pays its hauler
        return None
    if pickup.status == Pickup.Status.COMPLETED:
        amount, payable, hauler = pickup.price_cents, pickup.payout_cents, pickup.hauler
        description = f"{pickup.get_waste_stream_display()} pickup on {pickup.service_date:%b %-d, %Y}"
    elif pickup.status == Pickup.Status.CANCELLED and pickup.cancellation_fee_cents:
        amount, payable, hauler = pickup.cancellation_fee_cents, 0, None
        description = f"Late cancellation of the pickup on {pickup.service_date:%b %-d, %Y}"
    else:
        return None
    if not configured():
        return None
    payment = charges.bill_pickup(
        pickup=pickup,
        customer=pickup.customer,
        hauler=hauler,
        amount_cents=amount,
        payable_cents=payable,
        description=description,
    )
    return _attempt(payment)


def due_payment_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Payments due a (re)try (none while payments are off)."""
    return charges.due_payment_ids(now=now) if configured() else []


def attempt_payment(*, payment_id: int, now: dt.datetime | None = None) -> Payment:
    """Try one payment if it is due, telling the business when it fails."""
    return _attempt(Payment.objects.get(pk=payment_id), now=now)


def retry_payments(*, now: dt.datetime | None = None) -> int:
    """The sweep in one go: every payment due a (re)try is tried; returns how many succeeded."""
    paid = 0
    for payment_id in due_payment_ids(now=now):
        paid += attempt_payment(payment_id=payment_id, now=now).status == Payment.Status.SUCCEEDED
    return paid


def retry_failed_payments(*, customer_id: int, now: dt.datetime | None = None) -> int:
    """A new card: each failed payment of the business due again is tried now; returns how many succeeded.

    Safe to run twice and beside the sweep: a payment paid meanwhile is skipped, one declined again is not due until
    its next retry, and a charge in flight has the same idempotency key whoever sends it.
    """
    due = Payment.objects.filter(
        customer_id=customer_id, status=Payment.Status.FAILED, next_attempt_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)
    paid = 0
    for payment_id in list(due):
        paid += attempt_payment(payment_id=payment_id, now=now).status == Payment.Status.SUCCEEDED
    return paid


def payment_changed(*, payment_id: int) -> int:
    """A payment Stripe's webhook settled or failed: the business's webhook endpoints hear of it."""
    return webhooks.emit_payment(payment=Payment.objects.select_related("customer").get(pk=payment_id))


def issue_invoices(*, today: dt.date | None = None) -> list:
    """Invoice every business for the plan visits completed before this month and not yet invoiced."""
    if not configured():
        return []
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    late_notice = Q(status__in=[Pickup.Status.SKIPPED, Pickup.Status.CANCELLED], cancellation_fee_cents__gt=0)
    visits = (
        Pickup.objects.filter(Q(status=Pickup.Status.COMPLETED) | late_notice)
        .filter(plan__isnull=False, service_date__lt=this_month, invoice_line__isnull=True)
        .select_related("customer", "location")
        .order_by("customer_id", "service_date", "pk")
    )
    invoices = []
    for _, group in groupby(visits, key=lambda pickup: pickup.customer_id):
        group = list(group)
        lines = [_invoice_line(visit) for visit in group]
        invoice = charges.issue_invoice(customer=group[0].customer, month=last_month, lines=lines)
        if invoice is not None:
            invoices.append(invoice)
            webhooks.emit_invoice(invoice=invoice)
            _attempt(Payment.objects.filter(invoice=invoice).first())
    return invoices


def _invoice_line(visit: Pickup) -> dict:
    what = f"{visit.get_waste_stream_display()}, {visit.get_container_display().lower()} x {visit.quantity}"
    line = {"pickup": visit, "service_date": visit.service_date}
    if visit.status != Pickup.Status.COMPLETED:  # skipped or cancelled too late: the fee, which HaulMatch keeps
        return {
            **line,
            "hauler_id": None,
            "description": f"Late cancellation: {what.lower()} at {visit.location.name}",
            "amount_cents": visit.cancellation_fee_cents,
            "payable_cents": 0,
        }
    return {
        **line,
        "hauler_id": visit.hauler_id,
        "description": f"{what} at {visit.location.name}",
        "amount_cents": visit.price_cents,
        "payable_cents": visit.payout_cents,
    }


def credit_missed_pickup(*, pickup_id: int):
    """A pickup the hauler missed credits the business (once per pickup)."""
    pickup = Pickup.objects.select_related("customer").get(pk=pickup_id)
    if pickup.status != Pickup.Status.MISSED or pickup.exception_reason:
        return None  # only a no-show; a visit the hauler could not service is not the hauler's fault
    amount = min(settings.MISSED_PICKUP_CREDIT_CENTS, pickup.price_cents)
    return refunds.grant_credit(
        customer=pickup.customer,
        amount_cents=amount,
        reason=f"Missed pickup on {pickup.service_date:%b %-d, %Y}",
        key=f"missed:{pickup.pk}",
        pickup=pickup,
    )
