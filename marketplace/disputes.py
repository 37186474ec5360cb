"""Card disputes in the market: the case a dispute opens, the evidence packet it stages at Stripe, and its end.

billing records a dispute from Stripe's events and asks for these by task name (it knows nothing of the market):
`open_case` when it first sees the dispute, `settle_case` when it closes. Both are safe to run again and in either
order: each opens the case if it is not there yet, so a dispute closed before its creation event was handled
still ends with one case, won or lost.

The packet is what a bank reads to decide (Stripe's evidence fields): the service date; the proof of service (the
hauler's photo, time and weight) as a PDF in service_documentation; the visit's history and the case's messages as
uncategorized_text; the booking confirmation the business was sent as customer_communication; and the cancellation
terms it booked under as cancellation_policy_disclosure. It is staged with submit=false: staff read it and send it
from the admin before the bank's deadline.
"""

import base64
import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from billing import disputes as billing_disputes
from billing import pdf
from billing.models import Dispute, Payment
from core.enqueue import enqueue
from core.errors import Conflict
from core.transitions import allowed, transition
from marketplace import selectors
from marketplace.models import Case, CaseMessage, Pickup, ServiceProof

MAX_TEXT = 20_000  # characters of history and messages: a bank reads a page or two, and Stripe caps all text
MAX_PHOTO_BYTES = 3 * 1024 * 1024  # a proof photo embedded in the PDF (Stripe takes evidence files up to 5 MB)
PHOTO_KINDS = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
# How a decided dispute ends its case; an inquiry the bank closed without disputing settles it with nothing lost.
OUTCOME = {
    Dispute.Status.WON: Case.Status.WON,
    Dispute.Status.LOST: Case.Status.LOST,
    Dispute.Status.WARNING_CLOSED: Case.Status.RESOLVED,
}


def _pickups(payment: Payment) -> list[Pickup]:
    """The visits a payment paid for: its pickup, or its invoice's visits."""
    if payment.pickup_id:
        return [payment.pickup]
    ids = payment.invoice.lines.values_list("pickup_id", flat=True)
    return list(Pickup.objects.filter(pk__in=ids).select_related("location", "hauler").order_by("service_date", "pk"))


def _case_for(dispute: Dispute) -> Case:
    """The dispute's one case, opened now if it is not there (its OneToOne keeps two openers to one case)."""
    existing = Case.objects.filter(dispute=dispute).first()
    if existing is not None:
        return existing
    payment = dispute.payment
    pickup = payment.pickup if payment.pickup_id else None
    hauler_id = payment.hauler_id or (pickup.hauler_id if pickup is not None else None)
    reason = dispute.reason.replace("_", " ") or "no reason given"
    try:
        with transaction.atomic():
            case = Case.objects.create(
                kind=Case.Kind.DISPUTE,
                customer_id=payment.customer_id,
                pickup=pickup,
                hauler_id=hauler_id,
                payment=payment,
                dispute=dispute,
                description=f"The card's bank disputes {_dollars(dispute.amount_cents)} of {payment.description} "
                f"({reason}).",
                # Stripe's deadline is the case's: evidence must be with the bank before it.
                respond_by=dispute.due_by or timezone.now() + dt.timedelta(days=7),
            )
            CaseMessage.objects.create(
                case=case,
                side=CaseMessage.Side.SYSTEM,
                body=f"Stripe reported a card dispute ({reason}). The evidence is staged for staff to review and "
                "send to the bank before its deadline.",
            )
            enqueue("marketplace.notify", "dispute_opened_staff", case.pk)
    except IntegrityError:  # opened at the same moment by the other task
        return Case.objects.get(dispute=dispute)
    return case


def open_case(*, dispute_id: int) -> Case:
    """The dispute's case, opened once, with its evidence packet staged at Stripe while the bank still takes it."""
    dispute = Dispute.objects.select_related("payment__pickup__location", "payment__invoice").get(pk=dispute_id)
    case = _case_for(dispute)
    if dispute.status in billing_disputes.NEEDS_RESPONSE and dispute.evidence_staged_at is None:
        # closed (or answered from Stripe's Dashboard) meanwhile: there is nothing left to stage
        with contextlib.suppress(Conflict):
            stage_packet(case=case)
    if dispute.status in OUTCOME:
        settle_case(dispute_id=dispute.pk)
    return case


def settle_case(*, dispute_id: int) -> Case:
    """A decided dispute's case becomes won, lost or (an inquiry closed) resolved, once per outcome, and the business
    and the hauler are told."""
    dispute = Dispute.objects.select_related("payment").get(pk=dispute_id)
    case = _case_for(dispute)
    outcome = OUTCOME.get(dispute.status)
    if outcome is None:
        return case
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == outcome or not allowed(case, outcome):
            return case
        transition(
            case,
            outcome,
            reason=f"Stripe closed the card dispute: {dispute.get_status_display().lower()}.",
            fields={"resolved_at": timezone.now(), "resolution_note": _outcome_sentence(dispute)},
        )
        enqueue("marketplace.notify", "dispute_closed_business", case.pk)
        if case.hauler_id is not None:
            enqueue("marketplace.notify", "dispute_closed_hauler", case.pk)
    return case


def _outcome_sentence(dispute: Dispute) -> str:
    if dispute.status == Dispute.Status.WARNING_CLOSED:
        return "The bank closed its inquiry without disputing the charge: no money moved."
    if dispute.status == Dispute.Status.WON:
        return f"The bank decided for HaulMatch: the {_dollars(dispute.amount_cents)} and Stripe's fee came back."
    return f"The bank decided for the cardholder: the {_dollars(dispute.amount_cents)} stays with them."


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


# --- The evidence packet -------------------------------------------------------------------------------------


def stage_packet(*, case: Case) -> Dispute:
    """Build the case's evidence packet and stage it on the dispute at Stripe (submit=false)."""
    dispute = case.dispute
    payment = dispute.payment
    visits = _pickups(payment)
    texts = {
        "service_date": ", ".join(f"{visit.service_date:%Y-%m-%d}" for visit in visits),
        "product_description": "; ".join(_visit_line(visit) for visit in visits)[:1000],
        "customer_name": payment.customer.name[:500],
        "uncategorized_text": _history_text(case, visits),
        "cancellation_policy_disclosure": cancellation_terms(),
    }
    email = _booker_email(visits)
    if email:
        texts["customer_email_address"] = email
    files = {
        "service_documentation": ("service-documentation.pdf", _proof_pdf(payment, visits)),
        "customer_communication": ("booking-confirmation.pdf", _confirmation_pdf(payment, visits)),
    }
    dispute = billing_disputes.stage_evidence(dispute=dispute, texts=texts, files=files)
    CaseMessage.objects.create(
        case=case,
        side=CaseMessage.Side.SYSTEM,
        body="Evidence staged at Stripe (not yet sent): the service date, the proof of service, the visit's "
        "history and messages, the booking confirmation and the cancellation terms.",
    )
    return dispute


def cancellation_terms() -> str:
    """The cancellation terms every booking is made under, as the pickup page states them."""
    hours = int(settings.CANCELLATION_CUTOFF.total_seconds() // 3600)
    return (
        f"A pickup can be cancelled free of charge until {hours} hours before its arrival window starts. Inside "
        f"those {hours} hours a late-cancellation fee of {_dollars(settings.CANCELLATION_FEE_CENTS)} (never more "
        "than the pickup's price) is charged, because the hauler has planned its route for the visit. These terms "
        "are shown on every pickup's page and on the page that asks the business to confirm a cancellation."
    )


def _zone(visit: Pickup) -> ZoneInfo:
    return ZoneInfo(visit.location.timezone or settings.TIME_ZONE)


def _at(moment: dt.datetime, visit: Pickup) -> str:
    local = moment.astimezone(_zone(visit))
    return f"{local:%b %-d, %Y %-I:%M %p} {local.tzname()}"


def _visit_line(visit: Pickup) -> str:
    return (
        f"{visit.get_waste_stream_display()} pickup, {visit.quantity} x {visit.get_container_display()}, at "
        f"{visit.location.name} ({visit.location.street}, {visit.location.city}) on {visit.service_date:%b %-d, %Y}"
    )


def _booker_email(visits: list[Pickup]) -> str:
    for visit in visits:
        if visit.created_by_id and visit.created_by.email:
            return visit.created_by.email[:500]
    return ""


def _history_text(case: Case, visits: list[Pickup]) -> str:
    """The visits' status history, the proof recorded, and what was said on the case, as plain sentences."""
    lines = []
    for visit in visits:
        lines.append(f"Visit #{visit.pk}: {_visit_line(visit)}.")
        start, end = visit.window()
        lines.append(f"  Arrival window: {_at(start, visit)} to {_at(end, visit)}.")
        for change in selectors.pickup_timeline(pickup=visit):
            why = f" ({change.reason})" if change.reason else ""
            lines.append(f"  {_at(change.at, visit)}: {change.from_status or 'new'} -> {change.to_status}{why}")
        proof = ServiceProof.objects.filter(pickup=visit).first()
        if proof is not None:
            weight = f", {proof.weight_kg} kg" if proof.weight_kg is not None else ""
            notes = f": {proof.notes}" if proof.notes else ""
            lines.append(f"  Serviced at {_at(proof.serviced_at, visit)}, with a photo{weight}{notes}.")
    messages = list(case.messages.order_by("created_at", "id"))
    if messages:
        lines.append("Messages on the case:")
        zone_visit = visits[0] if visits else None
        for message in messages:
            when = _at(message.created_at, zone_visit) if zone_visit else f"{message.created_at:%Y-%m-%d %H:%M} UTC"
            lines.append(f"  {when}, {message.get_side_display()}: {message.body}")
    text = "\n".join(lines)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 20] + "\n[shortened]"


def _photo_data_url(proof: ServiceProof) -> str:
    """The proof photo as a data: URL for the PDF (WeasyPrint fetches nothing else), or "" if it cannot be."""
    try:
        with proof.photo.open("rb") as file:
            body = file.read(MAX_PHOTO_BYTES + 1)
    except (OSError, ValueError):
        return ""
    kind = next((kind for magic, kind in PHOTO_KINDS.items() if body.startswith(magic)), None)
    if kind is None or len(body) > MAX_PHOTO_BYTES:
        return ""
    return f"data:{kind};base64,{base64.b64encode(body).decode()}"


def _proof_pdf(payment: Payment, visits: list[Pickup]) -> bytes:
    sections = []
    for visit in visits:
        proof = ServiceProof.objects.filter(pickup=visit).first()
        facts = [("Service", _visit_line(visit)), ("Hauler", visit.hauler.name if visit.hauler_id else "None")]
        photo = ""
        if proof is not None:
            facts.append(("Serviced at", _at(proof.serviced_at, visit)))
            if proof.weight_kg is not None:
                facts.append(("Weight", f"{proof.weight_kg} kg"))
            if proof.notes:
                facts.append(("Driver's notes", proof.notes))
            photo = _photo_data_url(proof)
        else:
            facts.append(("Proof", "No proof of service was recorded."))
        sections.append({"title": f"Visit #{visit.pk}", "facts": facts, "photo": photo})
    context = {"title": "Proof of service", "payment": payment, "sections": sections}
    return pdf.render_pdf(template="marketplace/disputes/evidence_print.html", context=context)


def _confirmation_pdf(payment: Payment, visits: list[Pickup]) -> bytes:
    sections = []
    for visit in visits:
        facts = [
            ("Booked", _at(visit.created_at, visit)),
            ("Booked by", visit.created_by.email if visit.created_by_id else payment.customer.name),
            ("Service", _visit_line(visit)),
            ("Price", _dollars(visit.price_cents)),
        ]
        # The confirmation email the business was sent when it booked, word for word.
        email = render_to_string(
            "emails/pickup_booked.txt", {"obj": visit, "site_url": settings.SITE_URL, "url": "", "why": ""}
        )
        sections.append({"title": f"Booking of visit #{visit.pk}", "facts": facts, "text": email, "photo": ""})
    sections.append({"title": "Cancellation terms", "facts": [], "text": cancellation_terms(), "photo": ""})
    context = {"title": "Booking confirmation", "payment": payment, "sections": sections}
    return pdf.render_pdf(template="marketplace/disputes/evidence_print.html", context=context)
