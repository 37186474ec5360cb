"""Staff settle a problem report: a make-up visit, a refund, a credit, any of them together, or a reasoned rejection.

Each part is idempotent on its own, so a resolve retried after a crash or a lost answer (or two staff at once) does
each part once: the refund carries a request token derived from the case (billing.refunds.refund_payment returns the
refund that token already made), the credit a key derived from the case (billing.refunds.grant_credit writes it
once), and the make-up is the visit's one make-up (marketplace.makeups.book_make_up). Everything is checked before
anything is done. Then the case is claimed for its terms (`Case.settling`, a conditional update), so two staff
settling it at once with different terms, or a rejection beside a settlement, cannot each do their own parts: the
second gets a Conflict before any money moves, while the same terms again go on. The money goes first: a refund
Stripe refuses leaves the case open, unclaimed and nothing else done. The case is closed last, by a guarded
transition.

Card disputes are not settled here: the card network decides them (billing's webhooks move them to won or lost).
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import refunds
from billing.models import Payment, Refund
from core.enqueue import enqueue
from core.errors import Conflict
from core.templatetags.money import dollars
from core.transitions import actor, transition
from marketplace import makeups
from marketplace.models import Case, CaseMessage

# uuid5 of the case: the same case always asks for the same refund
REFUND_TOKENS = uuid.UUID("6f1d6c2e-3b7a-4c55-9e0b-6b8d1f7c2a11")
MAX_NOTE = 2000


def _open_problem(case: Case) -> Case:
    locked = Case.objects.select_related("pickup__location").get(pk=case.pk)
    if locked.kind != Case.Kind.PROBLEM:
        raise Conflict("A card dispute is decided by the card network, not settled here.")
    if locked.status != Case.Status.OPEN:
        raise Conflict(f"This case is already {locked.get_status_display().lower()}.")
    return locked


def _claim(case: Case, terms: dict) -> None:
    """Take the case for these terms before any money moves. The same terms again (a retry, a double click) go on;
    other terms, from a second member of staff at the same moment, are refused."""
    if Case.objects.filter(pk=case.pk, status=Case.Status.OPEN, settling__isnull=True).update(settling=terms):
        return
    current = Case.objects.get(pk=case.pk)
    if current.status != Case.Status.OPEN:
        raise Conflict(f"This case is already {current.get_status_display().lower()}.")
    if current.settling != terms:
        raise Conflict("Someone else is settling this case with other terms right now. Reload it to see how it ends.")


def paid_payment(case: Case) -> Payment | None:
    """The succeeded card payment that paid for the case's visit (its own, or its month's invoice), if any."""
    if case.payment_id and case.payment.status == Payment.Status.SUCCEEDED:
        return case.payment
    paid = Payment.objects.filter(status=Payment.Status.SUCCEEDED).exclude(stripe_payment_intent_id="")
    return (
        paid.filter(pickup_id=case.pickup_id).first()
        or paid.filter(invoice__lines__pickup_id=case.pickup_id).order_by("pk").first()
    )


def refundable_cents(*, case: Case) -> int:
    """What can still be refunded to the card for the case's visit."""
    payment = paid_payment(case)
    if payment is None or _disputed(payment):
        return 0
    return refunds.refundable_cents(payment=payment, pickup_id=case.pickup_id)


def _disputed(payment: Payment) -> bool:
    # the card's bank holds the money while it disputes the charge: nothing can be refunded (Stripe refuses too)
    return payment.disputes.exclude(status__startswith="warning_").exists()


def _check(case: Case, *, make_up: bool, refund_cents: int, credit_cents: int, note: str, claim_overturned: bool):
    errors = {}
    if refund_cents < 0:
        errors["refund_cents"] = "Enter an amount of zero or more."
    elif refund_cents and refund_cents > (room := refundable_cents(case=case)):
        errors["refund_cents"] = (
            f"At most {dollars(room)} can be refunded for this visit."
            if room
            else "The card's bank disputes this payment, so nothing can be refunded; grant a credit instead."
            if (paid := paid_payment(case)) is not None and _disputed(paid)
            else "Nothing paid by card for this visit can be refunded; grant a credit instead."
        )
    if credit_cents < 0:
        errors["credit_cents"] = "Enter an amount of zero or more."
    if claim_overturned and not case.pickup.exception_reason:
        errors["claim_overturned"] = (
            "The hauler did not say it could not service this visit; there is nothing to overturn."
        )
    if make_up and case.pickup.status not in makeups.MAKEABLE:
        errors["make_up"] = "Only a completed or missed visit can be made up; this one is not done yet."
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if not errors and not (make_up or refund_cents or credit_cents or claim_overturned):
        errors["__all__"] = (
            "Choose at least one way to settle it (make-up, refund, credit), or reject it with a reason."
        )
    if errors:
        raise ValidationError(errors)


def resolve(
    *, case: Case, by, make_up: bool, refund_cents: int, credit_cents: int, note: str, claim_overturned: bool
) -> Case:
    """Settle an open problem report with any combination of a make-up visit, a refund and a credit; both sides told."""
    case = _open_problem(case)
    note = (note or "").strip()
    _check(
        case,
        make_up=make_up,
        refund_cents=refund_cents,
        credit_cents=credit_cents,
        note=note,
        claim_overturned=claim_overturned,
    )
    terms = {
        "make_up": make_up,
        "refund_cents": refund_cents,
        "credit_cents": credit_cents,
        "claim_overturned": claim_overturned,
        "note": note,
    }
    _claim(case, terms)
    why = f"Case {case.pk}: {note or case.get_problem_display()}"
    if refund_cents:
        token = uuid.uuid5(REFUND_TOKENS, f"case:{case.pk}")
        try:
            refunds.refund_payment(
                payment=paid_payment(case),
                pickup_id=case.pickup_id,
                amount_cents=refund_cents,
                reason=why[:300],
                by=by,
                token=token,
            )
        except (Conflict, ValidationError):
            if not Refund.objects.filter(request_token=token).exists():  # refused: no money moved, choose again
                Case.objects.filter(pk=case.pk, settling=terms).update(settling=None)
            raise
    if credit_cents:
        refunds.grant_credit(
            customer=case.customer, amount_cents=credit_cents, reason=why, key=f"case:{case.pk}", pickup=case.pickup
        )
    made = None
    if make_up:
        made = makeups.book_make_up(pickup=case.pickup, by=by, reason=why, same_hauler_first=True)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN:  # another resolve got here first; its parts were the same ones
            raise Conflict(f"This case is already {locked.get_status_display().lower()}.")
        linked_elsewhere = made is not None and Case.objects.filter(make_up=made).exclude(pk=case.pk).exists()
        transition(
            locked,
            Case.Status.RESOLVED,
            by=by,
            reason="Settled by staff",
            fields={
                "make_up": None if linked_elsewhere else made,
                "refund_cents": refund_cents,
                "credit_cents": credit_cents,
                "claim_overturned": claim_overturned,
                "resolution_note": note,
                "resolved_by": actor(by),
                "resolved_at": timezone.now(),
            },
        )
        CaseMessage.objects.create(case=locked, side=CaseMessage.Side.SYSTEM, body=settlement(locked, made))
        enqueue("marketplace.notify", "case_resolved", locked.pk)
        if locked.hauler_id:
            enqueue("marketplace.notify", "case_resolved_hauler", locked.pk)
            if claim_overturned:
                enqueue("marketplace.update_reliability", locked.hauler_id)
    return locked


def settlement(case: Case, made=None) -> str:
    """The settlement in one sentence, as both sides read it in the thread."""
    parts = []
    made = made or case.make_up
    if made is not None:
        parts.append(f"a make-up visit on {made.service_date:%a, %b %-d}")
    if case.refund_cents:
        parts.append(f"{dollars(case.refund_cents)} refunded to the card")
    if case.credit_cents:
        parts.append(f"{dollars(case.credit_cents)} of credit")
    if case.claim_overturned:
        parts.append("the hauler's could-not-service report overturned")
    sentence = "Settled: " + ", ".join(parts) + "."
    return f"{sentence} {case.resolution_note}".strip()


def reject(*, case: Case, by, reason: str) -> Case:
    """Close an open problem report with no action, saying why; both sides told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the report is rejected: the business reads it."})
    if len(reason) > MAX_NOTE:
        raise ValidationError({"reason": f"Keep the reason under {MAX_NOTE} characters."})
    _open_problem(case)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN:
            raise Conflict(f"This case is already {locked.get_status_display().lower()}.")
        if locked.settling is not None:  # a settlement's money may be moving already
            raise Conflict("Someone is settling this case right now. Reload it to see how it ends.")
        transition(
            locked,
            Case.Status.REJECTED,
            by=by,
            reason="Rejected by staff",
            fields={"resolution_note": reason, "resolved_by": actor(by), "resolved_at": timezone.now()},
        )
        CaseMessage.objects.create(case=locked, side=CaseMessage.Side.SYSTEM, body=f"Closed with no action: {reason}")
        enqueue("marketplace.notify", "case_rejected", locked.pk)
        if locked.hauler_id:
            enqueue("marketplace.notify", "case_rejected_hauler", locked.pk)
    return locked
