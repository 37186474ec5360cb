"""What both sides' case pages share: the forms, the case's status as a sentence, its evidence as a person reads
it, and its photos, which only the case's business, its hauler's office and staff may open."""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from core.permissions import may
from core.templatetags.money import dollars
from marketplace import cases
from marketplace.models import Case, CaseMessage, Pickup
from marketplace.web import activity
from marketplace.web.formatting import clock_range, day, moment, zone_on

PHOTO_ACCEPT = "image/jpeg,image/png"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from one file input; each is checked by the service (core.uploads)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT, "multiple": True}))
        kwargs.setdefault("allow_empty_file", True)  # the service refuses empty files with its own message
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultiplePhotoField, self).clean(item, initial) for item in files]


class ReportForm(forms.Form):
    problem = forms.ChoiceField(label="What went wrong?", choices=Case.Problem.choices, widget=forms.RadioSelect)
    description = forms.CharField(
        label="What happened",
        required=False,  # needed for "something else": the service says so
        max_length=cases.MAX_BODY,
        widget=forms.Textarea({"rows": 4}),
        help_text="What you saw, and when. Needed if you chose “Something else”.",
    )
    photos = MultiplePhotoField(
        label="Photos (optional)", required=False, help_text=f"Up to {cases.MAX_PHOTOS}, JPEG or PNG, 10 MB each."
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", required=False, max_length=cases.MAX_BODY, widget=forms.Textarea({"rows": 3})
    )
    photo = forms.FileField(
        label="Photo (optional)",
        required=False,
        allow_empty_file=True,
        help_text="JPEG or PNG, up to 10 MB.",
        widget=forms.FileInput(attrs={"accept": PHOTO_ACCEPT}),
    )


def status_sentence(case: Case, *, side: str) -> str:
    """Where the case stands, for the business ("business") or the hauler ("hauler")."""
    zone = case.pickup.location.timezone if case.pickup_id else None
    deadline = moment(case.respond_by, zone)
    hauler = case.hauler.name if case.hauler_id else "the hauler"
    if case.status == Case.Status.OPEN and case.kind == Case.Kind.DISPUTE:
        return f"Open. Your bank is reviewing the card dispute; HaulMatch answers it with the evidence by {deadline}."
    if case.status == Case.Status.OPEN:
        if side == "hauler":
            asked = "You have answered." if case.hauler_answered_at else "We are waiting for your side of it."
            return f"Open. {asked} HaulMatch staff will decide by {deadline}."
        answered = f"{hauler} has answered." if case.hauler_answered_at else f"We have asked {hauler} for its side."
        return f"Open. {answered} HaulMatch staff will decide by {deadline}."
    when = moment(case.resolved_at, zone) if case.resolved_at else "recently"
    if case.status == Case.Status.REJECTED:
        why = f": {case.resolution_note}" if case.resolution_note else "."
        return f"Closed on {when} without a change{why}"
    if case.status in (Case.Status.WON, Case.Status.LOST):
        return f"The card dispute was {'won' if case.status == Case.Status.WON else 'lost'} on {when}."
    return f"Settled on {when}: {settlement(case)}."


def settlement(case: Case) -> str:
    """What staff gave for a settled case, in words: 'a make-up visit on Thu, Dec 3 and a refund of $20.00'."""
    parts = []
    if case.make_up_id:
        parts.append(f"a make-up visit on {day(case.make_up.service_date)}")
    if case.refund_cents:
        parts.append(f"a refund of {dollars(case.refund_cents)}")
    if case.credit_cents:
        parts.append(f"a credit of {dollars(case.credit_cents)}")
    said = " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts) or "no change"
    return f"{said} ({case.resolution_note})" if case.resolution_note else said


def evidence_view(case: Case, *, side: str) -> dict:
    """The case's evidence (cases.evidence) as the page says it: the history in sentences, times in the place's
    zone, the proof, and the offers made for the visit (naming no hauler but the case's own)."""
    found = cases.evidence(case=case)
    pickup = found.pickup
    if pickup is None:
        return {"evidence": found}
    tz = pickup.location.timezone
    place = ZoneInfo(tz)
    start, end = (at.astimezone(place) for at in found.window)
    window = f"{day(pickup.service_date)}, {clock_range(start, end)} {zone_on(tz, pickup.service_date)}"
    planned = None
    if found.planned_arrival:
        planned = clock_range(*(at.astimezone(place) for at in found.planned_arrival))
    if side == "business":
        history = [row["sentence"] + f" ({moment(row['at'], tz)})" for row in activity.timeline(pickup, found.timeline)]
    else:
        history = [
            f"{Pickup.Status(change.to_status).label}: {change.reason or 'no reason given'} ({moment(change.at, tz)})"
            for change in found.timeline
        ]
    offers = [
        {
            # which other haulers passed on the visit is the market's business, not either side's
            "who": offer.hauler.name if offer.hauler_id == case.hauler_id else "Another hauler",
            "status": offer.get_status_display(),
            "when": moment(offer.responded_at or offer.created_at, tz),
        }
        for offer in found.offers
    ]
    return {
        "evidence": found,
        "window": window,
        "planned": planned,
        "completed": moment(found.completed_at, tz) if found.completed_at else "",
        "serviced": moment(found.proof.serviced_at, tz) if found.proof else "",
        "history": history,
        "offers": offers,
    }


def _allowed(user, case: Case) -> bool:
    """The case's business, its hauler's office (owners and dispatchers) and staff; nobody else."""
    if user.is_staff:
        return True
    membership = getattr(user, "customer_membership", None)
    if membership is not None and membership.customer_id == case.customer_id:
        return True
    membership = getattr(user, "hauler_membership", None)
    if membership is not None and case.hauler_id is not None and membership.hauler_id == case.hauler_id:
        return case.kind == Case.Kind.PROBLEM and may(user=user, organisation=case.hauler, action="dispatch")
    return False


def _photo_type(name: str) -> str:
    return "image/png" if name.lower().endswith(".png") else "image/jpeg"


@login_required
@require_GET
def case_photo(request, case_id: int, message_id: int):
    """A photo of a case's thread (uploads have no public URL); a 404 to anyone the case is not theirs."""
    message = CaseMessage.objects.select_related("case__hauler").filter(pk=message_id, case_id=case_id).first()
    if message is None or not message.photo or not _allowed(request.user, message.case):
        raise Http404("No photo.")
    return FileResponse(message.photo.open("rb"), content_type=_photo_type(message.photo.name))


@login_required
@require_GET
def case_proof_photo(request, case_id: int):
    """The visit's proof photo, as part of the case's evidence, to the same people as the thread's photos."""
    case = Case.objects.select_related("hauler", "pickup__proof").filter(pk=case_id).first()
    if case is None or case.pickup_id is None or not _allowed(request.user, case):
        raise Http404("No photo.")
    proof = getattr(case.pickup, "proof", None)
    if proof is None or not proof.photo:
        raise Http404("No photo.")
    return FileResponse(proof.photo.open("rb"), content_type=_photo_type(proof.photo.name))
