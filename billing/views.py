"""Billing's web edges: the Stripe webhook endpoint (pages for businesses and haulers live beside it)."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import tasks, webhooks
from billing.stripe_gateway import BadSignature, verify_event


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Verify, store once, answer fast; the handler runs in a task. A bad signature writes nothing (400)."""
    try:
        event = verify_event(payload=request.body, signature=request.headers.get("Stripe-Signature", ""))
    except BadSignature as exc:
        return HttpResponseBadRequest(f"Webhook refused: {exc}", content_type="text/plain")
    row, created = webhooks.record(event)
    if created:
        tasks.process_event.delay_on_commit(row.pk)
    return HttpResponse("ok" if created else "already received", content_type="text/plain")
