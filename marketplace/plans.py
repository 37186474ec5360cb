"""Recurring service: book a plan, let its first visit find a hauler, generate the visits ahead.

A plan is quoted like a one-time pickup (the price is per visit). Booking it creates its first
visit, which goes through the ordinary cascade; the hauler that accepts that visit takes the
plan. From then on the beat (daily, and right after acceptance) creates each visit within
PLAN_HORIZON already scheduled with that hauler. Visits are keyed by (plan, nominal date) under a
unique constraint, so two beats or a rerun never double one; a US federal holiday or a day the
hauler does not work moves the visit to the hauler's next working day, and the customer is told.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import cards
from core.enqueue import enqueue
from core.errors import Conflict, NotFound
from core.transitions import actor, transition
from customers.models import Customer
from haulers.models import WEEKDAY_NAMES, Hauler
from marketplace import dispatch, matching, pricing, routes, scheduling
from marketplace.models import Frequency, Pickup, PlanPause, Quote, ServicePlan

RECURRING = (Frequency.WEEKLY, Frequency.BIWEEKLY, Frequency.MONTHLY)
OPEN_VISIT = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED, Pickup.Status.SCHEDULED, Pickup.Status.UNMATCHED)


def weekday_set(bitmask: int) -> frozenset[int]:
    """0 (Monday) .. 6 (Sunday) for each bit set."""
    return frozenset(day for day in range(7) if bitmask & (1 << day))


def weekday_mask(weekdays) -> int:
    """The bitmask of weekday numbers (0 is Monday)."""
    return sum(1 << day for day in set(weekdays))


def weekday_names(bitmask: int) -> list[str]:
    """Monday, Thursday ... for a bitmask."""
    return [WEEKDAY_NAMES[day] for day in sorted(weekday_set(bitmask))]


def recurrence(*, frequency: str, weekdays: int, day_of_month: int | None, start: dt.date, end: dt.date | None):
    """The schedule as a scheduling.Recurrence; field errors when it is incomplete."""
    try:
        return scheduling.Recurrence(
            frequency=frequency,
            weekdays=weekday_set(weekdays) if frequency != Frequency.MONTHLY else frozenset(),
            day_of_month=day_of_month if frequency == Frequency.MONTHLY else None,
            start=start,
            end=end,
        )
    except ValueError as error:
        field = "day_of_month" if "day" in str(error) and "week" not in str(error) else "weekdays"
        if "end" in str(error):
            field = "end_date"
        raise ValidationError({field: str(error)}) from None


def recurrence_of(plan: ServicePlan) -> scheduling.Recurrence:
    return recurrence(
        frequency=plan.frequency,
        weekdays=plan.weekdays,
        day_of_month=plan.day_of_month,
        start=plan.start_date,
        end=plan.end_date,
    )


def first_visit(schedule: scheduling.Recurrence) -> dt.date:
    """The first nominal date of a schedule (within its first two months)."""
    dates = scheduling.expand(schedule, date_from=schedule.start, date_to=schedule.start + dt.timedelta(days=62))
    if not dates:
        raise ValidationError({"start_date": "This schedule has no visit; check the days and the end date."})
    return dates[0]


def book_plan(*, quote: Quote, customer: Customer, by=None) -> ServicePlan:
    """Turn a recurring quote into a plan; its first visit enters the cascade. Booking twice gives one plan."""
    return get_or_book_plan(quote=quote, customer=customer, by=by)[0]


def get_or_book_plan(*, quote: Quote, customer: Customer, by=None) -> tuple[ServicePlan, bool]:
    """book_plan, and whether this call made the plan (False for a repeat, or the loser of a booking race)."""
    if quote.customer_id != customer.pk:
        raise NotFound("No such quote.")
    if quote.frequency not in RECURRING:
        raise Conflict("This quote is for one pickup; book it as a pickup.")
    existing = ServicePlan.objects.filter(quote=quote).first()
    if existing is not None:
        return existing, False
    blocked = cards.booking_block(customer=customer)
    if blocked:
        raise Conflict(blocked)
    if quote.expires_at <= timezone.now():
        raise Conflict("This quote has expired; ask for a new one.")
    if quote.location.archived_at is not None:
        raise Conflict("This location has been archived since the quote; restore it or choose another.")
    try:
        with transaction.atomic():
            plan = ServicePlan.objects.create(
                customer=customer,
                location=quote.location,
                quote=quote,
                waste_stream=quote.waste_stream,
                container=quote.container,
                quantity=quote.quantity,
                frequency=quote.frequency,
                weekdays=quote.weekdays,
                day_of_month=quote.day_of_month,
                start_date=quote.start_date,
                end_date=quote.end_date,
                window_start=quote.window_start,
                window_end=quote.window_end,
                price_cents=quote.price_cents,
                payout_cents=quote.payout_cents,
                currency=quote.currency,
                created_by=actor(by),
            )
            visit = _make_visit(plan, nominal=quote.service_date, actual=quote.service_date)
            enqueue("marketplace.notify", "plan_booked", plan.pk)
            enqueue("marketplace.dispatch_pickup", visit.pk)
    except IntegrityError:  # the same quote booked at the same moment (else a fault, raised as itself)
        winner = ServicePlan.objects.filter(quote=quote).first()
        if winner is None:
            raise
        return winner, False
    return plan, True


def _make_visit(plan: ServicePlan, *, nominal: dt.date, actual: dt.date) -> Pickup:
    start, end = plan.window_start, plan.window_end
    return Pickup.objects.create(
        customer_id=plan.customer_id,
        location_id=plan.location_id,
        plan=plan,
        plan_date=nominal,
        waste_stream=plan.waste_stream,
        container=plan.container,
        quantity=plan.quantity,
        service_date=actual,
        window_start=start,
        window_end=end,
        price_cents=plan.price_cents,
        payout_cents=plan.payout_cents,
        currency=plan.currency,
    )


def take_plan(*, pickup: Pickup) -> None:
    """Called when a hauler accepts a visit (the pickup is locked): a pending plan becomes that hauler's."""
    if pickup.plan_id is None:
        return
    # Most visits accepted belong to plans already taken: no lock for those (the hauler's lock is held here).
    if not ServicePlan.objects.filter(pk=pickup.plan_id, status=ServicePlan.Status.PENDING).exists():
        return
    plan = ServicePlan.objects.select_for_update(no_key=True).get(pk=pickup.plan_id)
    if plan.status != ServicePlan.Status.PENDING:
        return
    transition(
        plan,
        ServicePlan.Status.ACTIVE,
        reason=f"Taken by {pickup.hauler.name}",
        fields={"hauler": pickup.hauler, "payout_cents": pickup.payout_cents},
    )
    enqueue("marketplace.generate_plan_visits", plan.pk)


def _paused(plan: ServicePlan, day: dt.date) -> bool:
    return any(pause.start_date <= day <= pause.end_date for pause in plan.pauses.all())


def generate_visits(*, plan_id: int, today: dt.date | None = None) -> list[Pickup]:
    """Create the active plan's visits from today to PLAN_HORIZON ahead, scheduled with its hauler; idempotent."""
    plan = ServicePlan.objects.select_related("hauler", "location").prefetch_related("pauses").get(pk=plan_id)
    if plan.status != ServicePlan.Status.ACTIVE:
        return []
    today = today or scheduling.local_today(plan.location.timezone)
    horizon = today + settings.PLAN_HORIZON
    existing = set(plan.visits.values_list("plan_date", flat=True))
    created = []
    visits = scheduling.plan_visits(
        recurrence_of(plan), date_from=today, date_to=horizon, working_days=plan.hauler.working_days
    )
    for nominal, actual in visits:
        if nominal in existing or _paused(plan, nominal):
            continue
        try:
            with transaction.atomic():
                visit = _make_visit(plan, nominal=nominal, actual=actual)
                # Counted under the hauler's lock, as an accept is: a full day is never booked past its trucks.
                Hauler.objects.select_for_update(no_key=True).filter(pk=plan.hauler_id).first()
                request = matching.Request.for_pickup(visit)
                # Firm bookings only, as an accept counts: offers the hauler has not answered do not bump its plan.
                if matching.is_eligible(request, hauler_id=plan.hauler_id, offers=False):
                    reason = "Visit of the plan" if actual == nominal else f"Moved from {nominal}: holiday or day off"
                    transition(visit, Pickup.Status.SCHEDULED, reason=reason, fields={"hauler": plan.hauler})
                    routes.day_changed(visit)
                else:  # the plan's hauler has no room (or no longer qualifies) that day: offered on, not overbooked
                    enqueue("marketplace.dispatch_pickup", visit.pk)
        except IntegrityError:  # another run made it first
            continue
        if actual != nominal:
            enqueue("marketplace.notify", "visit_moved", visit.pk)
        created.append(visit)
    return created


def active_plan_ids() -> list[int]:
    return list(ServicePlan.objects.filter(status=ServicePlan.Status.ACTIVE).values_list("pk", flat=True))


def end_finished_plans(*, today: dt.date) -> int:
    """Plans past their end date end."""
    ended = 0
    for plan in ServicePlan.objects.filter(
        status__in=[ServicePlan.Status.ACTIVE, ServicePlan.Status.PENDING], end_date__lt=today
    ):
        transition(plan, ServicePlan.Status.ENDED, reason="Past its end date")
        ended += 1
    return ended


# --- Exceptions ------------------------------------------------------------------------------


def _own(plan: ServicePlan, customer: Customer) -> ServicePlan:
    """The plan, fresh and locked, if it is the customer's and still open."""
    plan = ServicePlan.objects.select_for_update().select_related("location").filter(pk=plan.pk).first()
    if plan is None or plan.customer_id != customer.pk:
        raise NotFound("No such plan.")
    if plan.status in (ServicePlan.Status.ENDED, ServicePlan.Status.CANCELLED):
        raise Conflict(f"This plan is {plan.get_status_display().lower()}.")
    return plan


def _drop_visits(plan: ServicePlan, *, first: dt.date, last: dt.date | None, reason: str, by) -> int:
    """Skip (or cancel, before a hauler holds them) the plan's open visits with nominal dates in [first, last]."""
    visits = plan.visits.filter(status__in=OPEN_VISIT, plan_date__gte=first)
    if last is not None:
        visits = visits.filter(plan_date__lte=last)
    dropped = 0
    now = timezone.now()
    for visit in visits:
        with transaction.atomic():
            visit = dispatch.locked_pickup(visit.pk)
            start, _ = visit.window()
            if now >= start:
                continue  # under way or past: it is completed, missed or reported, not skipped
            if visit.status == Pickup.Status.SCHEDULED:
                # the same terms as cancelling: a hauler planned for it, so late notice costs the fee
                fee = pricing.late_cancellation_fee_cents(price_cents=visit.price_cents, window_start=start, now=now)
                transition(visit, Pickup.Status.SKIPPED, by=by, reason=reason, fields={"cancellation_fee_cents": fee})
                routes.day_changed(visit)
                enqueue("marketplace.notify", "pickup_cancelled", visit.pk)
            elif visit.status in OPEN_VISIT:
                transition(
                    visit, Pickup.Status.CANCELLED, by=by, reason=reason, fields={"cancelled_at": timezone.now()}
                )
                dispatch.withdraw_pending_offers(pickup=visit, reason=reason)
            dropped += 1
    return dropped


@transaction.atomic
def pause_plan(*, plan: ServicePlan, customer: Customer, start: dt.date, end: dt.date, by=None, reason: str = ""):
    """No visits between two dates (one date to skip a single visit); the plan goes on after."""
    plan = _own(plan, customer)
    if end < start:
        raise ValidationError({"end_date": "The pause must end on or after it starts."})
    if end < scheduling.local_today(plan.location.timezone):
        raise ValidationError({"end_date": "That is in the past."})
    pause = PlanPause.objects.create(plan=plan, start_date=start, end_date=end, reason=reason[:200])
    _drop_visits(plan, first=start, last=end, reason="Paused by the customer" if start != end else "Skipped", by=by)
    return pause


@transaction.atomic
def end_plan(*, plan: ServicePlan, customer: Customer, last_day: dt.date, by=None) -> ServicePlan:
    """The last day of service; visits after it are dropped. Before the start, the plan is cancelled."""
    plan = _own(plan, customer)
    if last_day < plan.start_date:
        _drop_visits(plan, first=plan.start_date, last=None, reason="The plan was cancelled", by=by)
        transition(plan, ServicePlan.Status.CANCELLED, by=by, reason="Cancelled by the customer before it started")
        return plan
    ServicePlan.objects.filter(pk=plan.pk).update(end_date=last_day)
    plan.end_date = last_day
    _drop_visits(plan, first=last_day + dt.timedelta(days=1), last=None, reason="The plan ended", by=by)
    if last_day < scheduling.local_today(plan.location.timezone):
        transition(plan, ServicePlan.Status.ENDED, by=by, reason="Ended by the customer")
    return plan


@transaction.atomic
def change_weekdays(*, plan: ServicePlan, customer: Customer, weekdays: int, from_date: dt.date, by=None):
    """From a date on, serve on other weekdays: this plan ends the day before, a successor takes over."""
    plan = _own(plan, customer)
    if plan.status != ServicePlan.Status.ACTIVE:
        raise Conflict("Wait until a hauler takes the plan, or end it and book another.")
    if plan.frequency not in (Frequency.WEEKLY, Frequency.BIWEEKLY):
        raise ValidationError({"weekdays": "Only weekly plans have weekdays; end this plan and book another."})
    if from_date <= scheduling.local_today(plan.location.timezone):
        raise ValidationError({"from_date": "Choose a date after today."})
    recurrence(frequency=plan.frequency, weekdays=weekdays, day_of_month=None, start=from_date, end=plan.end_date)
    successor = ServicePlan.objects.create(
        customer=plan.customer,
        location=plan.location,
        hauler=plan.hauler,
        replaces=plan,
        waste_stream=plan.waste_stream,
        container=plan.container,
        quantity=plan.quantity,
        frequency=plan.frequency,
        weekdays=weekdays,
        start_date=from_date,
        end_date=plan.end_date,
        status=plan.status,
        price_cents=plan.price_cents,
        payout_cents=plan.payout_cents,
        currency=plan.currency,
        created_by=actor(by),
    )
    end_plan(plan=plan, customer=customer, last_day=from_date - dt.timedelta(days=1), by=by)
    if successor.status == ServicePlan.Status.ACTIVE:
        enqueue("marketplace.generate_plan_visits", successor.pk)
    return successor


@transaction.atomic
def skip_visit(*, plan: ServicePlan, customer: Customer, date: dt.date, by=None) -> PlanPause:
    """Skip the one visit the plan has on a date (its nominal date): a pause of that day."""
    plan = _own(plan, customer)
    if not scheduling.expand(recurrence_of(plan), date_from=date, date_to=date):
        raise ValidationError({"date": "The plan has no visit on that day."})
    return pause_plan(plan=plan, customer=customer, start=date, end=date, by=by, reason="Skipped")


@transaction.atomic
def resume_plan(*, plan: ServicePlan, customer: Customer, from_date: dt.date | None = None, by=None) -> ServicePlan:
    """Lift the plan's pauses from a date on (today by default); visits from then are generated as usual.

    Visits a pause already skipped or cancelled stay so: their hauler may have planned its day without them.
    """
    plan = _own(plan, customer)
    today = scheduling.local_today(plan.location.timezone)
    from_date = from_date or today
    if from_date < today:
        raise ValidationError({"from_date": "That is in the past."})
    if not plan.pauses.filter(end_date__gte=from_date).exists():
        raise Conflict("The plan is not paused on or after that day.")
    plan.pauses.filter(start_date__gte=from_date).delete()
    plan.pauses.filter(end_date__gte=from_date).update(end_date=from_date - dt.timedelta(days=1))
    if plan.status == ServicePlan.Status.ACTIVE:
        enqueue("marketplace.generate_plan_visits", plan.pk)
    return plan
