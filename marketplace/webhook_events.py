"""What each webhook event says: its types, and the `data` of each (ids, statuses, times in ISO 8601 UTC, money in
integer cents). A business's copy of a pickup carries its price, a hauler's copy the payout and the address."""

import datetime as dt

from django.conf import settings
from django.urls import reverse

from billing.models import Invoice, Payment
from marketplace import scheduling
from marketplace.models import Pickup
from sensors.models import Alarm, Device

EVENTS = {
    "pickup.booked": "A pickup was booked (on the website, through the API, or by a full bin's sensor).",
    "pickup.scheduled": "A hauler accepted a pickup: it is scheduled.",
    "pickup.completed": "A pickup was done, with proof of service.",
    "pickup.missed": "A scheduled pickup was not done by the end of its window.",
    "payment.succeeded": "A payment went through.",
    "payment.failed": "A payment attempt was declined (sent for each attempt).",
    "invoice.issued": "A monthly invoice was issued.",
    "bin.full": "A bin sensor says a bin is full (with the pickup booked for it, if one was).",
    "alarm.opened": "A bin alarm opened: a sensor stopped reporting, a low battery, overflow risk, heat or a tilt.",
}
# What each event's `data` holds (one object, named by its key), for the docs; a test holds the payloads to it.
DATA = {
    "pickup": "id, status, waste_stream, container, quantity, service_date (local), timezone, window_start, "
    "window_end, plan, completed_at, exception_reason, currency, location {id, name, zip_code}, url; a business's "
    "copy also price_cents and hauler {id, name}, a hauler's payout_cents, customer {id, name} and the location's "
    "street, city and state",
    "payment": "id, status, description, amount_cents, credit_cents, charged_cents, currency, pickup, invoice, "
    "attempts, failure_message, next_attempt_at, paid_at, created_at",
    "invoice": "id, number, month (YYYY-MM), status, subtotal_cents, credit_cents, total_cents, currency, issued_at, "
    "url",
    "bin": "device {id, serial, waste_stream, container}, location {id, name, zip_code}, fill_percent, measured_at, "
    "pickup (the id of the pickup booked for it, or null)",
    "alarm": "id, kind, detail, opened_at, device {id, serial, waste_stream, container}, location {id, name, zip_code}",
}

# A hauler hears about the jobs it holds; payments, invoices and bins are the business's.
HAULER_EVENTS = ("pickup.scheduled", "pickup.completed", "pickup.missed")
TEST_EVENT = "webhook.test"

# The notices (marketplace.notifications kinds) that are also webhook events. Payments and invoices are emitted
# where they happen (marketplace.payments), since not every outcome has a notice.
PICKUP_NOTICES = {
    "pickup_booked": "pickup.booked",
    "pickup_scheduled": "pickup.scheduled",
    "pickup_completed": "pickup.completed",
    "pickup_missed": "pickup.missed",
}
ALARM_NOTICES = {"alarm_offline", "alarm_battery_low", "alarm_overflow_risk", "alarm_temperature", "alarm_tilt"}


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def pickup_data(pickup: Pickup, *, for_hauler: bool) -> dict:
    """A pickup as its business, or (`for_hauler`) its hauler, sees it."""
    location = pickup.location
    start, end = scheduling.window_utc(pickup.service_date, pickup.window_start, pickup.window_end, location.timezone)
    data = {
        "id": pickup.pk,
        "status": pickup.status,
        "waste_stream": pickup.waste_stream,
        "container": pickup.container,
        "quantity": pickup.quantity,
        "service_date": pickup.service_date.isoformat(),
        "timezone": location.timezone,
        "window_start": iso(start),
        "window_end": iso(end),
        "plan": pickup.plan_id,
        "completed_at": iso(pickup.completed_at),
        "exception_reason": pickup.exception_reason or None,
        "currency": pickup.currency,
    }
    if for_hauler:
        where = {"street": location.street, "city": location.city, "state": location.state}
        return {
            "pickup": {
                **data,
                "payout_cents": pickup.payout_cents,
                "customer": {"id": pickup.customer_id, "name": pickup.customer.name},
                "location": {"id": location.pk, "name": location.name, "zip_code": location.zip_code, **where},
                "url": _link("hauler_job", pickup.pk),
            }
        }
    hauler = {"id": pickup.hauler_id, "name": pickup.hauler.name} if pickup.hauler_id else None
    return {
        "pickup": {
            **data,
            "price_cents": pickup.price_cents,
            "hauler": hauler,
            "location": {"id": location.pk, "name": location.name, "zip_code": location.zip_code},
            "url": _link("pickup_detail", pickup.pk),
        }
    }


def _device(device: Device) -> dict:
    location = device.location
    return {
        "device": {
            "id": device.pk,
            "serial": device.serial,
            "waste_stream": device.waste_stream,
            "container": device.container,
        },
        "location": {"id": location.pk, "name": location.name, "zip_code": location.zip_code},
    }


def bin_data(*, device: Device, fill_percent: int | None, measured_at: dt.datetime | None, pickup=None) -> dict:
    return {
        "bin": {
            **_device(device),
            "fill_percent": fill_percent,
            "measured_at": iso(measured_at),
            "pickup": pickup.pk if pickup is not None else None,
        }
    }


def alarm_data(alarm: Alarm) -> dict:
    return {
        "alarm": {
            "id": alarm.pk,
            "kind": alarm.kind,
            "detail": alarm.detail,
            "opened_at": iso(alarm.opened_at),
            **_device(alarm.device),
        }
    }


def payment_data(payment: Payment) -> dict:
    return {
        "payment": {
            "id": payment.pk,
            "status": payment.status,
            "description": payment.description,
            "amount_cents": payment.amount_cents,
            "credit_cents": payment.credit_cents,
            "charged_cents": payment.charged_cents,
            "currency": payment.currency,
            "pickup": payment.pickup_id,
            "invoice": payment.invoice_id,
            "attempts": payment.attempts,
            "failure_message": payment.failure_message or None,
            "next_attempt_at": iso(payment.next_attempt_at),
            "paid_at": iso(payment.paid_at),
            "created_at": iso(payment.created_at),
        }
    }


def invoice_data(invoice: Invoice) -> dict:
    return {
        "invoice": {
            "id": invoice.pk,
            "number": invoice.number,
            "month": invoice.month.strftime("%Y-%m"),
            "status": invoice.status,
            "subtotal_cents": invoice.subtotal_cents,
            "credit_cents": invoice.credit_cents,
            "total_cents": invoice.total_cents,
            "currency": invoice.currency,
            "issued_at": iso(invoice.issued_at),
            "url": _link("invoice_detail", invoice.pk),
        }
    }


def notice_events(kind: str, obj) -> list[tuple[str, object, dict, str]]:
    """(event type, owner, data, key) for each webhook event behind the notice `kind` about `obj`."""
    key = f"{kind}:{obj.pk}"
    if kind in PICKUP_NOTICES:
        event_type = PICKUP_NOTICES[kind]
        events = [(event_type, obj.customer, pickup_data(obj, for_hauler=False), key)]
        if obj.hauler_id and event_type in HAULER_EVENTS:
            events.append((event_type, obj.hauler, pickup_data(obj, for_hauler=True), key))
        return events
    if kind == "bin_full_suggest":
        data = bin_data(device=obj.device, fill_percent=obj.fill_percent, measured_at=obj.measured_at)
        return [("bin.full", obj.device.location.customer, data, key)]
    if kind == "bin_full_booked" and obj.device_id:
        device = obj.device
        data = bin_data(
            device=device, fill_percent=device.last_fill_percent, measured_at=device.last_reading_at, pickup=obj
        )
        return [("bin.full", obj.customer, data, key)]
    if kind in ALARM_NOTICES:
        return [("alarm.opened", obj.device.location.customer, alarm_data(obj), key)]
    return []
