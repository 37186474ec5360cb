"""Billing rows made without Stripe: payments settled as the webhook would, invoices, refunds, payouts."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing import charges, ledger
from billing.models import Dispute, LedgerEntry, Payment, Payout, PayoutAccount, Refund, StripeEvent
from marketplace.models import Case, Pickup
from tests import factories


def completed_pickup(*, location, hauler, price_cents=3_000, payout_cents=2_400, days_ago=2, **fields) -> Pickup:
    return factories.PickupFactory(
        location=location,
        hauler=hauler,
        status=Pickup.Status.COMPLETED,
        service_date=timezone.localdate() - dt.timedelta(days=days_ago),
        completed_at=timezone.now() - dt.timedelta(days=days_ago),
        price_cents=price_cents,
        payout_cents=payout_cents,
        **fields,
    )


def paid_payment(pickup: Pickup, *, intent: str | None = None) -> Payment:
    """The pickup's payment, charged and settled with its ledger entries (as a succeeded PaymentIntent leaves it)."""
    payment = charges.bill_pickup(
        pickup=pickup,
        customer=pickup.customer,
        hauler=pickup.hauler,
        amount_cents=pickup.price_cents,
        payable_cents=pickup.payout_cents,
        description=f"Trash pickup on {pickup.service_date:%b %-d, %Y}",
    )
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        charges._settle(payment, payment_intent_id=intent or f"pi_test_{payment.pk}")
    payment.refresh_from_db()
    return payment


def settle(payment: Payment, *, intent: str) -> Payment:
    """An opened payment (a pickup's or an invoice's) settled as a succeeded PaymentIntent leaves it."""
    with transaction.atomic():
        charges._settle(Payment.objects.select_for_update().get(pk=payment.pk), payment_intent_id=intent)
    payment.refresh_from_db()
    return payment


def failed_payment(pickup: Pickup, *, message="Your card was declined.", retry_in=dt.timedelta(days=1)) -> Payment:
    payment = charges.bill_pickup(
        pickup=pickup,
        customer=pickup.customer,
        hauler=pickup.hauler,
        amount_cents=pickup.price_cents,
        payable_cents=pickup.payout_cents,
        description=f"Trash pickup on {pickup.service_date:%b %-d, %Y}",
    )
    Payment.objects.filter(pk=payment.pk).update(
        status=Payment.Status.FAILED,
        attempts=1,
        failure_message=message,
        next_attempt_at=timezone.now() + retry_in if retry_in else None,
    )
    payment.refresh_from_db()
    return payment


def disputed(payment: Payment) -> Dispute:
    """A card dispute the bank opened on a paid payment, needing a response within a week, with its case."""
    dispute = Dispute.objects.create(
        payment=payment,
        stripe_dispute_id=f"du_test_{payment.pk}",
        stripe_charge_id=f"ch_test_{payment.pk}",
        amount_cents=payment.charged_cents,
        fee_cents=1_500,
        reason="product_not_received",
        status=Dispute.Status.NEEDS_RESPONSE,
        due_by=timezone.now() + dt.timedelta(days=7),
    )
    Case.objects.create(
        kind=Case.Kind.DISPUTE,
        customer_id=payment.customer_id,
        pickup_id=payment.pickup_id,
        hauler_id=payment.hauler_id,
        payment=payment,
        dispute=dispute,
        description="The card's bank disputes the payment (product not received).",
        respond_by=dispute.due_by,
    )
    return dispute


def invoice_for(customer, pickups: list[Pickup], *, month: dt.date | None = None):
    """Last month's invoice for plan-like visits (an invoice payment is opened with it)."""
    month = month or (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    lines = [
        {
            "pickup": pickup,
            "hauler_id": pickup.hauler_id,
            "service_date": pickup.service_date,
            "description": f"Trash, 96-gallon cart x 1 at {pickup.location.name}",
            "amount_cents": pickup.price_cents,
            "payable_cents": pickup.payout_cents,
        }
        for pickup in pickups
    ]
    return charges.issue_invoice(customer=customer, month=month, lines=lines)


def payout_for(hauler, pickups: list[Pickup], *, status=Payout.Status.PAID, failure_message="") -> Payout:
    """A payout of what the hauler earned on these (paid) pickups, with a TRANSFER entry per pickup (and, for a
    failed one, the reversal that owes each pickup again)."""
    owed = ledger.unpaid_payables(hauler_id=hauler.pk)
    amounts = {pickup.pk: owed[pickup.pk] for pickup in pickups}
    payout = Payout.objects.create(
        hauler=hauler, amount_cents=sum(amounts.values()), status=status, failure_message=failure_message
    )
    if status == Payout.Status.PAID:
        payout.stripe_transfer_id, payout.paid_at = f"tr_test_{payout.pk}", timezone.now()
        payout.save()
    for pickup_id, cents in amounts.items():
        refs = {"amount_cents": cents, "hauler": hauler, "pickup_id": pickup_id, "payout": payout}
        ledger.post(kind=LedgerEntry.Kind.TRANSFER, key=f"transfer:{payout.pk}:{pickup_id}", **refs)
        if status == Payout.Status.FAILED:
            key = f"transfer-reversed:{payout.pk}:{pickup_id}"
            ledger.post(kind=LedgerEntry.Kind.TRANSFER_REVERSED, key=key, **refs)
    return payout


def make_billing_rows(*, customer, location, hauler) -> dict:
    """At least one row of every billing model, for the admin's every-page tests."""
    factories.BillingAccountFactory(customer=customer)
    payment = paid_payment(completed_pickup(location=location, hauler=hauler))
    refund = Refund.objects.create(
        payment=payment, pickup_id=payment.pickup_id, amount_cents=500, reason="Lid left open", stripe_refund_id="re_1"
    )
    invoice = invoice_for(customer, [completed_pickup(location=location, hauler=hauler, days_ago=40)])
    PayoutAccount.objects.create(hauler=hauler, stripe_account_id="acct_test_1", payouts_enabled=True)
    payout = payout_for(hauler, [payment.pickup])
    disputed(paid_payment(completed_pickup(location=location, hauler=hauler, days_ago=3)))
    StripeEvent.objects.create(
        event_id="evt_test_1",
        type="payment_intent.succeeded",
        payload={"id": "evt_test_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_none"}}},
    )
    return {"payment": payment, "refund": refund, "invoice": invoice, "payout": payout}
