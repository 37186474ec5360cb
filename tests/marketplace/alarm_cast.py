"""A small cast for the alarm tests: a fixed morning, bins with readings, visits due and done."""

import datetime as dt

from marketplace.models import Pickup, ServiceProof
from sensors import state
from sensors.models import Alarm, Device, Reading, hash_token
from tests import factories

# Friday 9:00 AM in Austin (CDT, UTC-5).
NOW = dt.datetime(2026, 5, 1, 14, 0, tzinfo=dt.UTC)
K = Alarm.Kind


def device_at(location, serial: str, **fields) -> Device:
    return Device.objects.create(
        serial=serial,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        token_hash=hash_token(serial),
        token_hint="abcd",
        **fields,
    )


def readings(device, *rows):
    """Readings (hours before NOW, fill), then the row's state as ingest and the refresh leave it."""
    Reading.objects.bulk_create(
        [Reading(device=device, measured_at=NOW - dt.timedelta(hours=hours), fill_percent=fill) for hours, fill in rows]
    )
    state.refresh([device.pk], now=NOW)


def open_alarms(device=None) -> dict[str, Alarm]:
    found = Alarm.objects.filter(closed_at__isnull=True)
    if device is not None:
        found = found.filter(device=device)
    return {alarm.kind: alarm for alarm in found}


def visit(location, days: int, status=Pickup.Status.SCHEDULED, **fields) -> Pickup:
    return factories.PickupFactory(
        location=location,
        container="dumpster_4yd",
        service_date=(NOW + dt.timedelta(days=days)).date(),
        status=status,
        **fields,
    )


def completed_visit(location, hours_ago: float, *, proof: bool = True) -> Pickup:
    done = NOW - dt.timedelta(hours=hours_ago)
    pickup = visit(location, 0, Pickup.Status.COMPLETED, completed_at=done)
    if proof:
        ServiceProof.objects.create(pickup=pickup, photo="proof/bin.jpg", serviced_at=done)
    return pickup
