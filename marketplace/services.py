"""Market use cases. Each is a keyword-only function that views, API, admin and tasks share."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import cards
from core.catalog import Container, WasteStream
from core.enqueue import enqueue
from core.errors import Conflict, Forbidden, NotFound
from core.permissions import may
from core.transitions import actor, transition
from core.uploads import PHOTO_TYPES, check_upload
from customers import services as customer_services
from customers.models import Customer, ServiceLocation
from customers.models import Membership as CustomerMembership
from haulers import services as hauler_services
from haulers.models import Hauler
from haulers.models import Membership as HaulerMembership
from marketplace import dispatch, matching, plans, pricing, routes, scheduling
from marketplace.models import (
    MAX_QUANTITY,
    ExceptionReason,
    Frequency,
    Notification,
    Pickup,
    Quote,
    RouteStop,
    ServiceProof,
    UnmetDemand,
)


class AccountType:
    BUSINESS = "business"
    HAULER = "hauler"
    CHOICES = [(BUSINESS, "A business that needs pickups"), (HAULER, "A hauler that does pickups")]


@transaction.atomic
def onboard_user(
    *,
    user,
    account_type: str,
    company_name: str = "",
    phone: str = "",
    depot_zip: str = "",
    invitation: str = "",
):
    """Give a new user their organisation: a new business or hauler, or the one that invited them."""
    if invitation:
        for accept in (customer_services.accept_invitation, hauler_services.accept_invitation):
            try:
                return accept(token=invitation, user=user)
            except ValidationError as error:
                if "does not exist" not in str(error):
                    raise
        raise ValidationError("This invitation does not exist or was withdrawn.")
    if account_type == AccountType.BUSINESS:
        return customer_services.create_customer(owner=user, name=company_name, phone=phone)
    if account_type == AccountType.HAULER:
        return hauler_services.register_hauler(owner=user, name=company_name, depot_zip=depot_zip, phone=phone)
    raise ValidationError({"account_type": "Choose business or hauler."})


class NoHaulerAvailable(ValidationError):
    """No eligible hauler serves this request yet; the demand is recorded for staff."""


def _check_request(
    *, customer, location, waste_stream: str, container: str, quantity, service_date, window_end
) -> None:
    errors = {}
    if location.customer_id != customer.pk:
        raise NotFound("No such location.")
    if location.archived_at is not None:
        errors["location"] = "This location is archived; restore it or choose another."
    if waste_stream not in WasteStream.values:
        errors["waste_stream"] = f"Choose one of: {', '.join(WasteStream.values)}."
    if container not in Container.values:
        errors["container"] = f"Choose one of: {', '.join(Container.values)}."
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = f"Choose between 1 and {MAX_QUANTITY} containers."
    problem = scheduling.check_service_date(service_date=service_date, tz_name=location.timezone, window_end=window_end)
    if problem:
        errors["service_date"] = problem
    if errors:
        raise ValidationError(errors)


def create_quote(
    *,
    customer: Customer,
    location: ServiceLocation,
    waste_stream: str,
    container: str,
    quantity: int,
    service_date,
    frequency: str = Frequency.ONCE,
    weekdays: int = 0,
    day_of_month: int | None = None,
    end_date=None,
    window: tuple | None = None,
) -> Quote:
    """Price a request from the best eligible hauler, snapshot the ranking, and keep it for QUOTE_TTL.

    For recurring service, service_date is the plan's start; the quote prices (per visit) its first visit.
    `window` is one of ARRIVAL_WINDOWS (local start and end times); the first one when not given.
    """
    window = tuple(window) if window else scheduling.default_window()
    if window not in [tuple(w) for w in settings.ARRIVAL_WINDOWS]:
        offered = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in settings.ARRIVAL_WINDOWS)
        raise ValidationError({"window": f"Choose one of the arrival windows: {offered}."})
    start_date = None
    if frequency != Frequency.ONCE:
        if frequency not in Frequency.values:
            raise ValidationError({"frequency": f"Choose one of: {', '.join(Frequency.values)}."})
        start_date = service_date
        schedule = plans.recurrence(
            frequency=frequency, weekdays=weekdays, day_of_month=day_of_month, start=start_date, end=end_date
        )
        service_date = plans.first_visit(schedule)
    _check_request(
        customer=customer,
        location=location,
        waste_stream=waste_stream,
        container=container,
        quantity=quantity,
        service_date=service_date,
        window_end=window[1],
    )
    request = matching.Request.at(
        location,
        waste_stream=waste_stream,
        container=container,
        quantity=quantity,
        service_date=service_date,
        window=window,
    )
    ranking = matching.ranked_haulers(request)
    if not ranking:
        UnmetDemand.objects.create(
            customer=customer,
            zip_code=location.zip_code,
            waste_stream=waste_stream,
            container=container,
            service_date=service_date,
        )
        raise NoHaulerAvailable(
            "No hauler serves this yet for that date. We have noted the request and will tell you when one does.",
            code="no_hauler",
        )
    best = ranking[0]
    return Quote.objects.create(
        customer=customer,
        location=location,
        waste_stream=waste_stream,
        container=container,
        quantity=quantity,
        service_date=service_date,
        window_start=window[0],
        window_end=window[1],
        payout_cents=best.payout_cents,
        price_cents=pricing.customer_price_cents(best.payout_cents),
        currency=settings.CURRENCY,
        ranking=[{"hauler": c.hauler_id, "payout_cents": c.payout_cents} for c in ranking],
        expires_at=timezone.now() + settings.QUOTE_TTL,
        frequency=frequency,
        weekdays=weekdays if frequency in (Frequency.WEEKLY, Frequency.BIWEEKLY) else 0,
        day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
        start_date=start_date,
        end_date=end_date if frequency != Frequency.ONCE else None,
    )


def book_quote(*, quote: Quote, customer: Customer, by=None) -> Pickup:
    """Turn a customer's own, unexpired quote into a requested pickup; the same quote again gives the same pickup."""
    return get_or_book_quote(quote=quote, customer=customer, by=by)[0]


def get_or_book_quote(*, quote: Quote, customer: Customer, by=None) -> tuple[Pickup, bool]:
    """Book a quote and start the cascade, or find its pickup: (pickup, created), created True for one caller only.

    Pickup.quote is unique, so of any number of bookings of one quote, at once or one after another, exactly one
    creates the pickup; every other one gets that pickup with created False.
    """
    if quote.customer_id != customer.pk:
        raise NotFound("No such quote.")
    if quote.frequency != Frequency.ONCE:
        raise Conflict("This quote is for recurring service; book it as a plan.")
    existing = Pickup.objects.filter(quote=quote).first()
    if existing is not None:
        return existing, False
    blocked = cards.booking_block(customer=customer)
    if blocked:
        raise Conflict(blocked)
    if quote.expires_at <= timezone.now():
        raise Conflict("This quote has expired; ask for a new one.")
    if quote.location.archived_at is not None:
        raise Conflict("This location has been archived since the quote; restore it or choose another.")
    start, end = quote.window_start, quote.window_end
    problem = scheduling.check_service_date(
        service_date=quote.service_date, tz_name=quote.location.timezone, window_end=end
    )
    if problem:
        raise ValidationError({"service_date": problem})
    try:
        with transaction.atomic():
            pickup = Pickup.objects.create(
                customer=customer,
                location=quote.location,
                quote=quote,
                waste_stream=quote.waste_stream,
                container=quote.container,
                quantity=quote.quantity,
                service_date=quote.service_date,
                window_start=start,
                window_end=end,
                price_cents=quote.price_cents,
                payout_cents=quote.payout_cents,
                currency=quote.currency,
                created_by=actor(by),
            )
            enqueue("marketplace.notify", "pickup_booked", pickup.pk)
            enqueue("marketplace.dispatch_pickup", pickup.pk)
    except IntegrityError:
        # The same quote booked at the same moment: the other booking won and created it. Any other constraint
        # (no winner to find) is a fault in the code, raised as itself rather than as a missing pickup.
        winner = Pickup.objects.filter(quote=quote).first()
        if winner is None:
            raise
        return winner, False
    return pickup, True


def cancel_pickup(*, pickup: Pickup, by=None, reason: str = "Cancelled by the customer") -> Pickup:
    """Cancel before the arrival window opens; a fee applies inside CANCELLATION_CUTOFF of it."""
    with transaction.atomic():
        pickup = Pickup.objects.select_for_update().get(pk=pickup.pk)
        if pickup.status not in (
            Pickup.Status.REQUESTED,
            Pickup.Status.OFFERED,
            Pickup.Status.SCHEDULED,
            Pickup.Status.UNMATCHED,
        ):
            raise Conflict(f"A {pickup.get_status_display().lower()} pickup cannot be cancelled.")
        start, _ = pickup.window()
        now = timezone.now()
        if now >= start:
            raise Conflict("The arrival window has started; the pickup can no longer be cancelled.")
        fee = 0
        # a hauler planned for it: late notice costs the fee (not for a make-up, which we booked unasked)
        if pickup.status == Pickup.Status.SCHEDULED and pickup.make_up_of_id is None:
            fee = pricing.late_cancellation_fee_cents(price_cents=pickup.price_cents, window_start=start, now=now)
        had_hauler = pickup.hauler_id is not None
        transition(
            pickup,
            Pickup.Status.CANCELLED,
            by=by,
            reason=reason,
            fields={"cancelled_at": now, "cancellation_fee_cents": fee},
        )
        routes.day_changed(pickup)
        dispatch.withdraw_pending_offers(pickup=pickup, reason="The customer cancelled.")
        if had_hauler:
            enqueue("marketplace.notify", "pickup_cancelled", pickup.pk)
        if fee:
            enqueue("marketplace.charge_pickup", pickup.pk)
    return pickup


TEAMS = {
    "business": (CustomerMembership, customer_services, "customer"),
    "hauler": (HaulerMembership, hauler_services, "hauler"),
}


def team_of(*, user, kind: str):
    """The user's own membership in their business or hauler ('business' / 'hauler'), or NotFound."""
    membership_model, _, _ = TEAMS.get(kind, (None, None, None))
    membership = membership_model and membership_model.objects.filter(user=user).first()
    if membership is None:
        raise NotFound("You are not part of one.")
    return membership


def has_team(*, user, kind: str) -> bool:
    """Whether the user belongs to a business ('business') or a hauler ('hauler')."""
    membership_model, _, _ = TEAMS[kind]
    return membership_model.objects.filter(user=user).exists()


def invite_to_team(*, user, kind: str, email: str, role: str):
    """An owner or manager invites `email` into their business or hauler; the invitation is emailed."""
    mine = team_of(user=user, kind=kind)
    _, leaf_services, organisation = TEAMS[kind]
    membership = leaf_services.invite_member(
        **{organisation: getattr(mine, organisation)}, email=email, role=role, invited_by=user
    )
    enqueue("marketplace.notify", f"{organisation}_invitation", membership.pk)
    return membership


def _teammate(*, user, kind: str, membership_id: int):
    """The user's own seat, and another seat (or invitation) in the same organisation, or NotFound."""
    mine = team_of(user=user, kind=kind)
    membership_model, _, organisation = TEAMS[kind]
    target = membership_model.objects.filter(
        pk=membership_id, **{f"{organisation}_id": getattr(mine, f"{organisation}_id")}
    ).first()
    if target is None:
        raise NotFound("No such member.")
    return target


def remove_from_team(*, user, kind: str, membership_id: int) -> None:
    """Remove a member or withdraw an invitation (the role table decides who may); anyone may leave."""
    target = _teammate(user=user, kind=kind, membership_id=membership_id)
    TEAMS[kind][1].remove_member(membership=target, by=user)


def change_team_role(*, user, kind: str, membership_id: int, role: str):
    """Give a teammate (or an invitation) another role (the role table decides who may)."""
    target = _teammate(user=user, kind=kind, membership_id=membership_id)
    return TEAMS[kind][1].change_role(membership=target, role=role, by=user)


def transfer_team_ownership(*, user, kind: str, membership_id: int):
    """The owner hands ownership to a teammate and steps down (to manager or dispatcher)."""
    target = _teammate(user=user, kind=kind, membership_id=membership_id)
    return TEAMS[kind][1].transfer_ownership(membership=target, by=user)


def change_pickup_date(*, pickup: Pickup, service_date, by=None) -> Pickup:
    """The customer moves a pickup; a scheduled one only until CANCELLATION_CUTOFF before its window."""
    if pickup.status == Pickup.Status.SCHEDULED:
        start, _ = pickup.window()
        if start - timezone.now() < settings.CANCELLATION_CUTOFF:
            hours = settings.CANCELLATION_CUTOFF.total_seconds() / 3600
            raise Conflict(
                f"A scheduled pickup can be moved until {hours:g} hours before its window; cancel it instead."
            )
    if service_date == pickup.service_date:
        raise ValidationError({"service_date": "Choose a different date."})
    return dispatch.reschedule(pickup=pickup, service_date=service_date, by=by, reason="Date changed by the customer")


def mark_notifications_read(*, user) -> int:
    """Mark all of the user's notifications read."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


KG_PER_LB = Decimal("0.45359237")
MAX_WEIGHT_KG = Decimal("50000")


EARLY_REASON_MAX = 300
COMPLETED_EARLY = "Completed before the window opened: "  # then the hauler's reason, in the job's history


def early_message(pickup: Pickup) -> str:
    """'The window opens at 7:00 AM CST on Wed, Dec 9.', in the location's zone: what the customer booked."""
    opens = timezone.localtime(pickup.window()[0], ZoneInfo(pickup.location.timezone))
    return f"The window opens at {opens:%-I:%M %p %Z} on {opens:%a, %b %-d}."


def _held_job(pickup_id: int, hauler: Hauler, by) -> Pickup:
    pickup = dispatch.locked_pickup(pickup_id)
    if pickup.hauler_id != hauler.pk:
        raise NotFound("No such job.")
    # Owners and dispatchers close any of the hauler's jobs; a driver, those on the truck they drive that day.
    on_their_route = RouteStop.objects.filter(
        pickup=pickup, route__truck__assignments__driver__user=by, route__truck__assignments__day=pickup.service_date
    )
    if not may(user=by, organisation=hauler, action="dispatch") and not on_their_route.exists():
        raise Forbidden("A driver closes the jobs on the route of the truck they drive that day; this is not one.")
    if pickup.status != Pickup.Status.SCHEDULED:
        raise Conflict(f"This job is {pickup.get_status_display().lower()}; only a scheduled job can be closed.")
    return pickup


def complete_pickup(
    *,
    pickup_id: int,
    hauler: Hauler,
    photo,
    weight: Decimal | None = None,
    weight_unit: str = "kg",
    notes: str = "",
    serviced_at=None,
    early_reason: str = "",
    by=None,
) -> Pickup:
    """The hauler did the job: record the proof (a photo, the weight, notes, the time) and complete it.

    Done before the window opens (in the location's zone) is not what the customer booked, so it needs a reason,
    which the job's history keeps and the customer's timeline shows; within or after the window none is asked.
    """
    check_upload(photo, allowed=PHOTO_TYPES, field="photo")
    now = timezone.now()
    serviced_at = serviced_at or now
    errors = {}
    if weight_unit not in ("kg", "lb"):
        errors["weight_unit"] = "Choose kg or lb."
    weight_kg = None
    if weight is not None:
        weight_kg = (Decimal(weight) * (KG_PER_LB if weight_unit == "lb" else 1)).quantize(Decimal("0.1"))
        if not 0 <= weight_kg <= MAX_WEIGHT_KG:
            errors["weight"] = f"Enter a weight between 0 and {MAX_WEIGHT_KG:,} kg."
    if serviced_at > now + dt.timedelta(minutes=5):
        errors["serviced_at"] = "The service time cannot be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        pickup = _held_job(pickup_id, hauler, by)
        if serviced_at.date() < pickup.service_date - dt.timedelta(days=1):
            raise ValidationError({"serviced_at": "The service time is before the pickup date."})
        reason = "Completed with proof"
        opens, _ = pickup.window()
        if serviced_at < opens:
            early_reason = " ".join(early_reason.split())[:EARLY_REASON_MAX]
            if not early_reason:
                raise ValidationError({"early_reason": f"{early_message(pickup)} Say why it was done early."})
            reason = f"{COMPLETED_EARLY}{early_reason}"
        ServiceProof.objects.create(
            pickup=pickup, photo=photo, weight_kg=weight_kg, notes=notes.strip()[:500], serviced_at=serviced_at,
            recorded_by=actor(by),
        )  # fmt: skip
        transition(pickup, Pickup.Status.COMPLETED, by=by, reason=reason, fields={"completed_at": now})
        enqueue("marketplace.notify", "pickup_completed", pickup.pk)
        enqueue("marketplace.update_reliability", hauler.pk)
        enqueue("marketplace.charge_pickup", pickup.pk)
    return pickup


def report_exception(*, pickup_id: int, hauler: Hauler, reason: str, notes: str = "", by=None) -> Pickup:
    """The hauler came but could not service it (blocked, contaminated, not put out); the customer is told why."""
    if reason not in ExceptionReason.values:
        raise ValidationError({"reason": f"Choose one of: {', '.join(ExceptionReason.values)}."})
    with transaction.atomic():
        pickup = _held_job(pickup_id, hauler, by)
        start, _ = pickup.window()
        if timezone.now() < start:
            raise Conflict(
                "A visit can be reported only once its window has started; to give the job back, release it."
            )
        label = ExceptionReason(reason).label
        transition(
            pickup,
            Pickup.Status.MISSED,
            by=by,
            reason=f"Could not service: {label.lower()}",
            fields={"exception_reason": reason, "exception_notes": notes.strip()[:500]},
        )
        routes.day_changed(pickup)
        enqueue("marketplace.notify", "pickup_not_serviced", pickup.pk)
    return pickup
