"""Who is told what. Each kind of event names its subject, its recipients and its template
(templates/emails/<kind>.txt); tasks.notify sends them after the change has committed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.template.loader import render_to_string

from customers.models import Membership as CustomerMembership
from haulers.models import Membership as HaulerMembership
from marketplace.models import Offer, Pickup


def _members(organisation) -> list[str]:
    return list(
        organisation.memberships.filter(user__isnull=False, user__is_active=True).values_list("user__email", flat=True)
    )


def _staff() -> list[str]:
    configured = settings.STAFF_ALERT_EMAILS
    if configured:
        return list(configured)
    return list(get_user_model().objects.filter(is_staff=True, is_active=True).values_list("email", flat=True))


@dataclass(frozen=True)
class Kind:
    model: type
    subject: str
    recipients: Callable[[object], list[str]]


def _offer_hauler(offer: Offer) -> list[str]:
    return _members(offer.hauler)


def _pickup_customer(pickup: Pickup) -> list[str]:
    return _members(pickup.customer)


KINDS: dict[str, Kind] = {
    "offer_made": Kind(Offer, "New job offer: pickup on {obj.pickup.service_date}", _offer_hauler),
    "offer_withdrawn": Kind(Offer, "Offer withdrawn: pickup on {obj.pickup.service_date}", _offer_hauler),
    "offer_released": Kind(Offer, "You no longer hold the pickup on {obj.pickup.service_date}", _offer_hauler),
    "pickup_scheduled": Kind(Pickup, "Your pickup on {obj.service_date} is scheduled", _pickup_customer),
    "pickup_unmatched": Kind(
        Pickup,
        "We could not find a hauler for {obj.service_date}",
        lambda pickup: _members(pickup.customer) + _staff(),
    ),
    "pickup_cancelled": Kind(
        Pickup,
        "Pickup on {obj.service_date} cancelled",
        lambda pickup: _members(pickup.hauler) if pickup.hauler_id else [],
    ),
    "customer_invitation": Kind(
        CustomerMembership, "You are invited to join {obj.customer.name} on HaulMatch", lambda m: [m.email]
    ),
    "hauler_invitation": Kind(
        HaulerMembership, "You are invited to join {obj.hauler.name} on HaulMatch", lambda m: [m.email]
    ),
}


def send(kind: str, object_id: int) -> int:
    """Render and email the messages for one event; returns how many were sent."""
    spec = KINDS[kind]
    obj = spec.model.objects.filter(pk=object_id).first()
    if obj is None:
        return 0
    recipients = sorted(set(spec.recipients(obj)))
    if not recipients:
        return 0
    subject = spec.subject.format(obj=obj)
    body = render_to_string(f"emails/{kind}.txt", {"obj": obj, "site_url": settings.SITE_URL})
    return send_mass_mail([(subject, body, settings.DEFAULT_FROM_EMAIL, [to]) for to in recipients])
