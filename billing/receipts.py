"""Receipts, and the money a business reads on its pages: what each charge took, what came back, what was credited.

Every cent here is summed from booked ledger entries: a refund Stripe has not confirmed is not booked yet, so it is
not shown; an invoice's own figures (its subtotal, the credit it set aside) stay the invoice's. A receipt is a paid
payment's: its number is the payment's id. Dates are said in the place's zone: the pickup's location, or for an
invoice the location of its first visit.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from billing.models import BillingAccount, Invoice, InvoiceLine, LedgerEntry, Payment
from core.errors import NotFound

Kind = LedgerEntry.Kind
# What a charge's money is made of, and the credit granted for its visits (to the balance, for later payments).
PAYMENT_KINDS = (Kind.CHARGE, Kind.CREDIT, Kind.REFUND)
VISIT_KINDS = (*PAYMENT_KINDS, Kind.CREDIT_GRANTED)
# The billing page lists this many of the latest credit movements.
CREDIT_HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Movement:
    """One booked entry as the business reads it: a refund to its card, or credit granted to its balance or spent."""

    kind: str
    cents: int
    at: dt.datetime
    pickup_id: int | None
    payment_id: int | None
    memo: str


@dataclass
class Money:
    """A charge's (or one of its visits') sums from the ledger."""

    charged_cents: int = 0  # to the card
    credit_cents: int = 0  # credit spent instead of card money
    refunded_cents: int = 0
    refunds: list[Movement] = field(default_factory=list)
    credited: list[Movement] = field(default_factory=list)  # credit granted to the balance for these visits

    @property
    def amount_cents(self) -> int:
        """What was owed: card money and credit together."""
        return self.charged_cents + self.credit_cents

    @property
    def paid_cents(self) -> int:
        """What the card paid in the end: charged less refunded."""
        return self.charged_cents - self.refunded_cents

    @property
    def credited_cents(self) -> int:
        return sum(movement.cents for movement in self.credited)

    @property
    def booked(self) -> bool:
        return bool(self.charged_cents or self.credit_cents or self.refunds or self.credited)

    def add(self, entry: LedgerEntry) -> None:
        if entry.kind == Kind.CHARGE:
            self.charged_cents += entry.amount_cents
        elif entry.kind == Kind.CREDIT:
            self.credit_cents += entry.amount_cents
        elif entry.kind == Kind.REFUND:
            self.refunded_cents += entry.amount_cents
            self.refunds.append(_movement(entry))
        elif entry.kind == Kind.CREDIT_GRANTED:
            self.credited.append(_movement(entry))


def _movement(entry: LedgerEntry) -> Movement:
    return Movement(entry.kind, entry.amount_cents, entry.created_at, entry.pickup_id, entry.payment_id, entry.memo)


def _sum(entries) -> Money:
    money = Money()
    for entry in entries:
        money.add(entry)
    return money


@dataclass
class ReceiptLine:
    pickup_id: int
    service_date: dt.date | None
    description: str
    money: Money


@dataclass
class Receipt:
    """A paid payment's receipt: a line per visit, the totals, the card, in the place's zone."""

    payment: Payment
    zone: str
    lines: list[ReceiptLine]
    money: Money
    card_brand: str
    card_last4: str

    @property
    def number(self) -> int:
        return self.payment.pk

    @property
    def card_label(self) -> str:
        return f"{self.card_brand.title()} ending {self.card_last4}" if self.card_last4 else ""


def _zone(location) -> str:
    return getattr(location, "timezone", "") or settings.TIME_ZONE


def receipts_of(*, customer) -> QuerySet[Payment]:
    """The business's paid payments (each one a receipt), newest first, with what a receipt shows joined."""
    return (
        Payment.objects.filter(customer=customer, status=Payment.Status.SUCCEEDED)
        .select_related("customer", "invoice", "pickup__location")
        .order_by("-created_at", "-id")
    )


def receipts(*, payments: list[Payment], account: BillingAccount | None = None) -> list[Receipt]:
    """The receipts of these paid payments (one business's), in three queries at any length: the card, the invoices'
    lines, the entries."""
    invoice_ids = [payment.invoice_id for payment in payments if payment.invoice_id]
    lines: dict[int, list[InvoiceLine]] = {invoice_id: [] for invoice_id in invoice_ids}
    if invoice_ids:
        for line in InvoiceLine.objects.filter(invoice_id__in=invoice_ids).select_related("pickup__location"):
            lines[line.invoice_id].append(line)
    pickup_ids = [payment.pickup_id for payment in payments if payment.pickup_id]
    pickup_ids += [line.pickup_id for invoice_lines in lines.values() for line in invoice_lines]
    entries = _entries(Q(payment__in=[payment.pk for payment in payments]), pickup_ids) if payments else []
    by_pickup: dict[tuple[int | None, int], list[LedgerEntry]] = {}
    for entry in entries:
        # Credit granted for a visit has no payment: it shows on the receipt of the charge that paid for the visit.
        by_pickup.setdefault((entry.payment_id, entry.pickup_id), []).append(entry)
    if payments and account is None:
        account = BillingAccount.objects.filter(customer_id=payments[0].customer_id).first()
    return [_receipt(payment, lines.get(payment.invoice_id, []), by_pickup, account) for payment in payments]


def _receipt(payment: Payment, invoice_lines: list[InvoiceLine], by_pickup: dict, account) -> Receipt:
    """One receipt: a line per visit with its own entries (and the credit granted for it), the totals of the lines."""
    if payment.invoice_id:
        parts = [(line.pickup_id, line.service_date, line.description, line.pickup.location) for line in invoice_lines]
    else:
        pickup = payment.pickup
        parts = [(pickup.pk, pickup.service_date, payment.description, pickup.location)]
    receipt_lines = []
    for pickup_id, day, description, _ in parts:
        booked = by_pickup.get((payment.pk, pickup_id), []) + by_pickup.get((None, pickup_id), [])
        receipt_lines.append(ReceiptLine(pickup_id, day, description, _sum(booked)))
    total = Money()
    for line in receipt_lines:
        total.charged_cents += line.money.charged_cents
        total.credit_cents += line.money.credit_cents
        total.refunded_cents += line.money.refunded_cents
        total.refunds += line.money.refunds
        total.credited += line.money.credited
    total.refunds.sort(key=lambda movement: movement.at)
    total.credited.sort(key=lambda movement: movement.at)
    return Receipt(
        payment=payment,
        zone=_zone(parts[0][3] if parts else None),
        lines=receipt_lines,
        money=total,
        # The card on file: a payment keeps no copy of the card it was charged to (no field for it yet), and a
        # business changes cards rarely; Stripe's charge holds the true one.
        card_brand=getattr(account, "card_brand", ""),
        card_last4=getattr(account, "card_last4", ""),
    )


def _entries(payments: Q, pickup_ids: list[int]) -> list[LedgerEntry]:
    """A charge's entries, and the credit granted for its visits, oldest first (one query)."""
    wanted = (payments & Q(kind__in=PAYMENT_KINDS)) | Q(kind=Kind.CREDIT_GRANTED, pickup_id__in=pickup_ids)
    return list(LedgerEntry.objects.filter(wanted).order_by("created_at", "id"))


def receipt_of(*, customer, payment_id) -> Receipt:
    """One of the business's receipts, or NotFound: another business's payment, or one not paid (no receipt yet)."""
    payment = receipts_of(customer=customer).filter(pk=payment_id).first()
    if payment is None:
        raise NotFound("No such receipt: the payment is not yours, or has not gone through yet.")
    account = BillingAccount.objects.filter(customer=customer).first()
    return receipts(payments=[payment], account=account)[0]


# --- The pages' money: the billing page, a pickup, an invoice -------------------------------------------------


def payment_money(*, payments: list[Payment]) -> dict[int, Money]:
    """{payment id: its money from the ledger} for a list of one business's payments (one query)."""
    found = {payment.pk: Money() for payment in payments}
    if not payments:
        return found
    for entry in LedgerEntry.objects.filter(payment__in=list(found), kind__in=PAYMENT_KINDS).order_by(
        "created_at", "id"
    ):
        found[entry.payment_id].add(entry)
    return found


def credit_history(*, customer, limit: int = CREDIT_HISTORY_LIMIT) -> list[Movement]:
    """Where the business's credit came from (granted, with why) and went (spent on a payment), newest first."""
    entries = LedgerEntry.objects.filter(customer=customer, kind__in=(Kind.CREDIT_GRANTED, Kind.CREDIT))
    return [_movement(entry) for entry in entries.order_by("-created_at", "-id")[:limit]]


def business_zone(*, customer) -> str:
    """The zone the business's pages say dates in where no one place decides: its first location's."""
    zone = customer.locations.order_by("pk").values_list("timezone", flat=True).first()
    return zone or settings.TIME_ZONE


@dataclass
class VisitMoney:
    """What a pickup cost the business, from the ledger, and the receipt of the charge that paid for it."""

    money: Money
    receipt_id: int | None


def pickup_money(*, pickup) -> VisitMoney:
    """One visit's charge, credit spent, refunds and credit granted, as booked (one query)."""
    entries = LedgerEntry.objects.filter(pickup=pickup, kind__in=VISIT_KINDS).order_by("created_at", "id")
    money, receipt_id = Money(), None
    for entry in entries:
        money.add(entry)
        if entry.kind in (Kind.CHARGE, Kind.CREDIT):
            receipt_id = entry.payment_id
    return VisitMoney(money=money, receipt_id=receipt_id)


@dataclass
class InvoiceMoney:
    lines: list[tuple[InvoiceLine, Money]]
    total: Money
    zone: str


def invoice_money(*, invoice: Invoice) -> InvoiceMoney:
    """An invoice's lines, each with what its visit was refunded and credited once paid, and the totals (two queries,
    with the lines prefetched: the entries, and the zone the business's dates are said in)."""
    lines = list(invoice.lines.all())
    payment = getattr(invoice, "payment", None)
    payments = Q(payment=payment) if payment is not None else Q(pk__in=[])
    by_pickup: dict[int, Money] = {line.pickup_id: Money() for line in lines}
    total = Money()
    for entry in _entries(payments, list(by_pickup)):
        if entry.pickup_id in by_pickup:
            by_pickup[entry.pickup_id].add(entry)
            total.add(entry)
    rows = [(line, by_pickup[line.pickup_id]) for line in lines]
    return InvoiceMoney(lines=rows, total=total, zone=business_zone(customer=invoice.customer))


@dataclass
class PaymentRow:
    payment: Payment
    money: Money
    zone: str


def billing_money(*, customer, payments: list[Payment]) -> dict:
    """The billing page's money: each listed payment with its ledger sums in its place's zone, and the credit's
    history (three queries at any length)."""
    zone = business_zone(customer=customer)
    money = payment_money(payments=payments)
    rows = [
        PaymentRow(payment, money[payment.pk], _zone(payment.pickup.location) if payment.pickup_id else zone)
        for payment in payments
    ]
    return {"payment_rows": rows, "credit_history": credit_history(customer=customer), "zone": zone}
