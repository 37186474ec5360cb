"""Billing's reads for pages: a business's card, credit, payments and invoices; a hauler's payouts.

Every query is scoped to one business or one hauler; another tenant's row is NotFound.
"""

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from billing import charges, ledger
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Invoice, LedgerEntry, Payment, Payout, PayoutAccount, Refund
from core.errors import NotFound

# The billing page lists this many of the latest payments and invoices.
LIST_LIMIT = 50


def payments_of(*, customer) -> QuerySet[Payment]:
    """A business's payments, newest first, with the invoice (or the pickup and its place) each one pays joined."""
    return (
        Payment.objects.filter(customer=customer)
        .select_related("invoice", "pickup__location")
        .order_by("-created_at", "-id")
    )


def invoices_of(*, customer) -> QuerySet[Invoice]:
    """A business's monthly invoices, latest month first."""
    return Invoice.objects.filter(customer=customer).order_by("-month", "-id")


def billing_overview(*, customer) -> dict:
    """What the billing page shows: payments switched on, the card, credit, and the latest payments and invoices."""
    account = BillingAccount.objects.filter(customer=customer).first()
    return {
        "payments_on": gateway.configured(),
        "account": account,
        "has_card": account is not None and account.has_card,
        "paused": account is not None and account.bookings_paused_at is not None,
        **charges.credit_of(customer_id=customer.pk),
        "payments": list(payments_of(customer=customer)[:LIST_LIMIT]),
        "invoices": list(invoices_of(customer=customer)[:LIST_LIMIT]),
    }


def invoice_of(*, customer, invoice_id) -> Invoice:
    """One of the business's invoices with its lines and payment, or NotFound (another business's included)."""
    invoice = (
        Invoice.objects.filter(customer=customer, pk=invoice_id)
        .select_related("customer", "payment")
        .prefetch_related("lines")
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def payout_summary(*, hauler) -> dict:
    """For the earnings page: payouts switched on, the payout account, earned-but-unpaid cents, recent payouts."""
    return {
        "payouts_on": gateway.configured(),
        "payout_account": PayoutAccount.objects.filter(hauler=hauler).first(),
        "unpaid_cents": sum(ledger.unpaid_payables(hauler_id=hauler.pk).values()),
        "payouts": list(Payout.objects.filter(hauler=hauler).order_by("-created_at", "-id")[:LIST_LIMIT]),
    }


def payout_statement(*, hauler, payout_id) -> dict:
    """One of the hauler's payouts and the jobs it paid for, or NotFound (another hauler's included)."""
    transfers = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TRANSFER).select_related("pickup__location")
    payout = (
        Payout.objects.filter(hauler=hauler, pk=payout_id)
        .prefetch_related(Prefetch("entries", queryset=transfers.order_by("pickup__service_date", "pickup_id")))
        .first()
    )
    if payout is None:
        raise NotFound("No such payout.")
    lines = list(payout.entries.all())
    return {"payout": payout, "lines": lines, "total_cents": sum(line.amount_cents for line in lines)}


# --- The API's reads: lists with what each row shows joined, so a page costs the same queries at any length ---


def _refunded_cents():
    refunds = Refund.objects.filter(payment=OuterRef("pk")).values("payment").annotate(total=Sum("amount_cents"))
    return Coalesce(Subquery(refunds.values("total")), 0)


def payment_list(*, customer) -> QuerySet[Payment]:
    """A business's payments, newest first, each with `refunded_cents` (what has been given back on it)."""
    return (
        Payment.objects.filter(customer=customer)
        .select_related("invoice")
        .annotate(refunded_cents=_refunded_cents())
        .order_by("-created_at", "-id")
    )


def payment_of(*, customer, payment_id) -> Payment:
    """One of the business's payments with `refunded_cents`, or NotFound (another business's included)."""
    payment = payment_list(customer=customer).select_related("customer").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No such payment.")
    return payment


def invoice_list(*, customer) -> QuerySet[Invoice]:
    """A business's invoices, latest month first (one a month, so the order is total), with their payments."""
    return invoices_of(customer=customer).select_related("payment")
