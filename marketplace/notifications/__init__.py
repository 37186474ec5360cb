"""Who is told what.

Each kind of event names its subject, its recipients and its template (templates/emails/<kind>.txt,
sent as text and, through emails/layout.html, as HTML).
`tasks.notify` calls `send` after the change has committed. A recipient with an account gets an
in-app notification (one per event, however often the task runs: a unique dedupe key) and an email
unless they turned that kind off; a bare address (an invitation, a staff alias) or a phone number
gets its message once too (a Delivery row).
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.template.loader import render_to_string

from marketplace import sms, webhooks
from marketplace.models import Delivery, Notification, NotificationPreference
from marketplace.notifications import kinds, trust
from marketplace.notifications.kinds import SUBJECT_DATE, User

KINDS = {**kinds.KINDS, **trust.KINDS}
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
