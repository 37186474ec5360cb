"""Bins for the operations map's tests: locations across Austin's ZIPs, devices with their state on the row.

The map reads only the device row (sensors/state.py keeps it), so most bins need no readings; `fill_history`
writes two weeks of readings for the few whose chart a test opens.
"""

import datetime as dt
import random
from decimal import Decimal

from core import geo
from customers.models import Customer, ServiceLocation
from sensors.models import Device, Reading, hash_token
from tests import factories

AUSTIN_ZIPS = ["78701", "78702", "78703", "78704", "78705", "78721", "78722", "78723", "78741", "78745", "78751"]
STREAMS = ["trash", "recycling", "cardboard", "organics"]


def place(
    customer: Customer, *, zip_code: str, name: str, city: str = "Austin", state: str = "TX", spread: bool = False
) -> ServiceLocation:
    """A location at the ZIP's centre, or (spread) a step off it fixed by its name, up to about 1.5 km."""
    info = geo.lookup(zip_code)
    shift = random.Random(name)
    north, east = (Decimal(round(shift.uniform(-0.014, 0.014), 6)) for _ in range(2)) if spread else (0, 0)
    return ServiceLocation(
        customer=customer,
        name=name,
        street=f"{shift.randint(100, 9999)} Main St",
        city=city,
        state=state,
        zip_code=zip_code,
        latitude=info.latitude + north,
        longitude=info.longitude + east,
        timezone=info.timezone,
    )


def seed_bins(
    count: int,
    *,
    now: dt.datetime,
    customer: Customer | None = None,
    zips: list[str] = AUSTIN_ZIPS,
    city: str = "Austin",
    state: str = "TX",
    prefix: str = "OPS",
) -> list[Device]:
    """`count` bins, one a location, with fills from 0 to 100%, rates and forecasts; one in eleven is silent."""
    customer = customer or factories.CustomerFactory()
    locations = ServiceLocation.objects.bulk_create(
        place(customer, zip_code=zips[n % len(zips)], name=f"{prefix} site {n}", city=city, state=state, spread=True)
        for n in range(count)
    )
    devices = []
    for n, location in enumerate(locations):
        fill = (n * 37) % 101
        rate = 5 + n % 11
        silent = n % 11 == 10
        devices.append(
            Device(
                serial=f"{prefix}-{customer.pk}-{n:05d}",
                location=location,
                waste_stream=STREAMS[n % len(STREAMS)],
                container="dumpster_4yd",
                token_hash=hash_token(f"{prefix}-{customer.pk}-{n}"),
                token_hint=f"{n:04d}",
                last_reading_at=now - (dt.timedelta(hours=5) if silent else dt.timedelta(minutes=10)),
                last_fill_percent=fill,
                last_battery_percent=80,
                fill_rate_per_day=float(rate),
                full_at=now + dt.timedelta(days=(100 - fill) / rate),
            )
        )
    return Device.objects.bulk_create(devices)


def fill_history(device: Device, *, now: dt.datetime, days: int = 14, every: dt.timedelta = dt.timedelta(hours=2)):
    """Readings up to now, rising 10 points a day from 5% and emptied every four days; the row keeps the last."""
    start, cycle = now - dt.timedelta(days=days), dt.timedelta(days=4)
    readings = []
    for step in range(int(dt.timedelta(days=days) / every) + 1):
        at = start + every * step
        fill = 5 + round(10 * ((at - start) % cycle) / dt.timedelta(days=1))
        readings.append(Reading(device=device, measured_at=at, fill_percent=fill, battery_percent=80))
    Reading.objects.bulk_create(readings)
    last = readings[-1]
    Device.objects.filter(pk=device.pk).update(last_reading_at=last.measured_at, last_fill_percent=last.fill_percent)
    device.refresh_from_db()
    return readings
