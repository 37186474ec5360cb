"""Who is told what.

Each kind of event names its subject, its recipients and its template (templates/emails/<kind>.txt,
sent as text and, through emails/layout.html, as HTML).
`tasks.notify` calls `send` after the change has committed. A recipient with an account gets an
in-app notification (one per event, however often the task runs: a unique dedupe key) and an email
unless they turned that kind off; a bare address (an invitation, a staff alias) or a phone number
gets its message once too (a Delivery row).
"""

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from billing.models import Payment
from core import geo
from core.transitions import history
from customers.models import Membership as CustomerMembership
from haulers.models import Credential, OfferPause
from haulers.models import Membership as HaulerMembership
from marketplace import sms, webhooks
from marketplace.models import (
    Case,
    CaseMessage,
    Delivery,
    Notification,
    NotificationPreference,
    Offer,
    Pickup,
    ServicePlan,
    WebhookDelivery,
)
from sensors.models import Alarm, Reading

User = get_user_model()
SUBJECT_DATE = "D, M j"  # "Fri, Nov 27"


def _members(organisation) -> list:
    """The active people of a Customer or a Hauler (their memberships are customer_/hauler_membership)."""
    kind = organisation._meta.model_name
    return list(User.objects.filter(is_active=True, **{f"{kind}_membership__{kind}": organisation}))


def _staff() -> list:
    configured = settings.STAFF_ALERT_EMAILS
    if configured:
        return list(configured)
    return list(User.objects.filter(is_staff=True, is_active=True))


def _pickup_page(pickup: Pickup) -> str:
    return reverse("pickup_detail", args=[pickup.pk])


def _bin_owners(alarm: Alarm) -> list:
    """The people of the business whose bin it is (and nobody else's)."""
    return _members(alarm.device.location.customer)


def _bin_page(alarm: Alarm) -> str:
    return reverse("location_sensors", args=[alarm.device.location_id]) + f"#sensor-{alarm.device_id}"


def _alarm_queue(alarm: Alarm) -> str:
    return reverse("admin:sensors_alarm_change", args=[alarm.pk])


def _office(hauler) -> list:
    """The hauler's people who answer for its jobs (the roles allowed "dispatch"), not its drivers."""
    roles = HaulerMembership.PERMISSIONS["dispatch"].roles
    return list(
        User.objects.filter(is_active=True, hauler_membership__hauler=hauler, hauler_membership__role__in=roles)
    )


def _admin_page(name: str, pk: int) -> str:
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


def _pause_why(pause: OfferPause) -> str:
    """'4 jobs given back ... in 24 hours. New offers resume Wed, Dec 2, 10:41 PM CST.' in the depot's zone."""
    depot = geo.lookup(pause.hauler.depot_zip)
    until = pause.until.astimezone(ZoneInfo(depot.timezone if depot else settings.STAFF_TIME_ZONE))
    clock = f"{until:%I:%M %p}".lstrip("0")
    return f"{pause.reason}. New offers resume {until:%a, %b} {until.day}, {clock} {until.tzname()}."


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
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "plan_booked": Kind(
        "Booking confirmations",
        ServicePlan,
        "Booked: {{ obj.get_frequency_display|lower }} {{ obj.get_waste_stream_display|lower }} service",
        lambda plan: _members(plan.customer),
        lambda plan: reverse("plan_detail", args=[plan.pk]),
    ),
    "visit_moved": Kind(
        "A visit moved for a holiday",
        Pickup,
        "Your {{ obj.plan_date|date:DAY }} pickup moves to {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_scheduled": Kind(
        "A hauler accepted a pickup",
        Pickup,
        "Your pickup on {{ obj.service_date|date:DAY }} is scheduled",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_unmatched": Kind(
        "No hauler found for a pickup",
        Pickup,
        "We could not find a hauler for {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.customer) + _staff(),
        _pickup_page,
    ),
    "offer_made": Kind(
        "New job offers",
        Offer,
        "New job offer: pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: _members(offer.hauler),
        sms_to=lambda offer: offer.hauler.phone,
    ),
    "offer_withdrawn": Kind(
        "Offers withdrawn",
        Offer,
        "Offer withdrawn: pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: _members(offer.hauler),
    ),
    "offer_released": Kind(
        "Jobs given back",
        Offer,
        "You no longer hold the pickup on {{ obj.pickup.service_date|date:DAY }}",
        lambda offer: _members(offer.hauler),
    ),
    # Lockouts (marketplace/lockouts.py, haulers/pauses.py): the hauler learns why, until when, and when it ends.
    "offers_paused": Kind(
        "Offers paused or resumed",
        OfferPause,
        "New offers paused for a day: too many jobs given back or offers let expire",
        lambda pause: _members(pause.hauler),
        lambda pause: reverse("hauler_reliability"),
        why=lambda pause: _pause_why(pause),
    ),
    "offers_resumed": Kind(
        "Offers paused or resumed",
        OfferPause,
        "Offers resume: staff lifted the pause",
        lambda pause: _members(pause.hauler),
        lambda pause: reverse("hauler_reliability"),
    ),
    "pickup_cancelled": Kind(
        "Jobs cancelled by the customer",
        Pickup,
        "Pickup on {{ obj.service_date|date:DAY }} cancelled",
        lambda pickup: _members(pickup.hauler) if pickup.hauler_id else [],
    ),
    "pickup_reminder_customer": Kind(
        "Reminders the day before a pickup",
        Pickup,
        "Tomorrow: {{ obj.get_waste_stream_display|lower }} pickup from {{ obj.window_start|time:'g A' }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_reminder_hauler": Kind(
        "Reminders the day before a job",
        Pickup,
        "Tomorrow: job at ZIP {{ obj.location.zip_code }} from {{ obj.window_start|time:'g A' }}",
        lambda pickup: _members(pickup.hauler) if pickup.hauler_id else [],
    ),
    "pickup_missed": Kind(
        "A pickup was missed",
        Pickup,
        "Missed: your pickup on {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "bin_full_suggest": Kind(
        "A sensor says a bin is full",
        Reading,
        "Your {{ obj.device.get_container_display|lower }} is {{ obj.fill_percent }}% full: book a pickup?",
        lambda reading: _members(reading.device.location.customer),
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
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_skipped_empty": Kind(
        "A visit was skipped because the bin was nearly empty",
        Pickup,
        "Skipped: your {{ obj.service_date|date:DAY }} pickup (the bin can wait)",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
        why=_status_reason(Pickup.Status.SKIPPED),
    ),
    "job_skipped_empty": Kind(
        "Jobs skipped because the bin was nearly empty",
        Pickup,
        "Skipped: no visit to ZIP {{ obj.location.zip_code }} on {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.hauler) if pickup.hauler_id else [],
        why=_status_reason(Pickup.Status.SKIPPED),
    ),
    "pickup_completed": Kind(
        "A pickup was done",
        Pickup,
        "Done: your pickup on {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_not_serviced": Kind(
        "A hauler could not service a pickup",
        Pickup,
        "Not serviced on {{ obj.service_date|date:DAY }}: {{ obj.get_exception_reason_display|lower }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "pickup_lapsed_hauler": Kind(
        "A hauler's credentials lapsed",
        Pickup,
        "Pickup #{{ obj.pk }} re-dispatched: the hauler's credentials lapsed",
        lambda pickup: _staff(),
    ),
    "credential_expires_in_30_days": Kind(
        "Credential reminders",
        Credential,
        "Your {{ obj.get_kind_display|lower }} expires in 30 days",
        lambda credential: _members(credential.hauler),
    ),
    "credential_expires_in_7_days": Kind(
        "Credential reminders",
        Credential,
        "Your {{ obj.get_kind_display|lower }} expires in 7 days",
        lambda credential: _members(credential.hauler),
    ),
    "payment_failed": Kind(
        "A payment failed",
        Payment,
        "Payment failed: {{ obj.description }}",
        lambda payment: _members(payment.customer),
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
        lambda alarm: _staff(),
        _alarm_queue,
    ),
    "alarm_fill_not_dropping": Kind(
        "A bin was still full after a completed pickup (staff)",
        Alarm,
        "Still full after pickup #{{ obj.context.pickup }}: {{ obj.device.location.customer.name }}",
        lambda alarm: _staff(),
        _alarm_queue,
    ),
    "alarm_impossible_value": Kind(
        "A bin sensor reports impossible values (staff)",
        Alarm,
        "Sensor {{ obj.device.serial }} is reporting impossible values",
        lambda alarm: _staff(),
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
    # Problem reports (marketplace/cases.py): the hauler and staff hear of a new case, each side of the other's words.
    "case_opened": Kind(
        "A business reported a problem with a job",
        Case,
        "Problem reported: {{ obj.pickup.service_date|date:DAY }} at ZIP {{ obj.pickup.location.zip_code }}",
        lambda case: _office(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    "case_opened_staff": Kind(
        "A business reported a problem (staff)",
        Case,
        "Case {{ obj.pk }}: {{ obj.get_problem_display|lower }} ({{ obj.customer.name }})",
        lambda case: _staff(),
        lambda case: _admin_page("admin:marketplace_case_change", case.pk),
    ),
    "case_message_business": Kind(
        "Answers on your problem reports",
        CaseMessage,
        "New on your case: {{ obj.case.get_problem_display|default:obj.case.get_kind_display }}",
        lambda message: _members(message.case.customer),
        lambda message: reverse("case_detail", args=[message.case_id]),
    ),
    "case_message_hauler": Kind(
        "New messages on a problem report about a job",
        CaseMessage,
        "New on case {{ obj.case_id }}: {{ obj.case.get_problem_display|lower }}",
        lambda message: _office(message.case.hauler) if message.case.hauler_id else [],
        lambda message: reverse("hauler_case", args=[message.case_id]),
    ),
    # Settling a case and making up a visit (marketplace/resolutions.py, marketplace/makeups.py): each side told.
    "make_up_booked": Kind(
        "A make-up visit was booked",
        Pickup,
        "Make-up visit booked for {{ obj.service_date|date:DAY }}",
        lambda pickup: _members(pickup.customer),
        _pickup_page,
    ),
    "case_resolved": Kind(
        "Your problem reports are settled",
        Case,
        "Settled: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: _members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
    ),
    "case_resolved_hauler": Kind(
        "Problem reports about your jobs are settled",
        Case,
        "Case {{ obj.pk }} settled: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: _members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    "case_rejected": Kind(
        "Your problem reports are closed without action",
        Case,
        "We looked into your report: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: _members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
    ),
    "case_rejected_hauler": Kind(
        "Problem reports about your jobs are closed without action",
        Case,
        "Case {{ obj.pk }} closed with no action against you",
        lambda case: _members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    # Card disputes (marketplace/disputes.py): staff hear of a new one; both sides of how the bank decided it
    # (once per outcome: Stripe may reverse its decision).
    "dispute_opened_staff": Kind(
        "A card dispute needs its evidence sent (staff)",
        Case,
        "Card dispute: {{ obj.customer.name }}, evidence due {{ obj.respond_by|date:DAY }}",
        lambda case: _staff(),
        lambda case: _admin_page("admin:billing_dispute_change", case.dispute_id),
    ),
    "dispute_closed_business": Kind(
        "Card disputes are decided",
        Case,
        "Your bank decided the card dispute"
        "{% if obj.pickup %} on the {{ obj.pickup.service_date|date:DAY }} pickup{% endif %}",
        lambda case: _members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
        occurrence=lambda case: case.status,
    ),
    "dispute_closed_hauler": Kind(
        "Card disputes about your jobs are decided",
        Case,
        "A card dispute on your {{ obj.pickup.service_date|date:DAY }} job is decided: your pay stands",
        lambda case: _members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_job", args=[case.pickup_id]) if case.pickup_id else "",
        occurrence=lambda case: case.status,
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
# Kinds a person can turn off by email (invitations go to people without an account yet).
PREFERENCE_KINDS = {kind: spec.label for kind, spec in KINDS.items() if not kind.endswith("_invitation")}


def send(kind: str, object_id: int) -> int:
    """Record and email the messages for one event; returns how many emails were sent."""
    spec = KINDS[kind]
    obj = spec.model.objects.filter(pk=object_id).first()
    if obj is None:
        return 0
    webhooks.emit_notice(kind=kind, obj=obj)  # the same event, to the endpoints that subscribed to it
    subject = Template(spec.subject).render(Context({"obj": obj, "DAY": SUBJECT_DATE}, autoescape=False))
    url = spec.url(obj)
    why = spec.why(obj) if spec.why else ""
    body = render_to_string(f"emails/{kind}.txt", {"obj": obj, "site_url": settings.SITE_URL, "url": url, "why": why})
    html = render_to_string("emails/layout.html", {"subject": subject, "body": body, "site_url": settings.SITE_URL})
    key = f"{kind}:{object_id}" + (f":{spec.occurrence(obj)}" if spec.occurrence else "")

    def email_to(address: str) -> int:
        return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], html_message=html)

    sent = 0
    seen = set()
    for recipient in spec.recipients(obj):
        address = recipient.pk if isinstance(recipient, User) else recipient.lower()
        if address in seen:
            continue
        seen.add(address)
        if isinstance(recipient, User):
            sent += _to_user(recipient, kind=kind, key=key, subject=subject, body=body, html=html, url=url)
        else:
            sent += _once(Delivery.Channel.EMAIL, key, address, email_to)
    if spec.sms_to is not None and (number := sms.normalise(spec.sms_to(obj))):
        _once(Delivery.Channel.SMS, key, number, lambda to: sms.send_sms(to=to, text=subject))
    return sent


def _once(channel: str, key: str, address: str, deliver) -> int:
    """Deliver to a bare address unless a delivery of this event to it is already recorded; 1 if sent now."""
    if Delivery.objects.filter(channel=channel, dedupe_key=key, address=address).exists():
        return 0
    deliver(address)
    try:
        with transaction.atomic():
            Delivery.objects.create(channel=channel, dedupe_key=key, address=address)
    except IntegrityError:  # a concurrent run recorded it first
        pass
    return 1


def _to_user(user, *, kind: str, key: str, subject: str, body: str, html: str, url: str) -> int:
    try:
        with transaction.atomic():
            note = Notification.objects.create(user=user, kind=kind, title=subject, body=body, url=url, dedupe_key=key)
    except IntegrityError:
        note = Notification.objects.get(user=user, dedupe_key=key)
    if note.emailed or NotificationPreference.objects.filter(user=user, kind=kind).exists():
        return 0
    sent = send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], html_message=html)
    Notification.objects.filter(pk=note.pk).update(emailed=True)
    return sent


def set_email_preferences(*, user, muted_kinds: set[str]) -> None:
    """Email the user every kind of event except these."""
    unknown = muted_kinds - set(PREFERENCE_KINDS)
    if unknown:
        raise ValueError(f"unknown kinds: {sorted(unknown)}")
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user).exclude(kind__in=muted_kinds).delete()
        existing = set(NotificationPreference.objects.filter(user=user).values_list("kind", flat=True))
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, kind=kind) for kind in sorted(muted_kinds - existing)]
        )
