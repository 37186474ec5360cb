"""The ledger: write-once entries for every movement of money, and the checks that it balances.

For every pickup: charges - refunds - disputes lost = hauler payable + platform fee - credits applied, to the cent,
where a dispute lost is what the bank withdrew plus Stripe's fee, less what a won dispute reinstated (HaulMatch
bears it: billing/disputes.py books its mirror in the platform fee).
"""

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Sum, When

from billing.models import LedgerEntry

Kind = LedgerEntry.Kind

# The sign each kind carries in the per-pickup balance: the money side minus the obligations side.
BALANCE_SIGN = {
    Kind.CHARGE: 1,
    Kind.REFUND: -1,
    Kind.HAULER_PAYABLE: -1,
    Kind.PLATFORM_FEE: -1,
    Kind.CREDIT: 1,
    Kind.DISPUTE_WITHDRAWN: -1,
    Kind.DISPUTE_FEE: -1,
    Kind.DISPUTE_REINSTATED: 1,
}


def post(*, kind: str, amount_cents: int, key: str, **refs) -> LedgerEntry:
    """Write one entry, or return the one already written under `key` (a retried write changes nothing)."""
    existing = LedgerEntry.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(kind=kind, amount_cents=amount_cents, key=key, **refs)
    except IntegrityError:  # the same key written at the same moment
        return LedgerEntry.objects.get(key=key)


def _balance_expression():
    return Sum(
        Case(
            *(When(kind=kind, then=F("amount_cents") * sign) for kind, sign in BALANCE_SIGN.items()),
            default=0,
            output_field=IntegerField(),
        )
    )


def unbalanced_pickups() -> dict[int, int]:
    """Pickups whose entries do not balance, with the difference in cents (empty when the books are right)."""
    rows = (
        LedgerEntry.objects.filter(pickup__isnull=False, kind__in=list(BALANCE_SIGN))
        .values("pickup")
        .annotate(difference=_balance_expression())
        .exclude(difference=0)
    )
    return {row["pickup"]: row["difference"] for row in rows}


def credit_balance_cents(*, customer_id: int) -> int:
    """Credit a business has been granted and not yet spent."""
    totals = LedgerEntry.objects.filter(customer_id=customer_id).aggregate(
        granted=Sum("amount_cents", filter=Q(kind=Kind.CREDIT_GRANTED), default=0),
        spent=Sum("amount_cents", filter=Q(kind=Kind.CREDIT), default=0),
    )
    return totals["granted"] - totals["spent"]


def unpaid_payables(*, hauler_id: int) -> dict[int, int]:
    """{pickup id: cents} the hauler has earned on paid jobs and not yet been transferred.

    A pickup is paid while one of its transfers stands: one without a reversal (a failed payout's) for its payout.
    """
    reversal = LedgerEntry.objects.filter(
        kind=Kind.TRANSFER_REVERSED, pickup=OuterRef("pickup"), payout=OuterRef("payout")
    )
    standing_transfer = LedgerEntry.objects.filter(kind=Kind.TRANSFER, pickup=OuterRef("pickup")).exclude(
        Exists(reversal)
    )
    rows = (
        LedgerEntry.objects.filter(hauler_id=hauler_id, kind=Kind.HAULER_PAYABLE)
        .exclude(Exists(standing_transfer))
        .values("pickup")
        .annotate(cents=Sum("amount_cents"))
        .filter(cents__gt=0)
        .order_by("pickup")
    )
    return {row["pickup"]: row["cents"] for row in rows}


def totals() -> dict[str, int]:
    """Each kind's total in cents: the platform's books at a glance."""
    rows = LedgerEntry.objects.values("kind").annotate(cents=Sum("amount_cents"))
    found = {row["kind"]: row["cents"] for row in rows}
    return {kind: found.get(kind, 0) for kind in Kind.values}
