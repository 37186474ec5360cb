"""What the market does with fill levels: collect full bins, skip visits to empty ones.

- Collect: when a device's latest reading is at or above its collect_at_percent, and no pickup of
  that container is already open, the market books one (auto_book) or suggests one to the
  business. Never a second while one is open.
- Skip: a scheduled visit of a recurring plan is skipped when the last reading before its cutoff
  (16:00 local the day before, ahead of the 17:00 reminders) is below skip_below_percent. The
  business and the hauler are told; a skipped visit is never charged.
- Savings: each skipped visit is a truck stop not driven; the factors below turn that into km,
  fuel and CO2, as estimates.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict
from core.transitions import transition
from customers.models import Customer
from marketplace import dispatch, routes, scheduling, services
from marketplace.models import Pickup
from sensors.models import Device, Reading

SKIP_CUTOFF_LOCAL = dt.time(16, 0)
OPEN = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED, Pickup.Status.SCHEDULED, Pickup.Status.UNMATCHED)
# A skipped stop saves the detour to it and back onto the route: 8 km is a typical urban figure.
KM_PER_SKIPPED_VISIT = 8.0
# A refuse truck in stop-and-go service burns about 0.9 litres of diesel a km; diesel emits 2.68 kg CO2 a litre.
DIESEL_LITRES_PER_KM = 0.9
CO2_KG_PER_DIESEL_LITRE = 2.68


def latest_reading(device: Device) -> Reading | None:
    return device.readings.order_by("-measured_at").first()


def _open_pickup(device: Device, today: dt.date) -> Pickup | None:
    return (
        Pickup.objects.filter(
            location_id=device.location_id,
            waste_stream=device.waste_stream,
            container=device.container,
            status__in=OPEN,
            service_date__gte=today,
        )
        .order_by("service_date")
        .first()
    )


def next_visit(device: Device, *, after: dt.date) -> Pickup | None:
    """The next open pickup of the device's container at its location on or after `after` (a plan visit or one-off)."""
    return _open_pickup(device, after)


def full_since(device: Device) -> Reading | None:
    """The first reading of the current full spell (at or above the threshold since the last reading below it)."""
    last_below = device.readings.filter(fill_percent__lt=device.collect_at_percent).order_by("-measured_at").first()
    spell = device.readings.filter(fill_percent__gte=device.collect_at_percent)
    if last_below is not None:
        spell = spell.filter(measured_at__gt=last_below.measured_at)
    return spell.order_by("measured_at").first()


def _first_bookable_date(device: Device, now: dt.datetime) -> dt.date:
    today = scheduling.local_today(device.location.timezone, now=now)
    end = scheduling.default_window()[1]
    problem = scheduling.check_service_date(
        service_date=today, tz_name=device.location.timezone, window_end=end, now=now
    )
    return today if problem is None else today + dt.timedelta(days=1)


def evaluate_device(*, device_id: int, now: dt.datetime | None = None) -> str:
    """Apply the collect rule after new readings; returns what happened (for logs and tests)."""
    now = now or timezone.now()
    device = Device.objects.select_related("location", "location__customer").filter(pk=device_id, active=True).first()
    if device is None:
        return "inactive"
    reading = latest_reading(device)
    if reading is None or reading.fill_percent < device.collect_at_percent:
        return "not full"
    today = scheduling.local_today(device.location.timezone, now=now)
    if _open_pickup(device, today) is not None:
        return "already booked"
    spell = full_since(device)
    if not device.auto_book:
        enqueue("marketplace.notify", "bin_full_suggest", spell.pk)
        return "suggested"
    if device.location.archived_at is not None:
        return "location archived"
    customer = device.location.customer
    try:
        with transaction.atomic():
            # Lock the device: two batches arriving together must not book twice.
            Device.objects.select_for_update().get(pk=device.pk)
            if _open_pickup(device, today) is not None:
                return "already booked"
            quote = services.create_quote(
                customer=customer,
                location=device.location,
                waste_stream=device.waste_stream,
                container=device.container,
                quantity=1,
                service_date=_first_bookable_date(device, now),
            )
            pickup = services.book_quote(quote=quote, customer=customer)
            Pickup.objects.filter(pk=pickup.pk).update(device=device)
    except services.NoHaulerAvailable:
        enqueue("marketplace.notify", "bin_full_suggest", spell.pk)
        return "no hauler"
    except (ValidationError, Conflict):
        return "not bookable"
    enqueue("marketplace.notify", "bin_full_booked", pickup.pk)
    return "booked"


def _device_for_visit(pickup: Pickup) -> Device | None:
    return Device.objects.filter(
        location_id=pickup.location_id,
        waste_stream=pickup.waste_stream,
        container=pickup.container,
        active=True,
    ).first()


def skip_cutoff(pickup: Pickup) -> dt.datetime:
    """16:00 local the day before the visit."""
    return scheduling.at_local(pickup.service_date - dt.timedelta(days=1), SKIP_CUTOFF_LOCAL, pickup.location.timezone)


def skip_candidates(*, now: dt.datetime | None = None) -> list[int]:
    """Scheduled plan visits with a sensor on their container whose cutoff has passed and that were not checked."""
    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    # One correlated EXISTS, not an OR per device: its size does not grow with the number of sensors.
    watched = Device.objects.filter(
        active=True,
        location_id=OuterRef("location_id"),
        waste_stream=OuterRef("waste_stream"),
        container=OuterRef("container"),
    )
    visits = Pickup.objects.filter(
        Exists(watched),
        plan__isnull=False,
        status=Pickup.Status.SCHEDULED,
        sensor_checked_at__isnull=True,
        service_date__gte=today - dt.timedelta(days=1),
        service_date__lte=today + dt.timedelta(days=2),
    ).select_related("location")
    return [visit.pk for visit in visits if skip_cutoff(visit) <= now]


def check_skip(*, pickup_id: int, now: dt.datetime | None = None) -> bool:
    """Skip one visit if its bin was nearly empty at the cutoff; record that it was checked either way."""
    now = now or timezone.now()
    with transaction.atomic():
        pickup = dispatch.locked_pickup(pickup_id)
        if pickup.status != Pickup.Status.SCHEDULED or pickup.sensor_checked_at is not None:
            return False
        device = _device_for_visit(pickup)
        cutoff = skip_cutoff(pickup)
        if device is None or cutoff > now:
            return False
        Pickup.objects.filter(pk=pickup.pk).update(sensor_checked_at=now)
        reading = device.readings.filter(measured_at__lte=cutoff).order_by("-measured_at").first()
        # Only a recent reading can speak for the bin: one older than two days says nothing about it now.
        if reading is None or reading.measured_at < cutoff - dt.timedelta(days=2):
            return False
        if reading.fill_percent >= device.skip_below_percent:
            return False
        transition(
            pickup,
            Pickup.Status.SKIPPED,
            reason=f"Sensor {device.serial}: {reading.fill_percent}% full at the cutoff",
            fields={"device": device},
        )
        routes.day_changed(pickup)
        enqueue("marketplace.notify", "pickup_skipped_empty", pickup.pk)
        enqueue("marketplace.notify", "job_skipped_empty", pickup.pk)
    return True


def skip_empty_visits(*, now: dt.datetime | None = None) -> int:
    """The sweep: check every visit whose cutoff has come."""
    return sum(check_skip(pickup_id=pickup_id, now=now) for pickup_id in skip_candidates(now=now))


def savings_of(*, customer: Customer) -> dict:
    """Visits the business's sensors avoided, and the truck-km, fuel and CO2 that saved (estimates)."""
    skipped = Pickup.objects.filter(customer=customer, status=Pickup.Status.SKIPPED, device__isnull=False).count()
    km = skipped * KM_PER_SKIPPED_VISIT
    litres = km * DIESEL_LITRES_PER_KM
    return {
        "visits_avoided": skipped,
        "truck_km": round(km, 1),
        "diesel_litres": round(litres, 1),
        "co2_kg": round(litres * CO2_KG_PER_DIESEL_LITRE, 1),
    }
