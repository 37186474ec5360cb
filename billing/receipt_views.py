"""A business's receipts on the website: one page per paid charge, and the way from a pickup to its receipt.

The PDF is the API's (`api:receipt-pdf`), which a signed-in browser fetches as the token does.
"""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from billing import receipts
from billing import stripe_gateway as gateway
from billing.models import LedgerEntry
from core.errors import NotFound
from core.views import business_required


@business_required
@require_GET
def receipt_detail(request, customer, payment_id: int):
    """A paid charge's receipt: what was charged, refunded and credited, the card, in the place's zone."""
    receipt = receipts.receipt_of(customer=customer, payment_id=payment_id)
    return render(request, "billing/receipt.html", {"receipt": receipt, "support_email": settings.SUPPORT_EMAIL})


@business_required
@require_GET
def receipt_for_pickup(request, customer, pickup_id: int):
    """On to the receipt of the charge that paid for a pickup (the completed email links here before the card is
    charged: the charge runs in a task of its own), or to the billing page saying it is not charged yet."""
    if not customer.pickups.filter(pk=pickup_id).exists():
        raise NotFound("No such pickup.")
    paid_by = (
        LedgerEntry.objects.filter(
            customer=customer, pickup_id=pickup_id, kind__in=(LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.CREDIT)
        )
        .values_list("payment_id", flat=True)
        .first()
    )
    if paid_by is None and not gateway.configured():
        messages.info(request, "Payments are not set up on this installation: nothing was charged for that pickup.")
        return redirect("billing")
    if paid_by is None:
        messages.info(request, "That pickup has not been charged yet: its receipt appears here once it is.")
        return redirect("billing")
    return redirect("receipt_detail", payment_id=paid_by)
