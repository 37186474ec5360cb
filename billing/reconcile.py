"""Compare our books with Stripe's objects and with themselves; every difference is reported, none is fixed."""

from django.db.models import Prefetch, Q, Sum

from billing import disputes, ledger
from billing import stripe_gateway as gateway
from billing.models import LedgerEntry, Payment, Payout, Refund

Kind = LedgerEntry.Kind


def _payment_differences(payment: Payment) -> list[str]:
    found = []
    name = f"Payment {payment.pk} ({payment.description})"
    charged_in_ledger = sum(e.amount_cents for e in payment.entries.all() if e.kind == Kind.CHARGE)
    expected = payment.charged_cents if payment.status == Payment.Status.SUCCEEDED else 0
    if charged_in_ledger != expected:
        found.append(f"{name}: the ledger holds {charged_in_ledger} cents of charges, the payment {expected}.")
    if not payment.stripe_payment_intent_id:
        if payment.status == Payment.Status.SUCCEEDED and payment.charged_cents:
            found.append(f"{name}: paid, but no PaymentIntent is recorded.")
        return found
    remote = gateway.retrieve_charge(payment.stripe_payment_intent_id)
    paid_here = payment.status == Payment.Status.SUCCEEDED
    if (remote.status == "succeeded") != paid_here:
        found.append(f"{name}: Stripe says {remote.status}, we say {payment.status}.")
    if remote.amount_cents != payment.charged_cents:
        found.append(f"{name}: Stripe charged {remote.amount_cents} cents, we recorded {payment.charged_cents}.")
    refunded_here = sum(r.amount_cents for r in payment.refunds.all())
    if paid_here and remote.amount_refunded_cents != refunded_here:
        found.append(f"{name}: Stripe refunded {remote.amount_refunded_cents} cents, we recorded {refunded_here}.")
    return found


def _refund_differences(rows: list[Refund]) -> list[str]:
    """One Stripe refund against its rows here (one, or one per visit for a refund of an invoice made at Stripe)."""
    names = ", ".join(str(refund.pk) for refund in rows)
    name = f"Refund {names} on payment {rows[0].payment_id}"
    if not rows[0].stripe_refund_id:
        return [f"{name}: never reached Stripe."]
    amount, status = gateway.retrieve_refund(rows[0].stripe_refund_id)
    recorded = sum(refund.amount_cents for refund in rows)
    found = []
    if amount != recorded:
        found.append(f"{name}: Stripe refunded {amount} cents, we recorded {recorded}.")
    if status not in ("succeeded", "pending"):
        found.append(f"{name}: Stripe says {status}.")
    for refund in rows:
        in_ledger = sum(e.amount_cents for e in refund.entries.all() if e.kind == Kind.REFUND)
        if in_ledger != refund.amount_cents:
            found.append(
                f"Refund {refund.pk} on payment {refund.payment_id}: the ledger holds {in_ledger} cents, "
                f"the refund {refund.amount_cents}."
            )
    return found


def _payout_differences(payout: Payout) -> list[str]:
    name = f"Payout {payout.pk} to {payout.hauler}"
    found = []
    in_ledger = sum(e.amount_cents for e in payout.entries.all() if e.kind == Kind.TRANSFER)
    taken_back = sum(e.amount_cents for e in payout.entries.all() if e.kind == Kind.TRANSFER_REVERSED)
    if in_ledger != payout.amount_cents:
        found.append(f"{name}: the ledger holds {in_ledger} cents of transfers, the payout {payout.amount_cents}.")
    if payout.status == Payout.Status.FAILED:  # Stripe refused it: expected, as long as nothing moved
        if taken_back != in_ledger:
            found.append(f"{name}: failed, but the ledger takes back {taken_back} of its {in_ledger} cents.")
        account = payout.hauler.payout_account.stripe_account_id
        made = gateway.find_transfer(
            transfer_group=payout.transfer_group, destination=account, payout_ref=str(payout.pk)
        )
        if made:
            found.append(f"{name}: failed here, but Stripe made transfer {made}.")
        return found
    if taken_back:
        found.append(f"{name}: {payout.get_status_display().lower()}, but the ledger takes back {taken_back} cents.")
    if payout.status != Payout.Status.PAID:
        return [*found, f"{name}: {payout.get_status_display().lower()}, no transfer has been confirmed."]
    amount, destination, reversed_ = gateway.retrieve_transfer(payout.stripe_transfer_id)
    account = payout.hauler.payout_account.stripe_account_id
    if amount != payout.amount_cents:
        found.append(f"{name}: Stripe transferred {amount} cents, we recorded {payout.amount_cents}.")
    if destination != account:
        found.append(f"{name}: Stripe sent it to {destination}, the hauler's account is {account}.")
    if reversed_:
        found.append(f"{name}: Stripe reversed the transfer.")
    return found


def differences() -> list[str]:
    """Every way the ledger and Stripe disagree (an empty list when the books are right)."""
    found = [
        f"Pickup {pickup_id}: its entries are off by {cents} cents "
        "(charges - refunds - disputes lost - payable - fee + credits)."
        for pickup_id, cents in sorted(ledger.unbalanced_pickups().items())
    ]
    overpaid = (
        LedgerEntry.objects.filter(
            kind__in=[Kind.HAULER_PAYABLE, Kind.TRANSFER, Kind.TRANSFER_REVERSED], pickup__isnull=False
        )
        .values("pickup")
        .annotate(
            payable=Sum("amount_cents", filter=Q(kind=Kind.HAULER_PAYABLE), default=0),
            sent=Sum("amount_cents", filter=Q(kind=Kind.TRANSFER), default=0)
            - Sum("amount_cents", filter=Q(kind=Kind.TRANSFER_REVERSED), default=0),
        )
    )
    found += [
        f"Pickup {row['pickup']}: {row['sent']} cents transferred, {row['payable']} owed."
        for row in overpaid
        if row["sent"] > row["payable"]
    ]
    columns = ("kind", "amount_cents", "payment", "refund", "payout")
    entries = Prefetch("entries", queryset=LedgerEntry.objects.only(*columns))
    for payment in Payment.objects.prefetch_related(entries, "refunds").order_by("pk"):
        found += _payment_differences(payment)
    by_stripe_refund: dict[str, list[Refund]] = {}
    for refund in Refund.objects.prefetch_related(entries).order_by("pk"):
        by_stripe_refund.setdefault(refund.stripe_refund_id or f"unsent:{refund.pk}", []).append(refund)
    for rows in by_stripe_refund.values():
        found += _refund_differences(rows)
    for payout in Payout.objects.select_related("hauler__payout_account").prefetch_related(entries).order_by("pk"):
        found += _payout_differences(payout)
    found += disputes.differences()
    return found
