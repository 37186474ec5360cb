"""What a business is charged: a pickup's or a monthly invoice's payment, credit spent first, attempts and retries.

The market decides what is owed (it knows prices, payouts and pickup states) and calls these with amounts; these
move the money through the gateway and record it in the ledger. Network calls happen outside row locks; every
state change re-checks under a lock, so a retried task or a replayed webhook finds the work done and returns.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing import cards, ledger
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Invoice, InvoiceLine, LedgerEntry, Payment
from billing.stripe_gateway import GatewayError, PaymentDeclined, RequestRefused
from core.enqueue import enqueue

Kind = LedgerEntry.Kind
# Stripe's smallest card charge in USD: a balance below it is left to credit rather than charged.
MIN_CHARGE_CENTS = 50
# A payment that could not reach Stripe is tried again after this long.
GATEWAY_RETRY_AFTER = dt.timedelta(minutes=15)


def bill_pickup(*, pickup, customer, hauler, amount_cents: int, payable_cents: int, description: str) -> Payment | None:
    """Open the payment for a one-time pickup (or its late-cancellation fee) once; None if nothing is owed.

    The customer's credit is spent first; the rest is charged by `attempt_payment`.
    """
    if amount_cents <= 0:
        return None
    if not 0 <= payable_cents <= amount_cents:
        raise ValueError("The hauler's payable must lie between zero and the amount.")
    with transaction.atomic():
        cards.locked_account(customer)  # serialises credit spending for this business
        existing = Payment.objects.filter(pickup=pickup).first()
        if existing is not None:
            return existing
        return _open_payment(
            customer=customer,
            pickup=pickup,
            description=description[:200],
            amount_cents=amount_cents,
            credit_cents=_credit_to_apply(customer.pk, amount_cents),
            hauler=hauler,
            payable_cents=payable_cents,
        )


def _open_payment(**fields) -> Payment:
    """A new payment, due now; one that credit pays in full is settled at once (the caller holds the account lock)."""
    payment = Payment.objects.create(currency=settings.CURRENCY, next_attempt_at=timezone.now(), **fields)
    if payment.charged_cents == 0:
        _settle(payment, payment_intent_id="")
    return payment


def credit_of(*, customer_id: int) -> dict:
    """A business's credit: free to spend, and set aside by payments not yet settled.

    Credit applied to a payment enters the ledger only when the payment settles; until then it is reserved.
    """
    balance = ledger.credit_balance_cents(customer_id=customer_id)
    reserved = Payment.objects.filter(
        customer_id=customer_id, status__in=[Payment.Status.PENDING, Payment.Status.FAILED]
    ).aggregate(cents=Sum("credit_cents", default=0))["cents"]
    return {"credit_cents": max(0, balance - reserved), "credit_reserved_cents": min(balance, reserved)}


def _credit_to_apply(customer_id: int, amount_cents: int) -> int:
    """Credit to spend on a new payment: what is free, leaving the card Stripe's minimum or nothing."""
    credit = min(credit_of(customer_id=customer_id)["credit_cents"], amount_cents)
    if 0 < amount_cents - credit < MIN_CHARGE_CENTS:  # leave at least Stripe's minimum to charge, or nothing
        credit = max(0, amount_cents - MIN_CHARGE_CENTS)
    return credit


def attempt_payment(*, payment_id: int) -> Payment:
    """Charge what a payment still owes to the saved card; records success or the decline. Safe to repeat.

    The idempotency key names the payment and how many declines it has had, so a retry after a crash (no outcome
    recorded) sends the same request and Stripe answers with the same PaymentIntent instead of charging again.
    """
    payment = Payment.objects.select_related("customer__billing").get(pk=payment_id)
    if payment.status == Payment.Status.SUCCEEDED:
        return payment
    if payment.stripe_payment_intent_id:
        earlier = _earlier_intent(payment)
        if earlier is not None:
            return earlier
    account = payment.customer.billing
    if not account.has_card:
        return _record_failure(payment.pk, "No card is saved.", declines=payment.attempts)
    try:
        charged = gateway.charge(
            idempotency_key=f"charge:payment:{payment.pk}:{payment.attempts}",
            customer_id=account.stripe_customer_id,
            payment_method_id=account.payment_method_id,
            amount_cents=payment.charged_cents,
            currency=payment.currency,
            description=payment.description,
            metadata={"payment": str(payment.pk), "customer": str(payment.customer_id)},
        )
    except PaymentDeclined as exc:
        return _record_failure(payment.pk, str(exc), declines=payment.attempts, payment_intent_id=exc.payment_intent_id)
    except RequestRefused as exc:
        # Refused outright (a detached card, an amount below Stripe's minimum): sending it again every few minutes
        # would fail the same way for ever, unseen; it fails like a decline, on the retry schedule, and is shown.
        message = f"The card on file could not be charged ({exc}). Update your card or contact us."
        return _record_failure(payment.pk, message, declines=payment.attempts)
    except GatewayError:
        _try_again_later(payment.pk)
        raise
    if charged.status == "succeeded":
        return _settle_once(payment.pk, payment_intent_id=charged.payment_intent_id)
    # processing: a webhook (or the reconcile) settles it later
    Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=charged.payment_intent_id)
    return Payment.objects.get(pk=payment.pk)


def _earlier_intent(payment: Payment) -> Payment | None:
    """Settle or wait on the PaymentIntent an earlier attempt left, before a new one is made; None to go on.

    Stripe forgets an idempotency key after a day and replays a stale answer until then, so a payment still
    processing is asked about, not charged again; one that succeeded late (the holder answered the bank's check) is
    settled; one waiting on its holder is cancelled, so it cannot be completed after the card is charged again.
    """
    try:
        earlier = gateway.retrieve_charge(payment.stripe_payment_intent_id)
        if earlier.status in ("requires_action", "requires_confirmation"):
            gateway.cancel_charge(payment.stripe_payment_intent_id)
    except GatewayError:
        _try_again_later(payment.pk)
        raise
    if earlier.status == "succeeded":
        return _settle_once(payment.pk, payment_intent_id=earlier.payment_intent_id)
    if earlier.status == "processing":  # its outcome arrives by webhook; the sweep asks again meanwhile
        _try_again_later(payment.pk)
        return Payment.objects.get(pk=payment.pk)
    if payment.status == Payment.Status.PENDING and earlier.status in ("requires_payment_method", "canceled"):
        return _record_failure(payment.pk, "Your card was declined.", declines=payment.attempts)
    return None


def _settle_once(payment_id: int, *, payment_intent_id: str) -> Payment:
    """Settle a payment Stripe says succeeded, unless something settled it meanwhile."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status != Payment.Status.SUCCEEDED:
            _settle(payment, payment_intent_id=payment_intent_id)
        return payment


def _try_again_later(payment_id: int) -> None:
    """A pending payment whose outcome is unknown (Stripe unreachable, or still processing) is asked about again."""
    Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        next_attempt_at=timezone.now() + GATEWAY_RETRY_AFTER
    )


def _record_failure(payment_id: int, message: str, *, declines: int, payment_intent_id: str = "") -> Payment:
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status == Payment.Status.SUCCEEDED or payment.attempts != declines:
            return payment  # settled meanwhile, or this decline is already counted
        payment.status = Payment.Status.FAILED
        payment.attempts += 1
        payment.failure_message = message[:300]
        schedule = settings.PAYMENT_RETRY_SCHEDULE
        payment.next_attempt_at = (
            timezone.now() + schedule[payment.attempts - 1] if payment.attempts <= len(schedule) else None
        )
        if payment_intent_id:
            payment.stripe_payment_intent_id = payment_intent_id
        payment.save()
        if payment.invoice_id:
            Invoice.objects.filter(pk=payment.invoice_id).update(status=Invoice.Status.FAILED)
        account = cards.locked_account(payment.customer)
        account.failed_payments += 1
        if account.failed_payments >= settings.PAYMENT_FAILURES_BEFORE_PAUSE and account.bookings_paused_at is None:
            account.bookings_paused_at = timezone.now()
        account.save(update_fields=["failed_payments", "bookings_paused_at", "updated_at"])
    return payment


def _settle(payment: Payment, *, payment_intent_id: str) -> None:
    """Mark a payment paid and write its ledger entries (the caller holds its lock)."""
    payment.status = Payment.Status.SUCCEEDED
    payment.paid_at = timezone.now()
    payment.next_attempt_at = None
    payment.failure_message = ""
    if payment_intent_id:
        payment.stripe_payment_intent_id = payment_intent_id
    payment.save()
    # The account's row lock (this update's, or the caller's when credit paid it all) keeps a payment being opened
    # from reading the credit balance and the reservations either side of this commit and spending the credit twice.
    if payment.charged_cents:  # the card paid: the run of failures is over (credit alone proves nothing of the card)
        account = BillingAccount.objects.filter(customer_id=payment.customer_id)
        account.update(failed_payments=0, bookings_paused_at=None)
    parts = (
        [(line.pickup_id, line.hauler_id, line.amount_cents, line.credit_cents, line.payable_cents)
         for line in payment.invoice.lines.all()]
        if payment.invoice_id
        else [(payment.pickup_id, payment.hauler_id, payment.amount_cents, payment.credit_cents, payment.payable_cents)]
    )  # fmt: skip
    for pickup_id, hauler_id, amount, credit, payable in parts:
        refs = {"customer_id": payment.customer_id, "pickup_id": pickup_id, "payment": payment}
        ledger.post(kind=Kind.CHARGE, amount_cents=amount - credit, key=f"charge:{payment.pk}:{pickup_id}", **refs)
        if credit:
            ledger.post(kind=Kind.CREDIT, amount_cents=credit, key=f"credit:{payment.pk}:{pickup_id}", **refs)
        if payable:
            ledger.post(
                kind=Kind.HAULER_PAYABLE,
                amount_cents=payable,
                key=f"payable:{payment.pk}:{pickup_id}",
                hauler_id=hauler_id,
                **refs,
            )
        ledger.post(kind=Kind.PLATFORM_FEE, amount_cents=amount - payable, key=f"fee:{payment.pk}:{pickup_id}", **refs)
    if payment.invoice_id:
        Invoice.objects.filter(pk=payment.invoice_id).update(status=Invoice.Status.PAID)


def due_payment_ids(*, now=None) -> list[int]:
    """Payments waiting for a (re)try: new, failed with a retry due, or left pending by a network error."""
    now = now or timezone.now()
    return list(
        Payment.objects.filter(
            status__in=[Payment.Status.PENDING, Payment.Status.FAILED], next_attempt_at__lte=now
        ).values_list("pk", flat=True)
    )


def sync_payment(*, payment_intent_id: str) -> Payment | None:
    """Bring a payment up to Stripe's current state (webhooks re-fetch; a payment never moves backwards)."""
    payment = Payment.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
    if payment is None or payment.status == Payment.Status.SUCCEEDED:
        return payment
    before = payment.status
    charged = gateway.retrieve_charge(payment_intent_id)
    if charged.status == "succeeded":
        payment = _settle_once(payment.pk, payment_intent_id=payment_intent_id)
    elif charged.status in ("requires_payment_method", "canceled") and payment.status == Payment.Status.PENDING:
        payment = _record_failure(payment.pk, "Your card was declined.", declines=payment.attempts)
    if payment.status != before:
        # Settled here rather than by the charge itself (3-D Secure, a delayed method): the market tells the
        # business's webhooks, by task name, as billing knows nothing of the market.
        enqueue("marketplace.payment_changed", payment.pk)
    return payment


# --- Monthly invoices ----------------------------------------------------------------------------------------


def issue_invoice(*, customer, month: dt.date, lines: list[dict]) -> Invoice | None:
    """The month's invoice for a business's recurring service, once; None when there is nothing to bill.

    `lines`: dicts of pickup, hauler, service_date, description, amount_cents, payable_cents. Credit is spent line
    by line so that each pickup's books balance on their own.
    """
    month = month.replace(day=1)
    with transaction.atomic():
        cards.locked_account(customer)
        existing = Invoice.objects.filter(customer=customer, month=month).first()
        if existing is not None:
            return existing
        lines = [line for line in lines if line["amount_cents"] > 0]
        if not lines:
            return None
        subtotal = sum(line["amount_cents"] for line in lines)
        credit_left = _credit_to_apply(customer.pk, subtotal)
        invoice = Invoice.objects.create(
            customer=customer,
            month=month,
            number=f"HM-{month:%Y%m}-{customer.pk:05d}",
            subtotal_cents=subtotal,
            credit_cents=credit_left,
            total_cents=subtotal - credit_left,
            currency=settings.CURRENCY,
        )
        for line in lines:
            credit = min(credit_left, line["amount_cents"])
            credit_left -= credit
            InvoiceLine.objects.create(invoice=invoice, credit_cents=credit, **line)
        _open_payment(
            customer=customer,
            invoice=invoice,
            description=f"Invoice {invoice.number}",
            amount_cents=subtotal,
            credit_cents=invoice.credit_cents,
        )
    return invoice
