"""The kinds of event the market tells people about: each names its subject, its recipients and its page.

Problem reports, make-ups, card disputes and offer pauses have theirs in marketplace/notifications/trust.py.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from billing.models import Payment
from core.transitions import history
from customers.models import Membership as CustomerMembership
from haulers.models import Credential
from haulers.models import Membership as HaulerMembership
from marketplace import webhooks
from marketplace.models import (
    Offer,
    Pickup,
    ServicePlan,
    WebhookDelivery,
)
from sensors.models import Alarm, Reading

User = get_user_model()
SUBJECT_DATE = "D, M j"  # "Fri, Nov 27"


def members(organisation) -> list:
    """The active people of a Customer or a Hauler (their memberships are customer_/hauler_membership)."""
    kind = organisation._meta.model_name
    return list(User.objects.filter(is_active=True, **{f"{kind}_membership__{kind}": organisation}))


def staff() -> list:
    configured = settings.STAFF_ALERT_EMAILS
    if configured:
        return list(configured)
    return list(User.objects.filter(is_staff=True, is_active=True))


def pickup_page(pickup: Pickup) -> str:
    return reverse("pickup_detail", args=[pickup.pk])


def _bin_owners(alarm: Alarm) -> list:
    """The people of the business whose bin it is (and nobody else's)."""
    return members(alarm.device.location.customer)


def _bin_page(alarm: Alarm) -> str:
    return reverse("location_sensors", args=[alarm.device.location_id]) + f"#sensor-{alarm.device_id}"


def _alarm_queue(alarm: Alarm) -> str:
    return reverse("admin:sensors_alarm_change", args=[alarm.pk])


def office(hauler) -> list:
    """The hauler's people who answer for its jobs (the roles allowed "dispatch"), not its drivers."""
    roles = HaulerMembership.PERMISSIONS["dispatch"].roles
    return list(
        User.objects.filter(is_active=True, hauler_membership__hauler=hauler, hauler_membership__role__in=roles)
    )


def admin_page(name: str, pk: int) -> str:
    """The admin's page of a row, or nothing while no admin module registers its model."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


# An alarm's subject names the bin as its business knows it.
BIN = "{{ obj.device.get_waste_stream_display|lower }} {{ obj.device.get_container_display|lower }}"


@dataclass(frozen=True)
class Kind:
    label: str  # what a person turns on or off in their preferences
    model: type
    subject: str  # a one-line template
    recipients: Callable[[object], list]
    url: Callable[[object], str] = lambda obj: ""
    sms_to: Callable[[object], str] | None = None  # a phone number to text as well, for what cannot wait
    # What makes a repeat of the event on the same object a new message (e.g. each failed payment attempt).
    occurrence: Callable[[object], object] | None = None
    # Why it happened, a sentence the body shows (e.g. the sensor's figures behind a skipped visit).
    why: Callable[[object], str] | None = None


def _status_reason(status: str) -> Callable[[Pickup], str]:
    """The reason recorded with the pickup's latest move to `status` (the rule's own sentence)."""

    def reason(pickup: Pickup) -> str:
        change = history(pickup).filter(to_status=status).order_by("-pk").first()
        return change.reason if change is not None else ""

    return reason


KINDS: dict[str, Kind] = {
    "pickup_booked": Kind(
        "Booking confirmations",
        Pickup,
        "Booked: {{ obj.get_waste_stream_display }} pickup on {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "plan_booked": Kind(
        "Booking confirmations",
        ServicePlan,
        "Booked: {{ obj.get_frequency_display|lower }} {{ obj.get_waste_stream_display|lower }} service",
        lambda plan: members(plan.customer),
        lambda plan: reverse("plan_detail", args=[plan.pk]),
    ),
    "visit_moved": Kind(
        "A visit moved for a holiday",
        Pickup,
        "Your {{ obj.plan_date|date:DAY }} pickup moves to {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_scheduled": Kind(
        "A hauler accepted a pickup",
        Pickup,
        "Your pickup on {{ obj.service_date|date:DAY }} is scheduled",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_unmatched": Kind(
        "No hauler found for a pickup",
        Pickup,
        "We could not find a hauler for {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer) + staff(),
        pickup_page,
    ),
    "offer_made": Kind(
        "New job offers",
        Offer,
        "New job offer: pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: members(offer.hauler),
        sms_to=lambda offer: offer.hauler.phone,
    ),
    "offer_withdrawn": Kind(
        "Offers withdrawn",
        Offer,
        "Offer withdrawn: pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: members(offer.hauler),
    ),
    "offer_released": Kind(
        "Jobs given back",
        Offer,
        "You no longer hold the pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: members(offer.hauler),
    ),
    # Lockouts (marketplace/lockouts.py, haulers/pauses.py): the hauler learns why, until when, and when it ends.
    "pickup_cancelled": Kind(
        "Jobs cancelled by the customer",
        Pickup,
        "Pickup on {{ obj.service_date|date:DAY }} cancelled",
        lambda pickup: members(pickup.hauler) if pickup.hauler_id else [],
    ),
    "pickup_reminder_customer": Kind(
        "Reminders the day before a pickup",
        Pickup,
        "Tomorrow: {{ obj.get_waste_stream_display|lower }} pickup from {{ obj.window_start|time:'g A' }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_reminder_hauler": Kind(
        "Reminders the day before a job",
        Pickup,
        "Tomorrow: job at ZIP {{ obj.location.zip_code }} from {{ obj.window_start|time:'g A' }}",
        lambda pickup: members(pickup.hauler) if pickup.hauler_id else [],
    ),
    "pickup_missed": Kind(
        "A pickup was missed",
        Pickup,
        "Missed: your pickup on {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "bin_full_suggest": Kind(
        "A sensor says a bin is full",
        Reading,
        "Your {{ obj.device.get_container_display|lower }} is {{ obj.fill_percent }}% full: book a pickup?",
        lambda reading: members(reading.device.location.customer),
        lambda reading: (
            reverse("book") + f"?location={reading.device.location_id}"
            f"&waste_stream={reading.device.waste_stream}&container={reading.device.container}"
        ),
    ),
    "bin_full_booked": Kind(
        "A sensor booked a pickup",
        Pickup,
        "Your bin {% if obj.device.last_fill_percent < obj.device.collect_at_percent %}will soon be full"
        "{% else %}is full{% endif %}: we booked a pickup for {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_skipped_empty": Kind(
        "A visit was skipped because the bin was nearly empty",
        Pickup,
        "Skipped: your {{ obj.service_date|date:DAY }} pickup (the bin can wait)",
        lambda pickup: members(pickup.customer),
        pickup_page,
        why=_status_reason(Pickup.Status.SKIPPED),
    ),
    "job_skipped_empty": Kind(
        "Jobs skipped because the bin was nearly empty",
        Pickup,
        "Skipped: no visit to ZIP {{ obj.location.zip_code }} on {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.hauler) if pickup.hauler_id else [],
        why=_status_reason(Pickup.Status.SKIPPED),
    ),
    "pickup_completed": Kind(
        "A pickup was done",
        Pickup,
        "Done: your pickup on {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_not_serviced": Kind(
        "A hauler could not service a pickup",
        Pickup,
        "Not serviced on {{ obj.service_date|date:DAY }}: {{ obj.get_exception_reason_display|lower }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "pickup_lapsed_hauler": Kind(
        "A hauler's credentials lapsed",
        Pickup,
        "Pickup #{{ obj.pk }} re-dispatched: the hauler's credentials lapsed",
        lambda pickup: staff(),
    ),
    "credential_expires_in_30_days": Kind(
        "Credential reminders",
        Credential,
        "Your {{ obj.get_kind_display|lower }} expires in 30 days",
        lambda credential: members(credential.hauler),
    ),
    "credential_expires_in_7_days": Kind(
        "Credential reminders",
        Credential,
        "Your {{ obj.get_kind_display|lower }} expires in 7 days",
        lambda credential: members(credential.hauler),
    ),
    "payment_failed": Kind(
        "A payment failed",
        Payment,
        "Payment failed: {{ obj.description }}",
        lambda payment: members(payment.customer),
        lambda payment: reverse("billing_card"),
        occurrence=lambda payment: payment.attempts,
    ),
    # Fleet alarms (marketplace/alarms.py): each alarm's notices are sent once, when it opens.
    "alarm_offline": Kind(
        "A bin sensor stopped reporting",
        Alarm,
        "Sensor {{ obj.device.serial }} on your " + BIN + " at {{ obj.device.location.name }} stopped reporting",
        _bin_owners,
        _bin_page,
    ),
    "alarm_battery_low": Kind(
        "A bin sensor's battery is running out",
        Alarm,
        "Sensor {{ obj.device.serial }} at {{ obj.device.location.name }} needs a new battery soon",
        _bin_owners,
        _bin_page,
    ),
    "alarm_overflow_risk": Kind(
        "A bin may overflow before its next pickup",
        Alarm,
        "Your " + BIN + " at {{ obj.device.location.name }} may overflow before its next pickup",
        _bin_owners,
        _bin_page,
    ),
    "alarm_temperature": Kind(
        "A bin may be on fire",
        Alarm,
        "Possible fire: your " + BIN + " at {{ obj.device.location.name }} is very hot",
        _bin_owners,
        _bin_page,
    ),
    "alarm_tilt": Kind(
        "A bin may have been knocked over",
        Alarm,
        "Your " + BIN + " at {{ obj.device.location.name }} may have been knocked over",
        _bin_owners,
        _bin_page,
    ),
    "alarm_temperature_staff": Kind(
        "A customer's bin may be on fire (staff)",
        Alarm,
        "Possible fire: {{ obj.device.location.customer.name }}, {{ obj.device.location.name }}",
        lambda alarm: staff(),
        _alarm_queue,
    ),
    "alarm_fill_not_dropping": Kind(
        "A bin was still full after a completed pickup (staff)",
        Alarm,
        "Still full after pickup #{{ obj.context.pickup }}: {{ obj.device.location.customer.name }}",
        lambda alarm: staff(),
        _alarm_queue,
    ),
    "alarm_impossible_value": Kind(
        "A bin sensor reports impossible values (staff)",
        Alarm,
        "Sensor {{ obj.device.serial }} is reporting impossible values",
        lambda alarm: staff(),
        _alarm_queue,
    ),
    # An endpoint that stopped taking events: told once a day at most (marketplace/webhooks.py decides when).
    "webhook_failed": Kind(
        "A webhook endpoint stopped receiving events",
        WebhookDelivery,
        "Webhook not delivered: {{ obj.event_type }} to {{ obj.endpoint.url|truncatechars:60 }}",
        webhooks.integrators,
        webhooks.log_page,
    ),
    "customer_invitation": Kind(
        "Invitations",
        CustomerMembership,
        "You are invited to join {{ obj.customer.name }} on HaulMatch",
        lambda membership: [membership.email],
    ),
    "hauler_invitation": Kind(
        "Invitations",
        HaulerMembership,
        "You are invited to join {{ obj.hauler.name }} on HaulMatch",
        lambda membership: [membership.email],
    ),
}
