"""Outbound webhooks: a business or a hauler registers endpoints, and the market's events are POSTed to them, signed.

An event is recorded as one delivery row per subscribed endpoint in the emitter's own transaction (so a rolled-back
change sends nothing) and sent after commit by the `marketplace.deliver_webhook` task. Its id is derived from what
happened, so emitting it twice (a retried task) records it once; a retry sends the same id and body again, so a
receiver can de-duplicate. Each attempt is signed like Stripe's webhooks:

    HaulMatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the endpoint's secret>

with a second v1 (the previous secret's) for a while after a rotation. A failed attempt (no 2xx answer in
WEBHOOK_TIMEOUT_SECONDS) is tried again after WEBHOOK_RETRY_SCHEDULE's delays, for WEBHOOK_RETRY_FOR after the
event; the `marketplace.retry_webhooks` beat sweep sends the due ones. An attempt is counted, and its retry
scheduled, in a committed claim before it is sent; the POST runs outside any transaction, so neither a slow receiver
nor a worker dying mid-send holds a row lock or re-sends the attempt on every sweep.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from core import permissions
from core.enqueue import enqueue
from core.errors import Conflict, NotFound
from customers.models import Customer
from haulers.models import Hauler
from marketplace import webhook_http
from marketplace.models import WebhookDelivery, WebhookEndpoint
from marketplace.webhook_events import EVENTS, HAULER_EVENTS, TEST_EVENT, invoice_data, notice_events, payment_data

MAX_ENDPOINTS = 10  # per business or hauler: more is a loop in someone's script, not an integration
MAX_OVERLAP = dt.timedelta(days=7)  # the longest an old secret keeps signing after a rotation
EXCERPT = 500  # characters of a receiver's answer kept in the log
SIGNATURE_HEADER = "HaulMatch-Signature"
logger = logging.getLogger(__name__)

Owner = Customer | Hauler


# --- Signing ---------------------------------------------------------------------------


def new_secret() -> str:
    """A fresh signing secret (shown to the owner once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def signature(*, body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" under `secret`."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, body: bytes, signing_secrets: list[str], timestamp: int) -> str:
    """`t=<timestamp>,v1=<signature>` with one v1 per secret (two during a rotation's overlap)."""
    return ",".join(
        [f"t={timestamp}", *(f"v1={signature(body=body, secret=s, timestamp=timestamp)}" for s in signing_secrets)]
    )


def signing_secrets(endpoint: WebhookEndpoint, *, now: dt.datetime) -> list[str]:
    """The secrets an attempt is signed with now: the current one, and the previous one until it expires."""
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        keys.append(endpoint.previous_secret)
    return keys


# --- Endpoints -------------------------------------------------------------------------


def _owned(owner: Owner) -> dict:
    return {permissions.kind_of(owner): owner}


def owner_for_user(user) -> Owner | None:
    """The business the user belongs to, else the hauler, else None."""
    if not user.is_authenticated:
        return None
    for kind in ("customer", "hauler"):
        membership = getattr(user, f"{kind}_membership", None)
        if membership is not None:
            return getattr(membership, kind)
    return None


def owner_of(endpoint: WebhookEndpoint) -> Owner:
    """The business or hauler the endpoint belongs to."""
    return endpoint.customer or endpoint.hauler


def events_for(owner: Owner) -> dict[str, str]:
    """The event types this owner may subscribe to, with what each means."""
    allowed = HAULER_EVENTS if isinstance(owner, Hauler) else EVENTS
    return {name: EVENTS[name] for name in allowed}


def endpoints_of(*, owner: Owner) -> QuerySet[WebhookEndpoint]:
    """The owner's endpoints, oldest first."""
    return WebhookEndpoint.objects.filter(**_owned(owner)).order_by("created_at", "pk")


def endpoint_of(*, owner: Owner, endpoint_id: int) -> WebhookEndpoint:
    """One of the owner's endpoints; NotFound for anyone else's."""
    endpoint = endpoints_of(owner=owner).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    return endpoint


def deliveries_of(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    return endpoint.deliveries.order_by("-created_at", "-pk")


def _check_events(owner: Owner, events: list[str]) -> list[str]:
    allowed = events_for(owner)
    unknown = sorted(set(events) - set(allowed))
    if unknown:
        raise ValidationError({"events": f"Not an event you can receive: {', '.join(unknown)}."})
    if not events:
        raise ValidationError({"events": "Choose at least one event."})
    return [name for name in allowed if name in events]  # in the documented order, each once


def _may_manage(owner: Owner, by) -> None:
    permissions.require(user=by, organisation=owner, action="integrations")


def create_endpoint(*, owner: Owner, url: str, events: list[str], description: str = "", by) -> WebhookEndpoint:
    """Register an endpoint for these events, with a new secret."""
    _may_manage(owner, by)
    try:
        url = webhook_http.check_url(url)
    except ValidationError as error:
        raise ValidationError({"url": error.messages}) from None
    events = _check_events(owner, events)
    with transaction.atomic():
        # The owner's row is locked so two concurrent registrations cannot both pass the limit.
        type(owner).objects.select_for_update().get(pk=owner.pk)
        if endpoints_of(owner=owner).count() >= MAX_ENDPOINTS:
            raise Conflict(f"You have {MAX_ENDPOINTS} webhook endpoints, the most there can be; remove one first.")
        return WebhookEndpoint.objects.create(
            **_owned(owner), url=url, events=events, description=description.strip(), secret=new_secret()
        )


def update_endpoint(
    *,
    endpoint: WebhookEndpoint,
    by,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's address, events, description or whether it is on (what is not given stays)."""
    owner = owner_of(endpoint)
    _may_manage(owner, by)
    changes = {}
    if url is not None:
        try:
            changes["url"] = webhook_http.check_url(url)
        except ValidationError as error:
            raise ValidationError({"url": error.messages}) from None
    if events is not None:
        changes["events"] = _check_events(owner, events)
    if description is not None:
        changes["description"] = description.strip()
    if active is not None:
        changes["active"] = active
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def delete_endpoint(*, endpoint: WebhookEndpoint, by) -> None:
    """Remove an endpoint and its delivery log; nothing more is sent to it."""
    _may_manage(owner_of(endpoint), by)
    endpoint.delete()


def rotate_secret(*, endpoint: WebhookEndpoint, by, overlap: dt.timedelta | None = None) -> WebhookEndpoint:
    """A new secret; the old one keeps signing (a second v1) for `overlap` (WEBHOOK_SECRET_OVERLAP by default)."""
    _may_manage(owner_of(endpoint), by)
    overlap = settings.WEBHOOK_SECRET_OVERLAP if overlap is None else overlap
    if not dt.timedelta(0) <= overlap <= MAX_OVERLAP:
        raise ValidationError({"overlap_hours": f"Keep the old secret for 0 to {MAX_OVERLAP.days * 24} hours."})
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret if overlap else ""
        endpoint.previous_secret_expires_at = timezone.now() + overlap if overlap else None
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    return endpoint


def send_test(*, endpoint: WebhookEndpoint, by) -> WebhookDelivery:
    """Send the endpoint a `webhook.test` event now (whatever events it picked), logged like any other."""
    _may_manage(owner_of(endpoint), by)
    if not endpoint.active:
        raise Conflict("This endpoint is turned off; turn it on to send it a test event.")
    data = {"message": "A test event from HaulMatch: your endpoint receives and verifies our webhooks."}
    deliveries = _record([endpoint], event_type=TEST_EVENT, data=data, key=f"test:{uuid.uuid4().hex}")
    return deliveries[0]


# --- Emitting --------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def event_id(*, event_type: str, key: str) -> str:
    """A stable id for one happening: the same event type and key always give the same id."""
    return "evt_" + hashlib.sha256(f"{event_type}:{key}".encode()).hexdigest()[:24]


def _record(endpoints, *, event_type: str, data: dict, key: str) -> list[WebhookDelivery]:
    identifier = event_id(event_type=event_type, key=key)
    now = timezone.now()
    payload = {"id": identifier, "type": event_type, "created": _iso(now), "data": data}
    recorded = []
    for endpoint in endpoints:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event_id=identifier,
            defaults={"event_type": event_type, "payload": payload, "next_attempt_at": now},
        )
        if created:
            enqueue("marketplace.deliver_webhook", delivery.pk)
        recorded.append(delivery)
    return recorded


def emit(*, event_type: str, owner: Owner, data: dict, key: str) -> list[WebhookDelivery]:
    """Record the event for each of the owner's active endpoints subscribed to it; each is sent after commit.

    `key` names what happened (e.g. "pickup:12"); with the event type and the owner it makes the event id, so
    emitting the same happening again records nothing new.
    """
    subscribed = [e for e in endpoints_of(owner=owner).filter(active=True) if event_type in e.events]
    kind = permissions.kind_of(owner)
    return _record(subscribed, event_type=event_type, data=data, key=f"{kind}:{owner.pk}:{key}")


def _isolated(what: str, record) -> int:
    """Record events without letting a fault in them undo or stop the change that emits them (a charge, an invoice
    run over every business, a notice's emails): it is logged, and reaches Sentry; re-emitting later is safe."""
    try:
        with transaction.atomic():
            return record()
    except Exception:
        logger.exception("webhook events for %s were not recorded", what)
        return 0


def emit_notice(*, kind: str, obj) -> int:
    """The webhook events behind a notice the market sends (notifications.send calls this); how many recorded."""
    return _isolated(
        f"the notice {kind} of {type(obj).__name__} #{obj.pk}",
        lambda: sum(
            len(emit(event_type=event_type, owner=owner, data=data, key=key))
            for event_type, owner, data, key in notice_events(kind, obj)
        ),
    )


def emit_payment(*, payment) -> int:
    """payment.succeeded once it went through, payment.failed for each declined attempt (none while undecided)."""
    if payment.status == payment.Status.SUCCEEDED:
        event_type, key = "payment.succeeded", f"payment:{payment.pk}"
    elif payment.status == payment.Status.FAILED:
        event_type, key = "payment.failed", f"payment:{payment.pk}:{payment.attempts}"
    else:
        return 0
    return _isolated(
        f"payment #{payment.pk}",
        lambda: len(emit(event_type=event_type, owner=payment.customer, data=payment_data(payment), key=key)),
    )


def emit_invoice(*, invoice) -> int:
    """invoice.issued, to the business."""
    return _isolated(
        f"invoice #{invoice.pk}",
        lambda: len(
            emit(
                event_type="invoice.issued",
                owner=invoice.customer,
                data=invoice_data(invoice),
                key=f"invoice:{invoice.pk}",
            )
        ),
    )


def integrators(delivery: WebhookDelivery) -> list:
    """The people who look after the endpoint's webhooks (who are told when one stops receiving)."""
    owner = owner_of(delivery.endpoint)
    kind = permissions.kind_of(owner)
    people = get_user_model().objects.filter(is_active=True, **{f"{kind}_membership__{kind}": owner})
    return [person for person in people if permissions.may(user=person, organisation=owner, action="integrations")]


def log_page(delivery: WebhookDelivery) -> str:
    """The endpoint's page on the website, with its delivery log."""
    name = "hauler_webhook" if delivery.endpoint.hauler_id else "webhook"
    return reverse(name, args=[delivery.endpoint_id])


def _tell_once_a_day(delivery: WebhookDelivery, *, now: dt.datetime) -> None:
    """Tell the owner a delivery was given up, unless another of the endpoint's was in the last day (an endpoint
    that is down gives up on every event: one message a day is enough)."""
    recent = WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        status=WebhookDelivery.Status.FAILED,
        last_attempt_at__gte=now - dt.timedelta(days=1),
    )
    if not recent.exclude(pk=delivery.pk).exists():
        enqueue("marketplace.notify", "webhook_failed", delivery.pk)


# --- Delivering ------------------------------------------------------------------------


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\n\t" else "?" for c in text)[:EXCERPT]


def next_attempt_at(*, attempts: int, started: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failed ones: the schedule's delay, the last try at WEBHOOK_RETRY_FOR after
    the event; None once that has passed (the delivery has failed)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    deadline = started + settings.WEBHOOK_RETRY_FOR
    if now >= deadline:
        return None
    return min(now + schedule[min(attempts, len(schedule)) - 1], deadline)


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed for a delivery (the same on every attempt)."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()


INTERRUPTED = "No outcome was recorded for this attempt (it was interrupted); it is tried again on the schedule."


def _claim(delivery_id: int) -> WebhookDelivery | None:
    """Count a due delivery's attempt and schedule its retry as if it will fail, committed before anything is sent:
    a concurrent sweep no longer finds it due, and a crash or time limit during the send leaves a counted attempt
    with its retry (never one re-sent on every sweep). None when it is not due."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
            .first()
        )
        if delivery is None:
            return None
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_code, delivery.response_excerpt, delivery.duration_ms = None, "", None
        delivery.error = INTERRUPTED
        delivery.next_attempt_at = next_attempt_at(attempts=delivery.attempts, started=delivery.created_at, now=now)
        if delivery.next_attempt_at is None or not delivery.endpoint.active:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        delivery.save()
    return delivery


def _send(delivery: WebhookDelivery) -> None:
    """POST the claimed attempt (outside any transaction: no row lock is held while a receiver answers) and note its
    answer or error on `delivery`."""
    endpoint, now = delivery.endpoint, delivery.last_attempt_at
    delivery.error = ""
    if not endpoint.active:
        delivery.error = "Not sent: the endpoint is turned off."
        return
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "HaulMatch-Webhooks/1.0",
        "HaulMatch-Event-Id": delivery.event_id,
        "HaulMatch-Event-Type": delivery.event_type,
        "HaulMatch-Attempt": str(delivery.attempts),
        SIGNATURE_HEADER: signature_header(
            body=body, signing_secrets=signing_secrets(endpoint, now=now), timestamp=int(now.timestamp())
        ),
    }
    try:
        code, excerpt = webhook_http.post(endpoint.url, body=body, headers=headers)
    except webhook_http.NotSent as error:
        delivery.error = str(error)[:300]
    else:
        delivery.response_code, delivery.response_excerpt = code, _printable(excerpt)
        if not 200 <= code < 300:
            delivery.error = f"The endpoint answered {code}; only a 2xx answer counts as received."


def _record_outcome(delivery: WebhookDelivery, *, claimed_status: str) -> WebhookDelivery:
    """Save the attempt's outcome in a short transaction: delivered, or failed keeping the retry the claim
    scheduled (given up, and its owners told, when none was left)."""
    if not delivery.error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.Status.DELIVERED,
            delivery.last_attempt_at,
            None,
        )
    fields = ["status", "delivered_at", "next_attempt_at", "response_code", "response_excerpt", "error", "duration_ms"]
    with transaction.atomic():
        # Only this attempt's own row: a staff retry meanwhile has started a newer attempt, whose outcome counts.
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, last_attempt_at=delivery.last_attempt_at, status=claimed_status
        )
        if not mine.update(**{field: getattr(delivery, field) for field in fields}):
            delivery.refresh_from_db()
            return delivery
        if delivery.status == WebhookDelivery.Status.FAILED and delivery.endpoint.active:
            _tell_once_a_day(delivery, now=delivery.last_attempt_at)
    return delivery


def deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one due delivery and record the outcome; None when it is not due (sent, given up, or claimed by
    another worker: the claim is committed before the send and moves its next attempt on, so it is never sent
    twice at once)."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    claimed_status = delivery.status
    started = time.monotonic()
    _send(delivery)
    delivery.duration_ms = round((time.monotonic() - started) * 1000)
    return _record_outcome(delivery, claimed_status=claimed_status)


def due_delivery_ids(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending deliveries whose next attempt is due, longest waiting first (the retry sweep's work)."""
    return list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def retry_now(*, delivery_id: int) -> WebhookDelivery:
    """Staff: send a delivery again now (one more attempt, even after it was given up); it is sent after commit."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, timezone.now()
        delivery.save(update_fields=["status", "next_attempt_at"])
        enqueue("marketplace.deliver_webhook", delivery.pk)
    return delivery


def prune_log(*, now: dt.datetime | None = None) -> int:
    """Forget deliveries sent or given up more than WEBHOOK_LOG_RETENTION ago; returns how many."""
    before = (now or timezone.now()) - settings.WEBHOOK_LOG_RETENTION
    old = WebhookDelivery.objects.filter(created_at__lt=before).exclude(status=WebhookDelivery.Status.PENDING)
    return old.delete()[0]
