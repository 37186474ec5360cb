"""Read queries for pages and the API: scoped to one business, with what the page shows prefetched."""

import datetime as dt

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from core.transitions import history
from customers.models import Customer, ServiceLocation
from marketplace.models import Offer, Pickup

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
    return locations.order_by("archived_at", "name", "id")


def location_of(*, customer: Customer, location_id) -> ServiceLocation:
    """One of the business's locations, or NotFound (another business's included)."""
    location = ServiceLocation.objects.filter(customer=customer, pk=location_id).first()
    if location is None:
        raise NotFound("No such location.")
    return location


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
        .select_related("location", "hauler", "quote")
        .prefetch_related(Prefetch("offers", queryset=Offer.objects.order_by("created_at")))
        .first()
    )
    if pickup is None:
        raise NotFound("No such pickup.")
    return pickup


def pickup_timeline(*, pickup: Pickup):
    """Every status change of the pickup, oldest first."""
    return history(pickup)
