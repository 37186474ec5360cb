"""Stripe's webhooks: stored once per event id, then handled (in a task) by type from a table.

A replayed event finds its row and changes nothing. Handlers never trust the event's snapshot of an object whose
state matters: they re-fetch it from Stripe, so events arriving out of order cannot move a payment backwards.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import charges, disputes, payouts, refunds
from billing.models import StripeEvent


def record(event: dict) -> tuple[StripeEvent, bool]:
    """Store a verified event; (row, created). The unique event id makes a replay a no-op."""
    existing = StripeEvent.objects.filter(event_id=event["id"]).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(event_id=event["id"], type=event["type"], payload=event), True
    except IntegrityError:  # the same event delivered twice at once
        return StripeEvent.objects.get(event_id=event["id"]), False


def _object(event: StripeEvent) -> dict:
    return event.payload.get("data", {}).get("object", {}) or {}


def _sync(payment_intent_id: str) -> str:
    payment = charges.sync_payment(payment_intent_id=payment_intent_id) if payment_intent_id else None
    return f"payment {payment.pk} is {payment.status}" if payment else "not one of ours"


def _payment_intent(event: StripeEvent) -> str:
    return _sync(_object(event).get("id") or "")


def _charge(event: StripeEvent) -> str:
    return _sync(_object(event).get("payment_intent") or "")


def _refund(event: StripeEvent) -> str:
    """A charge refunded, or one of its refunds changed: book what was refunded outside HaulMatch (asked of Stripe)."""
    intent = _object(event).get("payment_intent") or ""
    payment = charges.sync_payment(payment_intent_id=intent) if intent else None
    if payment is None:
        return "not one of ours"
    made = refunds.record_outside_refunds(payment_intent_id=intent)
    if not made:
        return f"payment {payment.pk}: no refund to book"
    cents = sum(row.amount_cents for row in made)
    return f"payment {payment.pk}: booked {cents} cents refunded outside HaulMatch ({len(made)} refund rows)"


def _dispute(event: StripeEvent) -> str:
    """Any dispute event: the dispute as Stripe holds it now is recorded and its money booked (so order is moot)."""
    stripe_id = _object(event).get("id") or ""
    dispute = disputes.record_from_stripe(stripe_dispute_id=stripe_id) if stripe_id else None
    if dispute is None:
        return "not one of ours"
    return f"dispute {dispute.pk} on payment {dispute.payment_id} is {dispute.status}"


def _account(event: StripeEvent) -> str:
    account = payouts.refresh_payout_account(stripe_account_id=_object(event).get("id", ""))
    return f"payouts enabled: {account.payouts_enabled}" if account else "not one of ours"


HANDLERS = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.processing": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    "charge.succeeded": _charge,
    "charge.failed": _charge,
    "charge.refunded": _refund,
    "charge.refund.updated": _refund,
    "account.updated": _account,
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
    "charge.dispute.funds_withdrawn": _dispute,
    "charge.dispute.funds_reinstated": _dispute,
}


def process(*, event_pk: int) -> str:
    """Run an event's handler once; its outcome (or error) is kept on the row. Safe to call again."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_pk)
        if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
            return event.status
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        if handler is None:
            event.status, event.outcome = StripeEvent.Status.IGNORED, ""
        else:
            try:
                with transaction.atomic():
                    outcome = handler(event)
                event.status, event.outcome = StripeEvent.Status.PROCESSED, outcome
            except Exception as exc:  # recorded on the row for staff; the retry sweep runs it again
                event.status, event.outcome = StripeEvent.Status.FAILED, f"{type(exc).__name__}: {exc}"
        event.processed_at = timezone.now()
        event.save()
    return event.status
