"""Billing's Celery tasks: thin edges over services; each is safe to run twice."""

from celery import shared_task

from billing import services, webhooks
from billing.models import StripeEvent

# An event whose handler failed this often is left for staff (its row shows the error).
MAX_ATTEMPTS = 10


@shared_task(name="billing.process_event")
def process_event(event_pk: int) -> str:
    """Handle one stored Stripe event."""
    return webhooks.process(event_pk=event_pk)


@shared_task(name="billing.retry_events")
def retry_events() -> int:
    """Beat, every 15 minutes: events whose handler failed or whose task was lost are handled again."""
    pending = StripeEvent.objects.filter(
        status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.FAILED], attempts__lt=MAX_ATTEMPTS
    )
    outcomes = [webhooks.process(event_pk=pk) for pk in pending.values_list("pk", flat=True)]
    return outcomes.count(StripeEvent.Status.PROCESSED)


@shared_task(name="billing.retry_refunds")
def retry_refunds() -> int:
    """Beat, every 15 minutes: refunds whose Stripe answer was lost are finished (found or sent with their key)."""
    return services.send_pending_refunds()


@shared_task(name="billing.run_payouts")
def run_payouts() -> int:
    """Beat, weekly: pay each hauler what it earned on paid jobs."""
    return len(services.run_payouts())
