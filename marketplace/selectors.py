"""Read queries for pages and the API: scoped to one business, with what the page shows prefetched."""

import datetime as dt
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone

from billing import selectors as billing_selectors
from billing.models import Refund
from core.compiled import CompiledQuery
from core.errors import NotFound
from core.models import StatusChange
from customers.models import Customer, ServiceLocation
from haulers.models import Hauler
from marketplace.models import Notification, Offer, Pickup, Quote, ServicePlan

OPEN = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED, Pickup.Status.SCHEDULED)
NEEDS_ATTENTION = (Pickup.Status.UNMATCHED, Pickup.Status.MISSED)


def customer_of(user) -> Customer | None:
    """The business the user belongs to, if any."""
    membership = getattr(user, "customer_membership", None) if user.is_authenticated else None
    return membership.customer if membership is not None else None


def locations_of(*, customer: Customer, include_archived: bool = False) -> QuerySet[ServiceLocation]:
    """A business's service locations, active ones first."""
    locations = ServiceLocation.objects.filter(customer=customer)
    if not include_archived:
        locations = locations.filter(archived_at__isnull=True)
    return locations.order_by(F("archived_at").asc(nulls_first=True), "name", "id")


def _location(*, customer_id: int, location_id: int):
    return ServiceLocation.objects.filter(customer_id=customer_id, pk=location_id)[:1]


# Every quote and location request looks one up: compiled once (core.compiled), not built and ordered each time.
_LOCATION = CompiledQuery(_location)


def location_of(*, customer: Customer, location_id: int) -> ServiceLocation:
    """One of the business's locations, or NotFound (another business's included)."""
    found = _LOCATION.objects(customer_id=customer.pk, location_id=int(location_id))
    if not found:
        raise NotFound("No such location.")
    return found[0]


def pickups_of(
    *,
    customer: Customer,
    statuses: list[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Pickup]:
    """A business's pickups, soonest first, with location and hauler joined (no query per row)."""
    pickups = Pickup.objects.filter(customer=customer).select_related("location", "hauler")
    if statuses:
        pickups = pickups.filter(status__in=statuses)
    if date_from:
        pickups = pickups.filter(service_date__gte=date_from)
    if date_to:
        pickups = pickups.filter(service_date__lte=date_to)
    return pickups.order_by("service_date", "id")


def pickup_of(*, customer: Customer, pickup_id) -> Pickup:
    """One of the business's pickups, or NotFound (another business's included)."""
    pickup = (
        Pickup.objects.filter(customer=customer, pk=pickup_id)
        .select_related("location", "hauler", "quote", "proof", "payment", "invoice_line__invoice")
        .prefetch_related(Prefetch("offers", queryset=Offer.objects.order_by("created_at")))
        .first()
    )
    if pickup is None:
        raise NotFound("No such pickup.")
    return pickup


def _one(compiled: CompiledQuery, missing: str, **values):
    """The one instance a compiled [:1] query finds, or NotFound(missing)."""
    found = compiled.objects(**values)
    if not found:
        raise NotFound(missing)
    return found[0]


def _pickup_with_payment(*, customer_id: int, pickup_id: int):
    # Unordered: ordering one row by the list's order costs more to compile than the row takes to read.
    pickups = pickups_of(customer=Customer(pk=customer_id)).filter(pk=pickup_id)
    return with_payment_status(pickups).order_by()[:1]


# The API's pickup detail: the seven-table join compiled once (core.compiled), not built for each request.
_PICKUP_WITH_PAYMENT = CompiledQuery(_pickup_with_payment)


def pickup_with_payment(*, customer: Customer, pickup_id: int) -> Pickup:
    """One of the business's pickups as the API shows it, in one query: its location, hauler and payment block
    (with_payment_status), none of the pages' extras (offers, proof, quote). NotFound as pickup_of."""
    return _one(_PICKUP_WITH_PAYMENT, "No such pickup.", customer_id=customer.pk, pickup_id=int(pickup_id))


def _quote_of(*, customer_id: int, quote_id: int):
    return Quote.objects.filter(customer_id=customer_id, pk=quote_id).select_related("location")[:1]


_QUOTE_OF = CompiledQuery(_quote_of)


def quote_of(*, customer: Customer, quote_id) -> Quote:
    """One of the business's quotes with its location (what booking it reads), or NotFound."""
    return _one(_QUOTE_OF, "No such quote.", customer_id=customer.pk, quote_id=int(quote_id))


def plans_of(*, customer: Customer) -> QuerySet[ServicePlan]:
    """A business's recurring plans, open ones first."""
    return (
        ServicePlan.objects.filter(customer=customer)
        .select_related("location", "hauler")
        .order_by("status", "-created_at")
    )


def plan_of(*, customer: Customer, plan_id) -> ServicePlan:
    """One of the business's plans, or NotFound (another business's included)."""
    plan = plans_of(customer=customer).filter(pk=plan_id).prefetch_related("pauses").first()
    if plan is None:
        raise NotFound("No such plan.")
    return plan


def _timeline(*, content_type_id: int, object_id: int):
    return StatusChange.objects.filter(content_type_id=content_type_id, object_id=object_id).select_related("by")


# history(pickup)'s statement compiled once: building it was a third of the API's pickup detail.
_TIMELINE = CompiledQuery(_timeline)


def pickup_timeline(*, pickup: Pickup) -> list[StatusChange]:
    """Every status change of the pickup, oldest first (core.transitions.history, as a list)."""
    return _TIMELINE.objects(content_type_id=ContentType.objects.get_for_model(Pickup).pk, object_id=pickup.pk)


def serving_hauler_count(*, zip_code: str) -> int:
    """How many active, verified haulers serve a ZIP (for 'do you serve me?' on the home page)."""
    return (
        Hauler.objects.filter(service_zips__zip_code=zip_code, status=Hauler.Status.ACTIVE, verified_at__isnull=False)
        .distinct()
        .count()
    )


def upcoming_pickups(*, customer: Customer, today: dt.date):
    """Booked pickups that have not happened yet."""
    return pickups_of(customer=customer, statuses=list(OPEN), date_from=today)


def pickups_needing_attention(*, customer: Customer):
    """Pickups nobody took, or that were missed and have no make-up on its way (one the business cancelled is not)."""
    making_up = Pickup.objects.filter(make_up_of=OuterRef("pk")).exclude(status=Pickup.Status.CANCELLED)
    return (
        pickups_of(customer=customer, statuses=list(NEEDS_ATTENTION))
        .exclude(Q(status=Pickup.Status.MISSED) & Exists(making_up))
        .order_by("-service_date", "-id")
    )


ACTIVITY_DAYS = 30


class Change(NamedTuple):
    """One status change of a pickup, with what the dashboard's sentence says of the pickup: its stream, date,
    place (and the place's zone, to say the change's time in) and its hauler now."""

    object_id: int
    from_status: str
    to_status: str
    reason: str
    at: dt.datetime
    waste_stream: str = ""
    service_date: dt.date | None = None
    location: str = ""
    timezone: str = ""
    hauler: str = ""


CHANGE_COLUMNS = ("object_id", "from_status", "to_status", "reason", "at")
# What the sentences say of each pickup: read with the pickups that changed lately (the read that finds them
# already walks their rows), so the feed costs no query more than the bare status log did.
PICKUP_FACTS = ("pk", "waste_stream", "service_date", "location__name", "location__timezone", "hauler__name")


def recent_activity(*, customer: Customer, limit: int = 10) -> list[Change]:
    """The latest status changes of the business's pickups in the last ACTIVITY_DAYS, newest first.

    First the pickups that changed since then (transition() stamps a pickup's updated_at with each change, a
    moment before the change's own time), by an index of the business's pickups (pickup_customer_updated), then
    their changes by key: bounded by the business, and by its month's activity on fresh statistics, never by the
    market's history. As one query, a planner misled by stale statistics walked every pickup change in the table
    and looked each one's pickup up."""
    since = timezone.now() - dt.timedelta(days=ACTIVITY_DAYS)
    kind = ContentType.objects.get_for_model(Pickup)
    if connection.vendor == "postgresql":
        return _recent_activity_postgresql(customer.pk, kind.pk, since, limit)
    changed = Pickup.objects.filter(customer=customer, updated_at__gte=since - dt.timedelta(minutes=1)).order_by()
    facts = {pk: rest for pk, *rest in changed.values_list(*PICKUP_FACTS)}
    changes = StatusChange.objects.filter(content_type=kind, object_id__in=list(facts), at__gte=since)
    rows = changes.order_by("-at", "-id").values_list(*CHANGE_COLUMNS)[:limit]
    return _with_facts(rows, facts)


def _with_facts(rows, facts: dict) -> list[Change]:
    return [Change(*row, *(value or "" for value in facts[row[0]])) for row in rows]


def _activity_sql() -> tuple[str, str]:
    # recent_activity's two reads on PostgreSQL, written out as the ORM writes them: building the two querysets
    # cost the dashboard ~2.5 ms of CPU a request, twenty times what running them takes. The month's pickup ids
    # go back as one array parameter, not an IN list of as many placeholders (hundreds for a busy business: each
    # bound one by one, and a statement text per length, so never one prepared), and unnested: prepared, a
    # generic plan holds the array as a parameter, which PostgreSQL does not hash, so `= ANY(array)` on a
    # sequential scan compared each change with every id (1.8 ms of the server's CPU a dashboard on the bench's
    # market, against 0.25). At 100,000 pickups on stale statistics both read the changes by the
    # (content_type, object_id, at) index, a probe per id.
    quote = connection.ops.quote_name
    pickup, change = quote(Pickup._meta.db_table), quote(StatusChange._meta.db_table)
    place, hauler = quote(ServiceLocation._meta.db_table), quote(Hauler._meta.db_table)
    own = ("id", "waste_stream", "service_date", "location_id", "hauler_id")
    facts = ", ".join(
        [f"changed.{quote(name)}" for name in own[:3]]
        + [f"{place}.{quote('name')}", f"{place}.{quote('timezone')}", f"{hauler}.{quote('name')}"]
    )
    # The business's month of pickups first, by its own index, then their places and haulers by key: joined in
    # one SELECT, a stale plan read every pickup of the business's hauler by the hauler's index instead.
    changed = (
        f"WITH changed AS MATERIALIZED (SELECT {', '.join(f'{pickup}.{quote(name)}' for name in own)} FROM {pickup}"
        f" WHERE {pickup}.{quote('customer_id')} = %s AND {pickup}.{quote('updated_at')} >= %s)"
        f" SELECT {facts} FROM changed INNER JOIN {place} ON (changed.{quote('location_id')} = {place}.{quote('id')})"
        f" LEFT OUTER JOIN {hauler} ON (changed.{quote('hauler_id')} = {hauler}.{quote('id')})"
    )
    columns = ", ".join(f"{change}.{quote(name)}" for name in CHANGE_COLUMNS)
    changes = (
        f"SELECT {columns} FROM {change} WHERE {change}.{quote('content_type_id')} = %s"
        f" AND {change}.{quote('object_id')} IN (SELECT unnest(%s::bigint[])) AND {change}.{quote('at')} >= %s"
        f" ORDER BY {change}.{quote('at')} DESC, {change}.{quote('id')} DESC LIMIT %s"
    )
    return changed, changes


_CHANGED_SQL, _CHANGES_SQL = _activity_sql()


def _recent_activity_postgresql(customer_id: int, kind_id: int, since: dt.datetime, limit: int) -> list[Change]:
    with connection.cursor() as cursor:
        cursor.execute(_CHANGED_SQL, [customer_id, since - dt.timedelta(minutes=1)])
        facts = {pk: rest for pk, *rest in cursor.fetchall()}
        if not facts:
            return []
        cursor.execute(_CHANGES_SQL, [kind_id, list(facts), since, limit])
        return _with_facts(cursor.fetchall(), facts)


def notifications_of(*, user, limit: int = 50):
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- The hauler side ----------------------------------------------------------------------


def hauler_of(user) -> Hauler | None:
    """The hauler the user belongs to, if any."""
    membership = getattr(user, "hauler_membership", None) if user.is_authenticated else None
    return membership.hauler if membership is not None else None


def offers_for(*, hauler: Hauler, statuses: list[str] | None = None) -> QuerySet[Offer]:
    """The hauler's offers (pending by default), soonest answer-by first, with the pickup and location joined."""
    return (
        Offer.objects.filter(hauler=hauler, status__in=statuses or [Offer.Status.PENDING])
        .select_related("pickup", "pickup__location")
        .order_by("answer_by", "id")
    )


def offer_for(*, hauler: Hauler, offer_id) -> Offer:
    """One of the hauler's offers, or NotFound (another hauler's included)."""
    offer = Offer.objects.filter(hauler=hauler, pk=offer_id).select_related("pickup", "pickup__location").first()
    if offer is None:
        raise NotFound("No such offer.")
    return offer


def jobs_of(
    *,
    hauler: Hauler,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    statuses: list[str] | None = None,
    order: str = "date",
) -> QuerySet[Pickup]:
    """Pickups the hauler holds (scheduled by default), by date then time, or by ZIP to plan a route."""
    jobs = Pickup.objects.filter(hauler=hauler, status__in=statuses or [Pickup.Status.SCHEDULED]).select_related(
        "location", "customer"
    )
    if date_from:
        jobs = jobs.filter(service_date__gte=date_from)
    if date_to:
        jobs = jobs.filter(service_date__lte=date_to)
    ordering = (
        ("service_date", "location__zip_code", "id")
        if order == "date"
        else ("location__zip_code", "service_date", "id")
    )
    return jobs.order_by(*ordering)


def _job_of(*, hauler_id: int, pickup_id: int):
    return Pickup.objects.filter(hauler_id=hauler_id, pk=pickup_id).select_related("location", "customer", "proof")[:1]


# Compiled once (core.compiled): every job page and the API's accept answer with it. The proof is joined, None
# until the job is done, instead of being asked for when the job is shown.
_JOB_OF = CompiledQuery(_job_of)


def job_of(*, hauler: Hauler, pickup_id) -> Pickup:
    """A pickup the hauler holds or held, or NotFound (never another hauler's, never one only offered)."""
    return _one(_JOB_OF, "No such job.", hauler_id=hauler.pk, pickup_id=int(pickup_id))


def earnings_of(*, hauler: Hauler) -> dict:
    """Completed jobs and what they earned, in cents; the payout account, what is not yet paid out, and payouts."""
    completed = Pickup.objects.filter(hauler=hauler, status=Pickup.Status.COMPLETED)
    totals = completed.aggregate(jobs=Count("pk"), earned_cents=Sum("payout_cents"))
    return {
        "jobs": totals["jobs"],
        "earned_cents": totals["earned_cents"] or 0,
        "recent": completed.select_related("location").order_by("-completed_at", "-id")[:50],
        **billing_selectors.payout_summary(hauler=hauler),
    }


# --- Payment status on pickups (the API's pickup lists and details) ---


def with_payment_status(pickups: QuerySet[Pickup]) -> QuerySet[Pickup]:
    """The pickups with their payment joined (the charge, or the invoice line and its invoice's payment) and
    `refunded_cents`, so a list shows each pickup's payment in the same queries at any length."""
    return pickups.select_related("payment", "invoice_line__invoice__payment").annotate(refunded_cents=_REFUNDED)


def _refunded_sql() -> RawSQL:
    # The same correlated sum as Subquery(Refund...annotate(Sum)), written out: the ORM's subquery took 0.6 ms to
    # compile on every pickup page and detail, longer than PostgreSQL takes to run the whole query.
    quote = connection.ops.quote_name
    refund, pickup = quote(Refund._meta.db_table), quote(Pickup._meta.db_table)
    return RawSQL(
        f"SELECT COALESCE(SUM({refund}.{quote('amount_cents')}), 0) FROM {refund} "
        f"WHERE {refund}.{quote('pickup_id')} = {pickup}.{quote('id')}",
        (),
        output_field=IntegerField(),
    )


_REFUNDED = _refunded_sql()
