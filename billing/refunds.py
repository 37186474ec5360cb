"""Refunds (by staff, and those made in Stripe's Dashboard) and credit grants.

Network calls happen outside row locks; every state change re-checks under a lock, so a retried task or a
replayed webhook finds the work done and returns.
"""

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import ledger
from billing import stripe_gateway as gateway
from billing.models import LedgerEntry, Payment, Refund
from billing.stripe_gateway import GatewayError, PaymentDeclined, StripeUnreachable
from core.errors import Conflict

Kind = LedgerEntry.Kind
# A refund Stripe did not answer for is sent again by the sweep once this old (never while its first send may run).
REFUND_RESEND_AFTER = dt.timedelta(minutes=5)
# The reason a refund made at Stripe itself (its Dashboard) is booked with.
OUTSIDE_REFUND_REASON = "Refunded outside HaulMatch (Stripe Dashboard)"


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
        if payment.disputes.exclude(status__startswith="warning_").exists():
            # Stripe refuses too (charge_disputed): the bank has taken the money back and decides where it goes.
            raise Conflict("The card's bank disputes this payment, so it cannot be refunded: the dispute decides it.")
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
