"""Billing's Celery tasks: thin edges over services; each is safe to run twice."""

from celery import shared_task

from billing import payouts, refunds, webhooks
from billing.models import StripeEvent
from billing.stripe_gateway import GatewayError

# An event whose handler failed this often is left for staff (its row shows the error).
MAX_ATTEMPTS = 10


@shared_task(name="billing.process_event")
def process_event(event_pk: int) -> str:
    """Handle one stored Stripe event."""
    return webhooks.process(event_pk=event_pk)


# The sweeps below queue one task per item: a sweep that called Stripe for every item in one task would outlive
# the task time limit once there are many.


@shared_task(name="billing.retry_events")
def retry_events() -> int:
    """Beat, every 15 minutes: events whose handler failed or whose task was lost are handled again."""
    pending = StripeEvent.objects.filter(
        status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED], attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    for event_pk in pending:
        process_event.delay(event_pk)
    return len(pending)


@shared_task(name="billing.retry_refunds")
def retry_refunds() -> int:
    """Beat, every 15 minutes: refunds whose Stripe answer was lost are finished (found or sent with their key)."""
    return refunds.send_pending_refunds()


@shared_task(name="billing.run_payouts")
def run_payouts() -> int:
    """Beat, weekly: finish pending payouts, then pay each hauler what it earned on paid jobs; one task each."""
    for payout_id in payouts.pending_payout_ids():
        send_payout.delay(payout_id)
    hauler_ids = payouts.payable_hauler_ids()
    for hauler_id in hauler_ids:
        pay_hauler.delay(hauler_id)
    return len(hauler_ids)


@shared_task(name="billing.send_payout")
def send_payout(payout_id: int) -> str:
    """Send (or find) one pending payout's transfer; Stripe unreachable leaves it pending for the next run."""
    try:
        return payouts.send_payout(payout_id=payout_id).status
    except GatewayError as exc:
        return f"left pending: {exc}"


@shared_task(name="billing.pay_hauler")
def pay_hauler(hauler_id: int) -> str:
    """One hauler's payout in the weekly run."""
    try:
        payout = payouts.pay_hauler(hauler=payouts.payout_account_for(hauler_id=hauler_id).hauler)
    except GatewayError as exc:
        return f"left pending: {exc}"
    return payout.status if payout else "nothing owed"
