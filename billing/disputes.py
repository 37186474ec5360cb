"""Card disputes (chargebacks): recorded from Stripe's events, booked in the ledger, their evidence staged and sent.

Every charge.dispute.* event does one thing: fetch the dispute from Stripe as it is now and bring our row and the
ledger up to it. Its money is booked per balance transaction Stripe lists on it (a withdrawal, and a reinstatement
when won), each under a key naming that transaction, so a replayed event books nothing twice, and events arriving
out of order (closed before created) end in the same rows: whichever comes first finds the whole story at Stripe.
A status never moves back to an earlier stage (a stale fetch racing a newer one), but won and lost may swap:
Stripe can reverse its own decision.

Who bears a lost dispute: HaulMatch. The hauler did the visit and keeps its payable (it may be paid out already);
the amount the bank took back and Stripe's dispute fee come out of the platform fee, as a refund does, and go back
into it when the dispute is won. So per pickup, to the cent:
    charges - refunds - (withdrawn + dispute fees - reinstated) = hauler payable + platform fee - credits.
"""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from billing import ledger
from billing import stripe_gateway as gateway
from billing.models import Dispute, LedgerEntry, Payment
from billing.stripe_gateway import GatewayError, RemoteDispute, StripeUnreachable
from core.enqueue import enqueue
from core.errors import Conflict

Kind = LedgerEntry.Kind
Status = Dispute.Status
NEEDS_RESPONSE = (Status.NEEDS_RESPONSE, Status.WARNING_NEEDS_RESPONSE)
# Decided: a dispute won or lost, or an inquiry the bank closed without disputing (it moved no money).
CLOSED = (Status.WON, Status.LOST, Status.WARNING_CLOSED)
# How far along a dispute is; a fetch that says less than we know is older than what we hold.
STAGE = {
    Status.WARNING_NEEDS_RESPONSE: 0,
    Status.NEEDS_RESPONSE: 0,
    Status.WARNING_UNDER_REVIEW: 1,
    Status.UNDER_REVIEW: 1,
    Status.WARNING_CLOSED: 2,
    Status.WON: 2,
    Status.LOST: 2,
}


def record_from_stripe(*, stripe_dispute_id: str) -> Dispute | None:
    """Bring a dispute and its ledger entries up to Stripe's current view; None when its payment is not ours.

    A new dispute asks the market to open its case; one that closes (won, lost, an inquiry closed) asks it to settle
    that case.
    """
    remote = gateway.retrieve_dispute(stripe_dispute_id)
    if not remote.payment_intent_id:  # a charge made without a PaymentIntent is none of ours
        return None
    payment = Payment.objects.filter(stripe_payment_intent_id=remote.payment_intent_id).first()
    if payment is None:
        return None
    with transaction.atomic():
        # The payment's lock orders the events of its disputes: two handled at once book once, in turn.
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        dispute = Dispute.objects.filter(stripe_dispute_id=remote.dispute_id).first()
        created = dispute is None
        if created:
            dispute = Dispute(payment=payment, stripe_dispute_id=remote.dispute_id, status=remote.status)
        before = dispute.status
        if STAGE.get(remote.status, 0) >= STAGE.get(dispute.status, 0):
            dispute.status = remote.status
        dispute.stripe_charge_id = remote.charge_id
        dispute.amount_cents = remote.amount_cents
        dispute.currency = remote.currency
        dispute.reason = remote.reason[:40]
        dispute.due_by = remote.due_by
        dispute.fee_cents = sum(money.fee_cents for money in remote.money if money.fee_cents > 0)
        if remote.submission_count and dispute.evidence_submitted_at is None:  # sent from Stripe's Dashboard
            dispute.evidence_submitted_at = timezone.now()
        dispute.save()
        _book(dispute, payment, remote)
        if created:  # one first seen decided (closed before created) is settled as its case opens
            enqueue("marketplace.open_dispute_case", dispute.pk)
        if dispute.status in CLOSED and dispute.status != before:
            enqueue("marketplace.dispute_closed", dispute.pk)
    return dispute


def _spread(cents: int, weights: dict[int, int]) -> list[tuple[int, int]]:
    """(pickup id, cents) shares of `cents` in proportion to `weights`; the rounding's leftover cents go to the
    largest remainders (the earlier pickup on a tie), so the shares add up exactly."""
    total = sum(weights.values())
    if cents <= 0 or total <= 0:
        return []
    shares = {pickup_id: cents * weight // total for pickup_id, weight in weights.items()}
    left = cents - sum(shares.values())
    for pickup_id in sorted(weights, key=lambda pickup_id: -(cents * weights[pickup_id] % total))[:left]:
        shares[pickup_id] += 1
    return [(pickup_id, share) for pickup_id, share in shares.items() if share]


def _book(dispute: Dispute, payment: Payment, remote: RemoteDispute) -> None:
    """The ledger entries of each balance transaction on the dispute, spread over the payment's pickups by what
    each was charged, and mirrored in the platform fee (HaulMatch bears the dispute); each written once."""
    weights: dict[int, int] = {}
    for pickup_id, amount in payment.entries.filter(kind=Kind.CHARGE).values_list("pickup_id", "amount_cents"):
        weights[pickup_id] = weights.get(pickup_id, 0) + amount
    for money in remote.money:
        if money.amount_cents < 0:  # withdrawn, with Stripe's fee on top
            parts = [("amount", Kind.DISPUTE_WITHDRAWN, -money.amount_cents, -1), ("fee", Kind.DISPUTE_FEE,
                     money.fee_cents, -1)]  # fmt: skip
        else:  # reinstated: the amount, and the fee when Stripe gives it back (a negative fee)
            parts = [("amount", Kind.DISPUTE_REINSTATED, money.amount_cents, 1), ("fee", Kind.DISPUTE_REINSTATED,
                     -money.fee_cents, 1)]  # fmt: skip
        for part, kind, cents, to_fee in parts:
            for pickup_id, share in _spread(cents, weights):
                refs = {"customer_id": payment.customer_id, "pickup_id": pickup_id, "payment": payment}
                key = f"{money.transaction_id}:{pickup_id}:{part}"
                memo = f"Dispute {dispute.stripe_dispute_id}: " + (
                    "Stripe's dispute fee" if part == "fee" else "the disputed amount"
                )
                ledger.post(kind=kind, amount_cents=share, key=f"dispute:{key}", dispute=dispute, memo=memo, **refs)
                ledger.post(
                    kind=Kind.PLATFORM_FEE,
                    amount_cents=to_fee * share,
                    key=f"dispute-fee-share:{key}",
                    dispute=dispute,
                    memo=memo,
                    **refs,
                )


# --- Evidence ------------------------------------------------------------------------------------------------


def _digest(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, sort_keys=True).encode()
    return hashlib.sha256(raw).hexdigest()[:24]


def stage_evidence(*, dispute: Dispute, texts: dict[str, str], files: dict[str, tuple[str, bytes]]) -> Dispute:
    """Put an evidence packet on the dispute at Stripe without sending it (submit=false), for staff to review.

    `texts`: Stripe's text fields (service_date, uncategorized_text, ...); `files`: its file fields, each
    (filename, PDF/PNG/JPEG bytes), uploaded first. The keys name the content, so staging the same packet again
    repeats the same requests; a changed packet replaces the staged one.
    """
    dispute = Dispute.objects.get(pk=dispute.pk)
    if dispute.status not in NEEDS_RESPONSE or dispute.evidence_submitted_at is not None:
        raise Conflict(f"This dispute is {dispute.get_status_display().lower()}: its evidence can no longer change.")
    evidence = {name: text for name, text in texts.items() if text}
    for field, (filename, content) in sorted(files.items()):
        evidence[field] = gateway.upload_dispute_file(
            idempotency_key=f"dispute:{dispute.pk}:file:{field}:{_digest(content)}", filename=filename, content=content
        )
    gateway.update_dispute(
        idempotency_key=f"dispute:{dispute.pk}:stage:{_digest(evidence)}",
        dispute_id=dispute.stripe_dispute_id,
        evidence=evidence,
        submit=False,
    )
    Dispute.objects.filter(pk=dispute.pk).update(evidence_staged_at=timezone.now())
    dispute.refresh_from_db()
    return dispute


def submit_refusal(dispute: Dispute, *, now=None) -> str | None:
    """Why staff cannot send this dispute's evidence to the bank now (a sentence), or None when they can."""
    now = now or timezone.now()
    if dispute.evidence_submitted_at is not None:
        return f"The evidence was already sent to the bank on {dispute.evidence_submitted_at:%b %-d, %Y}."
    if dispute.status not in NEEDS_RESPONSE:
        return f"This dispute is {dispute.get_status_display().lower()}: the bank takes no evidence now."
    if dispute.evidence_staged_at is None:
        return "No evidence is staged yet: the case stages it when the dispute opens."
    if dispute.due_by is None:
        return "The bank takes no response to this dispute."
    if now >= dispute.due_by:
        return "The bank's deadline for evidence has passed; Stripe no longer takes it."
    return None


def submit_evidence(*, dispute: Dispute, by) -> Dispute:
    """Staff send the staged evidence to the bank (submit=true), once and before due_by; 409 Conflict otherwise."""
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        refusal = submit_refusal(dispute)
        if refusal:
            raise Conflict(refusal)
    try:
        # One key per dispute: two staff submitting at once send one request, and Stripe answers both alike.
        remote = gateway.update_dispute(
            idempotency_key=f"dispute:{dispute.pk}:submit",
            dispute_id=dispute.stripe_dispute_id,
            evidence={},
            submit=True,
        )
    except StripeUnreachable as exc:
        raise Conflict("Stripe did not answer; submit again (it is sent once, however often you try).") from exc
    except GatewayError as exc:
        raise Conflict(f"Stripe refused the evidence: {exc}") from exc
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.evidence_submitted_at is None:
            dispute.evidence_submitted_at = timezone.now()
            dispute.submitted_by = by if by is not None and by.is_authenticated else None
        if STAGE.get(remote.status, 0) >= STAGE.get(dispute.status, 0):
            dispute.status = remote.status
        dispute.save(update_fields=["evidence_submitted_at", "submitted_by", "status", "updated_at"])
    return dispute


# --- Reconciling -----------------------------------------------------------------------------------------------


def differences() -> list[str]:
    """Every way our disputes and their ledger entries disagree with Stripe's disputes (empty when they agree)."""
    remote = {found.dispute_id: found for found in gateway.list_disputes()}
    found = []
    rows = Dispute.objects.prefetch_related("entries").order_by("pk")
    known = set()
    for dispute in rows:
        known.add(dispute.stripe_dispute_id)
        name = f"Dispute {dispute.stripe_dispute_id} on payment {dispute.payment_id}"
        there = remote.get(dispute.stripe_dispute_id)
        if there is None:
            found.append(f"{name}: Stripe has no such dispute.")
            continue
        if there.status != dispute.status:
            found.append(f"{name}: Stripe says {there.status}, we say {dispute.status}.")
        if there.amount_cents != dispute.amount_cents:
            found.append(f"{name}: Stripe disputes {there.amount_cents} cents, we recorded {dispute.amount_cents}.")
        expected = {
            Kind.DISPUTE_WITHDRAWN: sum(-m.amount_cents for m in there.money if m.amount_cents < 0),
            Kind.DISPUTE_FEE: sum(m.fee_cents for m in there.money if m.amount_cents < 0),
            Kind.DISPUTE_REINSTATED: sum(m.amount_cents - m.fee_cents for m in there.money if m.amount_cents > 0),
        }
        for kind, cents in expected.items():
            booked = sum(entry.amount_cents for entry in dispute.entries.all() if entry.kind == kind)
            if booked != cents:
                label = Kind(kind).label.lower()
                found.append(f"{name}: the ledger holds {booked} cents of {label}, Stripe's balance {cents}.")
    unknown = [there for dispute_id, there in remote.items() if dispute_id not in known]
    intents = [there.payment_intent_id for there in unknown if there.payment_intent_id]
    ours = dict(
        Payment.objects.filter(stripe_payment_intent_id__in=intents).values_list("stripe_payment_intent_id", "pk")
    )
    for there in unknown:
        dispute_id = there.dispute_id
        if there.payment_intent_id in ours:
            found.append(
                f"Dispute {dispute_id} on payment {ours[there.payment_intent_id]}: at Stripe, not recorded here."
            )
    return found
