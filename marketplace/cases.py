"""Problem reports: a business reports what went wrong with a visit, both sides add words and photos, and the case
gathers its evidence (the visit's history, offers, proof, planned and actual times) by itself.

Staff settle cases in marketplace/resolutions.py; card disputes open their cases from billing's webhooks. A visit
has at most one open case per kind of problem (a partial unique constraint): reporting it again while it is open
adds to the open case, under the pickup's row lock, so two people reporting at once make one case.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict, NotFound
from core.models import StatusChange
from core.permissions import require
from core.transitions import actor
from core.uploads import PHOTO_TYPES, check_upload
from marketplace import dispatch, routes, scheduling, selectors
from marketplace.models import Case, CaseMessage, Offer, Pickup, ServiceProof

Side = CaseMessage.Side
MAX_PHOTOS = 5
MAX_BODY = 4000  # characters of one message: a report, not a document
# A visit can be reported once it has happened, or should have: done, missed, or still scheduled after its window.
REPORTABLE = (Pickup.Status.COMPLETED, Pickup.Status.MISSED, Pickup.Status.SCHEDULED)


def report_refusal(pickup: Pickup, *, now: dt.datetime | None = None) -> str | None:
    """Why this visit cannot be reported now (a sentence for the business), or None when it can."""
    now = now or timezone.now()
    if pickup.status not in REPORTABLE:
        return f"A {pickup.get_status_display().lower()} pickup cannot be reported: nothing was done or due."
    if pickup.status == Pickup.Status.SCHEDULED and now < pickup.window()[1]:
        return "You can report a problem once the pickup's arrival window has ended."
    today = scheduling.local_today(pickup.location.timezone, now=now)
    if (today - pickup.service_date).days > settings.CASE_REPORT_DAYS:
        return f"Problems can be reported up to {settings.CASE_REPORT_DAYS} days after the service date."
    return None


def open_problem(*, pickup: Pickup, problem: str, description: str, photos=(), by) -> Case:
    """Report a problem with a visit: a new case, told to the hauler and staff; the same problem reported again
    while its case is open adds the words and photos to that case instead."""
    require(user=by, organisation=pickup.customer, action="book")
    description = (description or "").strip()
    photos = [photo for photo in photos if photo]
    errors = {}
    if problem not in Case.Problem.values:
        errors["problem"] = "Choose what went wrong."
    if problem == Case.Problem.OTHER and not description:
        errors["description"] = "Tell us what went wrong."
    if len(description) > MAX_BODY:
        errors["description"] = f"Keep it under {MAX_BODY} characters."
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = f"Attach at most {MAX_PHOTOS} photos."
    if errors:
        raise ValidationError(errors)
    for photo in photos:
        check_upload(photo, allowed=PHOTO_TYPES, field="photos")
    with transaction.atomic():
        # The pickup's lock orders reports of one visit: the second waits, then finds the first's open case.
        locked = dispatch.locked_pickup(pickup.pk)
        refusal = report_refusal(locked)
        if refusal:
            raise Conflict(refusal)
        case = Case.objects.filter(pickup=locked, problem=problem, status=Case.Status.OPEN, kind=Case.Kind.PROBLEM)
        case = case.select_for_update().first()
        if case is not None:
            if description or photos:  # a repeat that says nothing new adds nothing
                added = _post(case, side=Side.BUSINESS, body=description, photos=photos, by=by)
                enqueue("marketplace.notify", "case_message_hauler", added[0].pk)
            return case
        case = Case.objects.create(
            kind=Case.Kind.PROBLEM,
            problem=problem,
            customer_id=locked.customer_id,
            pickup=locked,
            hauler_id=locked.hauler_id,
            payment=getattr(locked, "payment", None),
            description=description,
            respond_by=timezone.now() + dt.timedelta(hours=settings.CASE_RESPONSE_HOURS),
            opened_by=actor(by),
        )
        # the thread opens with the report; one typed without words says what was reported
        opening = description or f"{Case.Problem(problem).label}."
        _post(case, side=Side.BUSINESS, body=opening, photos=photos, by=by)
        if case.hauler_id is not None:
            enqueue("marketplace.notify", "case_opened", case.pk)
        enqueue("marketplace.notify", "case_opened_staff", case.pk)
    return case


def add_message(*, case: Case, side: str, body: str = "", photo=None, by) -> CaseMessage:
    """Add words or a photo to an open case from one side; the other side is told. The hauler's first message is
    its answer (stamped on the case, for the staff queue and the hauler's reliability)."""
    if side not in Side.values:
        raise ValueError(f"unknown side {side!r}")
    if side == Side.BUSINESS:
        require(user=by, organisation=case.customer, action="book")
    elif side == Side.HAULER:
        if case.hauler_id is None:
            raise Conflict("This case has no hauler to answer it.")
        require(user=by, organisation=case.hauler, action="dispatch")
    elif by is not None and not by.is_staff:
        raise Conflict("Only HaulMatch staff write as staff.")
    body = (body or "").strip()
    if not body and not photo:
        raise ValidationError({"body": "Write a message or attach a photo."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"Keep it under {MAX_BODY} characters."})
    if photo:
        check_upload(photo, allowed=PHOTO_TYPES, field="photo")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN:
            raise Conflict(f"This case is {locked.get_status_display().lower()}: it takes no more messages.")
        (message,) = _post(locked, side=side, body=body, photos=[photo] if photo else [], by=by)
        if side == Side.HAULER and locked.hauler_answered_at is None:
            locked.hauler_answered_at = message.created_at
            locked.save(update_fields=["hauler_answered_at", "updated_at"])
            case.hauler_answered_at = locked.hauler_answered_at
        for kind in _told(side, has_hauler=locked.hauler_id is not None):
            enqueue("marketplace.notify", kind, message.pk)
    return message


def _told(side: str, *, has_hauler: bool) -> list[str]:
    """The notification kinds a message from `side` sends: to the other side (both, for staff's)."""
    to_business, to_hauler = "case_message_business", "case_message_hauler"
    if side == Side.BUSINESS:
        return [to_hauler] if has_hauler else []
    if side == Side.HAULER:
        return [to_business]
    return [to_business, *([to_hauler] if has_hauler else [])]


def _post(case: Case, *, side: str, body: str, photos: list, by) -> list[CaseMessage]:
    """The words with the first photo, then one message per further photo (a message holds one photo)."""
    author = actor(by)
    first = photos[0] if photos else None
    messages = [CaseMessage(case=case, side=side, author=author, body=body, photo=first or "")]
    messages += [CaseMessage(case=case, side=side, author=author, photo=photo) for photo in photos[1:]]
    for message in messages:
        message.save()  # one by one: FileField saves its file on save(), which bulk_create skips
    return messages


@dataclass(frozen=True)
class Evidence:
    """What a case knows without anyone typing it: the visit's history and proof, and what both sides said."""

    case: Case
    pickup: Pickup | None
    timeline: list[StatusChange]  # the pickup's status changes, oldest first
    offers: list[Offer]  # who was offered the visit and how each answered, oldest first
    proof: ServiceProof | None
    weight_kg: Decimal | None
    window: tuple[dt.datetime, dt.datetime] | None  # the promised arrival window, aware
    planned_arrival: tuple[dt.datetime, dt.datetime] | None  # the route's planned arrival, give or take
    completed_at: dt.datetime | None
    messages: list[CaseMessage]

    @property
    def has_proof_photo(self) -> bool:
        return self.proof is not None and bool(self.proof.photo)


def evidence(*, case: Case) -> Evidence:
    """The case's evidence, read fresh (a card dispute without a visit has messages only)."""
    messages = list(case.messages.select_related("author").order_by("created_at", "id"))
    pickup = case.pickup
    if pickup is None:
        return Evidence(case, None, [], [], None, None, None, None, None, messages)
    offers = list(pickup.offers.select_related("hauler").order_by("created_at", "id"))
    proof = ServiceProof.objects.filter(pickup=pickup).first()
    return Evidence(
        case=case,
        pickup=pickup,
        timeline=selectors.pickup_timeline(pickup=pickup),
        offers=offers,
        proof=proof,
        weight_kg=proof.weight_kg if proof is not None else None,
        window=pickup.window(),
        planned_arrival=routes.planned_arrival(pickup) if pickup.hauler_id else None,
        completed_at=pickup.completed_at,
        messages=messages,
    )


def _cases() -> QuerySet:
    return Case.objects.select_related("pickup__location", "pickup__hauler", "hauler", "customer", "make_up").order_by(
        "-created_at", "-id"
    )


def cases_for_customer(*, customer) -> QuerySet:
    """The business's cases, newest first."""
    return _cases().filter(customer=customer)


def cases_for_hauler(*, hauler) -> QuerySet:
    """The cases about the hauler's visits, newest first (card disputes are between the business and its bank)."""
    return _cases().filter(hauler=hauler, kind=Case.Kind.PROBLEM)


def case_for_customer(*, customer, case_id) -> Case:
    """One of the business's cases, or NotFound (another business's included)."""
    case = cases_for_customer(customer=customer).filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case


def case_for_hauler(*, hauler, case_id) -> Case:
    """One of the cases about the hauler's visits, or NotFound."""
    case = cases_for_hauler(hauler=hauler).filter(pk=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case


def open_cases_of(*, pickup: Pickup) -> QuerySet:
    """The visit's open cases (the pickup page links them)."""
    return Case.objects.filter(pickup=pickup, status=Case.Status.OPEN).order_by("created_at", "id")
