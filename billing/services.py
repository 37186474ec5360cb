"""Billing's writes: cards, payments and their retries, invoices, refunds, credits and payouts.

The market decides what is owed (it knows prices, payouts and pickup states) and calls these with amounts; these
move the money through the gateway and record it in the ledger. Network calls happen outside row locks; every
state change re-checks under a lock, so a retried task or a replayed webhook finds the work done and returns.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from billing import ledger
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Invoice, InvoiceLine, LedgerEntry, Payment, Payout, PayoutAccount, Refund
from billing.stripe_gateway import GatewayError, PaymentDeclined, RequestRefused, StripeUnreachable
from core.errors import Conflict

Kind = LedgerEntry.Kind
# Stripe's smallest card charge in USD: a balance below it is left to credit rather than charged.
MIN_CHARGE_CENTS = 50
# A payment that could not reach Stripe is tried again after this long.
GATEWAY_RETRY_AFTER = dt.timedelta(minutes=15)
# A refund Stripe did not answer for is sent again by the sweep once this old (never while its first send may run).
REFUND_RESEND_AFTER = dt.timedelta(minutes=5)
# Stripe's codes for a transfer refused only for now (the platform's balance is short until charges settle): the
# payout stays pending and the next run sends it again. Any other refusal fails the payout.
TEMPORARY_TRANSFER_REFUSALS = frozenset({"balance_insufficient"})
# The reason a refund made at Stripe itself (its Dashboard) is booked with.
OUTSIDE_REFUND_REASON = "Refunded outside HaulMatch (Stripe Dashboard)"


# --- Cards ---------------------------------------------------------------------------------------------------


def account_of(*, customer) -> BillingAccount:
    """The business's billing account (created empty on first use)."""
    account, _ = BillingAccount.objects.get_or_create(customer=customer)
    return account


def _locked_account(customer) -> BillingAccount:
    account_of(customer=customer)
    return BillingAccount.objects.select_for_update().get(customer=customer)


def ensure_stripe_customer(*, customer) -> BillingAccount:
    """The business's Stripe customer, created once (the idempotency key covers a crash before it is saved)."""
    account = account_of(customer=customer)
    if account.stripe_customer_id:
        return account
    stripe_id = gateway.create_customer(
        idempotency_key=f"customer:{customer.pk}",
        name=customer.name,
        email=customer.billing_email,
        metadata={"customer": str(customer.pk)},
    )
    with transaction.atomic():
        account = _locked_account(customer)
        if not account.stripe_customer_id:
            account.stripe_customer_id = stripe_id
            account.save(update_fields=["stripe_customer_id", "updated_at"])
    return account


def start_card_setup(*, customer) -> tuple[str, str]:
    """A SetupIntent for the card page: (id, client secret). A new one per visit; unused ones simply lapse."""
    account = ensure_stripe_customer(customer=customer)
    with transaction.atomic():
        account = _locked_account(customer)
        account.setup_attempts += 1
        account.save(update_fields=["setup_attempts", "updated_at"])
    return gateway.create_setup_intent(
        idempotency_key=f"setup:customer:{customer.pk}:{account.setup_attempts}",
        customer_id=account.stripe_customer_id,
    )


def save_card(*, customer, setup_intent_id: str) -> BillingAccount:
    """Keep the card a confirmed SetupIntent saved; a fixed card lifts a booking pause and clears the failure count."""
    account = ensure_stripe_customer(customer=customer)
    try:
        card = gateway.saved_card(setup_intent_id=setup_intent_id, customer_id=account.stripe_customer_id)
    except PaymentDeclined as exc:
        raise ValidationError({"card": str(exc)}) from exc
    with transaction.atomic():
        # Failed payments are due again now, with the new card. Their rows are locked before the account's, the
        # order a payment settling or failing takes them in: the other order deadlocks with it on PostgreSQL.
        Payment.objects.filter(customer=customer, status=Payment.Status.FAILED).update(next_attempt_at=timezone.now())
        account = _locked_account(customer)
        account.payment_method_id = card.payment_method_id
        account.card_brand, account.card_last4 = card.brand, card.last4
        account.card_exp_month, account.card_exp_year = card.exp_month, card.exp_year
        account.failed_payments = 0
        account.bookings_paused_at = None
        account.save()
    return account


def save_test_card(*, customer, number: str, exp_month: int, exp_year: int, cvc: str) -> BillingAccount:
    """Development and tests only (a local Stripe stand-in): save a raw test card number via a SetupIntent."""
    if not gateway.test_cards_allowed():
        raise Conflict("Card numbers are never sent through this server; use the secure card form.")
    setup_intent_id, _ = start_card_setup(customer=customer)
    try:
        gateway.confirm_setup_intent_with_test_card(
            setup_intent_id=setup_intent_id, number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc
        )
    except (PaymentDeclined, GatewayError) as exc:
        raise ValidationError({"number": str(exc)}) from exc
    return save_card(customer=customer, setup_intent_id=setup_intent_id)


def booking_block(*, customer) -> str | None:
    """Why this business cannot book right now (no usable card, or payments failing), or None."""
    if not gateway.configured():
        return None
    account = BillingAccount.objects.filter(customer=customer).first()
    if account is None or not account.has_card:
        return "Add a payment card before booking: pickups are charged to it once they are done."
    if account.bookings_paused_at is not None:
        return (
            f"New bookings are paused: {account.failed_payments} payments in a row failed. "
            "Update your card and we will retry them."
        )
    today = timezone.localdate()
    if (account.card_exp_year, account.card_exp_month) < (today.year, today.month):
        return "Your card has expired; add a new one before booking."
    return None


# --- Payments ------------------------------------------------------------------------------------------------


def bill_pickup(*, pickup, customer, hauler, amount_cents: int, payable_cents: int, description: str) -> Payment | None:
    """Open the payment for a one-time pickup (or its late-cancellation fee) once; None if nothing is owed.

    The customer's credit is spent first; the rest is charged by `attempt_payment`.
    """
    if amount_cents <= 0:
        return None
    if not 0 <= payable_cents <= amount_cents:
        raise ValueError("The hauler's payable must lie between zero and the amount.")
    with transaction.atomic():
        _locked_account(customer)  # serialises credit spending for this business
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
        account = _locked_account(payment.customer)
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
    charged = gateway.retrieve_charge(payment_intent_id)
    if charged.status == "succeeded":
        payment = _settle_once(payment.pk, payment_intent_id=payment_intent_id)
    elif charged.status in ("requires_payment_method", "canceled") and payment.status == Payment.Status.PENDING:
        payment = _record_failure(payment.pk, "Your card was declined.", declines=payment.attempts)
    return payment


# --- Monthly invoices ----------------------------------------------------------------------------------------


def issue_invoice(*, customer, month: dt.date, lines: list[dict]) -> Invoice | None:
    """The month's invoice for a business's recurring service, once; None when there is nothing to bill.

    `lines`: dicts of pickup, hauler, service_date, description, amount_cents, payable_cents. Credit is spent line
    by line so that each pickup's books balance on their own.
    """
    month = month.replace(day=1)
    with transaction.atomic():
        _locked_account(customer)
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


# --- Refunds and credits -------------------------------------------------------------------------------------


def refundable_cents(*, payment: Payment, pickup_id: int) -> int:
    """What can still be refunded for one pickup of a payment."""
    charged = sum(e.amount_cents for e in payment.entries.all() if e.kind == Kind.CHARGE and e.pickup_id == pickup_id)
    refunded = sum(r.amount_cents for r in payment.refunds.all() if r.pickup_id == pickup_id)
    return charged - refunded


def refund_payment(
    *,
    payment: Payment,
    pickup_id: int | None = None,
    amount_cents: int,
    reason: str,
    by,
    token: uuid.UUID | None = None,
) -> Refund:
    """Staff give money back on a paid payment (full or partial) with a reason; HaulMatch's fee absorbs it.

    `token` (the staff form's) makes a resubmitted request return the refund it already made.
    """
    errors = {}
    if not reason.strip():
        errors["reason"] = "Say why the money is given back."
    if amount_cents <= 0:
        errors["amount_cents"] = "Enter an amount above zero."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if token is not None:
            earlier = Refund.objects.filter(request_token=token).first()
            if earlier is not None:  # a double click: the refund it asked for is made (or on its way) already
                return earlier
        if payment.status != Payment.Status.SUCCEEDED or not payment.stripe_payment_intent_id:
            raise Conflict("Only a paid card payment can be refunded.")
        if pickup_id is None:
            if payment.invoice_id:
                raise ValidationError({"pickup": "Choose which visit on the invoice the refund is for."})
            pickup_id = payment.pickup_id
        available = refundable_cents(payment=payment, pickup_id=pickup_id)
        if amount_cents > available:
            raise ValidationError({"amount_cents": f"At most {available} cents can be refunded for this pickup."})
        made = Refund.objects.create(
            payment=payment,
            pickup_id=pickup_id,
            amount_cents=amount_cents,
            reason=reason.strip()[:300],
            request_token=token,
            created_by=by,
        )
    try:
        return _send_refund(made, look_first=False)
    except StripeUnreachable as exc:
        # It may have been made: the row stays (so it cannot be refunded again) and the sweep finishes it.
        raise Conflict(
            "Stripe did not answer. The refund is recorded and will be sent again shortly; it is never made twice."
        ) from exc
    except (GatewayError, PaymentDeclined) as exc:
        made.delete()  # refused: nothing reached Stripe's books; nothing stays in ours
        raise Conflict(f"Stripe refused the refund: {exc}") from exc


def _send_refund(made: Refund, *, look_first: bool) -> Refund:
    """Make a recorded refund at Stripe (or find the one an earlier, lost attempt made) and book it, once."""
    payment = made.payment
    stripe_id = made.stripe_refund_id
    if not stripe_id and look_first:  # Stripe forgets idempotency keys after a day
        stripe_id = gateway.find_refund(payment_intent_id=payment.stripe_payment_intent_id, refund_ref=str(made.pk))
    if not stripe_id:
        stripe_id, _ = gateway.refund(
            idempotency_key=f"refund:{made.pk}",
            payment_intent_id=payment.stripe_payment_intent_id,
            amount_cents=made.amount_cents,
            metadata={"refund": str(made.pk), "payment": str(payment.pk)},
        )
    with transaction.atomic():  # the id and both entries together: a crash leaves none of them
        made = Refund.objects.select_for_update().select_related("payment").get(pk=made.pk)
        if not made.stripe_refund_id:
            made.stripe_refund_id = stripe_id
            made.save(update_fields=["stripe_refund_id"])
        _book_refund(made, payment)
    return made


def _book_refund(made: Refund, payment: Payment) -> None:
    """A refund's ledger entries: the money back to the card, out of HaulMatch's fee (each written once)."""
    refs = {"customer_id": payment.customer_id, "pickup_id": made.pickup_id, "payment": payment, "refund": made}
    ledger.post(kind=Kind.REFUND, amount_cents=made.amount_cents, key=f"refund:{made.pk}", memo=made.reason, **refs)
    ledger.post(kind=Kind.PLATFORM_FEE, amount_cents=-made.amount_cents, key=f"refund-fee:{made.pk}", **refs)


def send_pending_refunds(*, now: dt.datetime | None = None) -> int:
    """The sweep: refunds recorded but never confirmed by Stripe (its answer was lost) are finished, never made twice.

    A refund Stripe refuses outright moved no money and is removed, as refund_payment does. Returns how many were
    finished.
    """
    cutoff = (now or timezone.now()) - REFUND_RESEND_AFTER
    finished = 0
    for made in Refund.objects.filter(stripe_refund_id="", created_at__lte=cutoff).select_related("payment"):
        try:
            _send_refund(made, look_first=True)
        except StripeUnreachable:
            continue
        except (GatewayError, PaymentDeclined):
            made.delete()
            continue
        finished += 1
    return finished


def record_outside_refunds(*, payment_intent_id: str) -> list[Refund]:
    """Book the refunds Stripe holds on a paid payment that HaulMatch did not make (the Dashboard's), once each.

    Stripe's list is asked for, never an event's snapshot. Ours are skipped: their metadata names our refund (one on
    its way has no id here yet), or their id is held. A refund of an invoice is spread over its visits by what each
    still has refundable, a row per visit. Under the payment's lock, so a replayed or concurrent event finds them
    booked; returns the rows made.
    """
    payment = Payment.objects.filter(stripe_payment_intent_id=payment_intent_id).first()
    if payment is None or payment.status != Payment.Status.SUCCEEDED:
        return []
    outside = [
        found
        for found in gateway.list_refunds(payment_intent_id=payment_intent_id)
        if found.status in ("succeeded", "pending") and not found.metadata.get("refund")
    ]
    if not outside:
        return []
    made = []
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        held = set(
            Refund.objects.filter(stripe_refund_id__in=[found.refund_id for found in outside]).values_list(
                "stripe_refund_id", flat=True
            )
        )
        for found in reversed(outside):  # Stripe lists newest first; booked oldest first
            if found.refund_id in held:
                continue
            for pickup_id, cents in _spread_refund(payment, found.amount_cents):
                row = Refund.objects.create(
                    payment=payment,
                    pickup_id=pickup_id,
                    amount_cents=cents,
                    reason=OUTSIDE_REFUND_REASON,
                    stripe_refund_id=found.refund_id,
                )
                _book_refund(row, payment)
                made.append(row)
    return made


def _spread_refund(payment: Payment, amount_cents: int) -> list[tuple[int, int]]:
    """(pickup id, cents) shares of a refund over a payment's pickups, in proportion to what each still has
    refundable; the cents rounding leaves go to the largest remainders (the earlier visit on a tie)."""
    if amount_cents <= 0:
        return []
    pickup_ids = (
        list(payment.invoice.lines.values_list("pickup_id", flat=True)) if payment.invoice_id else [payment.pickup_id]
    )
    room = {pickup_id: refundable_cents(payment=payment, pickup_id=pickup_id) for pickup_id in pickup_ids}
    total = sum(room.values())
    if amount_cents > total:
        raise Conflict(
            f"Stripe refunded {amount_cents} cents on payment {payment.pk}, more than the {total} cents still "
            "refundable in the ledger: check the payment's refunds by hand."
        )
    shares = {pickup_id: amount_cents * cents // total for pickup_id, cents in room.items()}
    left = amount_cents - sum(shares.values())
    by_remainder = sorted(pickup_ids, key=lambda pickup_id: -(amount_cents * room[pickup_id] % total))
    for pickup_id in by_remainder[:left]:
        shares[pickup_id] += 1
    return [(pickup_id, shares[pickup_id]) for pickup_id in pickup_ids if shares[pickup_id]]


def grant_credit(*, customer, amount_cents: int, reason: str, key: str, pickup=None) -> LedgerEntry | None:
    """Add credit to a business's balance, once per `key`; it is spent on its next payments."""
    if amount_cents <= 0:
        return None
    return ledger.post(
        kind=Kind.CREDIT_GRANTED,
        amount_cents=amount_cents,
        key=f"grant:{key}",
        customer=customer,
        pickup=pickup,
        memo=reason[:300],
    )


# --- Hauler payouts ------------------------------------------------------------------------------------------


def payout_account_of(*, hauler) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(hauler=hauler).first()


def start_payout_onboarding(*, hauler, email: str, refresh_url: str, return_url: str) -> str:
    """The Stripe-hosted onboarding page for the hauler's Express account (the account is created once)."""
    account = payout_account_of(hauler=hauler)
    if account is None:
        account_id = gateway.create_express_account(
            idempotency_key=f"account:hauler:{hauler.pk}", email=email, metadata={"hauler": str(hauler.pk)}
        )
        try:
            account, _ = PayoutAccount.objects.get_or_create(hauler=hauler, defaults={"stripe_account_id": account_id})
        except IntegrityError:
            account = PayoutAccount.objects.get(hauler=hauler)
    # A link opens once (a second visit goes to refresh_url, which asks for a new one), so every request makes its
    # own link, numbered; two at once are harmless.
    PayoutAccount.objects.filter(pk=account.pk).update(onboarding_links=F("onboarding_links") + 1)
    account.refresh_from_db(fields=["onboarding_links"])
    return gateway.onboarding_link(
        idempotency_key=f"account-link:{account.stripe_account_id}:{account.onboarding_links}",
        account_id=account.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
    )


def refresh_payout_account(*, stripe_account_id: str) -> PayoutAccount | None:
    """Copy whether Stripe lets the account receive payouts (after onboarding, or on account.updated)."""
    account = PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    remote = gateway.retrieve_account(stripe_account_id)
    account.details_submitted, account.payouts_enabled = remote.details_submitted, remote.payouts_enabled
    account.save(update_fields=["details_submitted", "payouts_enabled", "updated_at"])
    return account


def pay_hauler(*, hauler) -> Payout | None:
    """Transfer everything the hauler has earned on paid jobs and not yet received, as one payout.

    The payout and its ledger entries are written first (a pickup is in one standing payout only: what is unpaid is
    worked out under the account's lock, one run at a time), then the transfer
    is sent with the payout's idempotency key; a crash in between leaves a pending payout that `send_payout` finishes.
    """
    account = PayoutAccount.objects.filter(hauler=hauler, payouts_enabled=True).first()
    if account is None:
        return None
    with transaction.atomic():
        PayoutAccount.objects.select_for_update().get(pk=account.pk)  # one payout run per hauler at a time
        owed = ledger.unpaid_payables(hauler_id=hauler.pk)
        if not owed:
            return None
        payout = Payout.objects.create(hauler=hauler, amount_cents=sum(owed.values()), currency=settings.CURRENCY)
        for pickup_id, cents in owed.items():
            ledger.post(
                kind=Kind.TRANSFER,
                amount_cents=cents,
                key=f"transfer:{payout.pk}:{pickup_id}",
                hauler=hauler,
                pickup_id=pickup_id,
                payout=payout,
            )
    return send_payout(payout_id=payout.pk)


def send_payout(*, payout_id: int) -> Payout:
    """Send (or re-send, with the same key) a pending payout's transfer.

    A transfer an earlier send made whose outcome was lost is found first: a pending payout is re-sent by the weekly
    run, long after Stripe has forgotten the idempotency key, and a second transfer would pay the hauler twice.
    A transfer Stripe refuses for good (the account cannot receive money) fails the payout and its jobs are owed
    again; a refusal that passes (the platform balance is short) or no answer leaves it pending for the next run.
    """
    payout = Payout.objects.select_related("hauler__payout_account").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING:
        return payout
    destination = payout.hauler.payout_account.stripe_account_id
    refused = None
    try:
        transfer_id = gateway.find_transfer(
            transfer_group=payout.transfer_group, destination=destination, payout_ref=str(payout.pk)
        )
        if not transfer_id:
            try:
                transfer_id = gateway.transfer(
                    idempotency_key=f"transfer:payout:{payout.pk}",
                    amount_cents=payout.amount_cents,
                    currency=payout.currency,
                    destination=destination,
                    transfer_group=payout.transfer_group,
                    metadata={"payout": str(payout.pk), "hauler": str(payout.hauler_id)},
                )
            except RequestRefused as exc:
                if exc.code in TEMPORARY_TRANSFER_REFUSALS:
                    raise
                refused = exc
    except GatewayError as exc:
        Payout.objects.filter(pk=payout.pk).update(failure_message=str(exc)[:300])
        raise
    if refused is not None:
        return _fail_payout(payout.pk, destination=destination, message=f"Stripe refused the transfer: {refused}")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status == Payout.Status.PENDING:
            payout.status, payout.stripe_transfer_id, payout.paid_at = Payout.Status.PAID, transfer_id, timezone.now()
            payout.failure_message = ""
            payout.save()
    return payout


def _fail_payout(payout_id: int, *, destination: str, message: str) -> Payout:
    """A pending payout whose transfer Stripe refused for good fails; each of its jobs gets a reversal, so the next
    run (once the account can receive money) pays them in a new payout. The account's state is asked of Stripe, so
    a hauler who cannot receive payouts is left out of runs until Stripe says otherwise (account.updated)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != Payout.Status.PENDING:
            return payout
        payout.status, payout.failure_message = Payout.Status.FAILED, message[:300]
        payout.save(update_fields=["status", "failure_message"])
        for entry in payout.entries.filter(kind=Kind.TRANSFER).order_by("pickup_id"):
            ledger.post(
                kind=Kind.TRANSFER_REVERSED,
                amount_cents=entry.amount_cents,
                key=f"transfer-reversed:{payout.pk}:{entry.pickup_id}",
                hauler_id=entry.hauler_id,
                pickup_id=entry.pickup_id,
                payout=payout,
                memo=payout.failure_message,
            )
    try:
        refresh_payout_account(stripe_account_id=destination)
    except RequestRefused:  # Stripe has no such account (or will not show it): it cannot be paid either
        PayoutAccount.objects.filter(stripe_account_id=destination).update(payouts_enabled=False)
    except GatewayError:
        pass  # no answer: the next run asks again, through the transfer
    return payout


def pending_payout_ids() -> list[int]:
    """Payouts whose transfer is not confirmed yet."""
    return list(Payout.objects.filter(status=Payout.Status.PENDING).order_by("pk").values_list("pk", flat=True))


def payable_hauler_ids() -> list[int]:
    """Haulers whose payout account can receive transfers."""
    return list(
        PayoutAccount.objects.filter(payouts_enabled=True).order_by("hauler_id").values_list("hauler_id", flat=True)
    )


def payout_account_for(*, hauler_id: int) -> PayoutAccount:
    return PayoutAccount.objects.select_related("hauler").get(hauler_id=hauler_id)


def run_payouts() -> list[Payout]:
    """The whole payout run in one go (`manage.py run_payouts`; beat runs it as one task per payout and hauler)."""
    for payout_id in pending_payout_ids():
        try:
            send_payout(payout_id=payout_id)
        except GatewayError:
            continue
    made = []
    for hauler_id in payable_hauler_ids():
        try:
            payout = pay_hauler(hauler=payout_account_for(hauler_id=hauler_id).hauler)
        except GatewayError:
            continue  # left pending; the next run re-sends it with the same key
        if payout is not None:
            made.append(payout)
    return made
