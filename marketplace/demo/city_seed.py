"""The simulated city in the demo: its 1,000 bins as one business's sites, devices and their last days of readings.

`manage.py seed_city` (and seed_demo) writes marketplace/demo/city.py's city as the business CITY_NAME: one
service location and one device per bin (compactors as compacting bins), and the readings its sensors sent
over the last READING_DAYS days, simulated under today's threshold rules up to the current hour. A few
devices are given trouble so the operations map has live alarms: some stopped reporting, some batteries
are running out, one bin is very hot and one was knocked over. Then each device's state is refreshed on its
row (sensors/state.py) and the alarm rules run (marketplace/alarms.py). The city's team watches the map, so
its owner gets alarm notices in the app only, not by email.

Safe to run again: rows are found by their natural keys (the business's name, a device's serial) and
readings are unique per device and time, so a rerun adds only the hours since the last one. Readings are
bulk-written: a few days of a thousand sensors take seconds on SQLite.
"""

import datetime as dt
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone

from core import geo
from customers.models import Customer, ServiceLocation
from customers.services import create_customer
from marketplace import alarms, notifications
from marketplace.demo import city as city_model
from marketplace.demo import city_policies
from marketplace.demo.seed import _user
from sensors import state
from sensors.models import Device, Reading, hash_token, new_token

CITY_NAME = "City of Austin Smart Bins"
CITY_EMAIL = "city@haulmatch.demo"
CITY_PASSWORD = "haulmatch-demo"
READING_DAYS = 3
SIMULATED_DAYS = 14  # after the warm-up: enough for every bin to have been emptied under the rules
BATCH = 2_000
STREETS = (
    "Congress Ave", "N Lamar Blvd", "Guadalupe St", "Burnet Rd", "Cameron Rd", "E Riverside Dr", "W Oltorf St",
    "William Cannon Dr", "Slaughter Ln", "W Parmer Ln", "Anderson Ln", "Airport Blvd", "Manor Rd",
    "E Martin Luther King Jr Blvd", "E Cesar Chavez St", "Ben White Blvd", "Stassney Ln", "Braker Ln",
    "Rundberg Ln", "Koenig Ln",
)  # fmt: skip
SITE_NAMES = {"restaurant": "Restaurant", "office": "Office", "shop": "Shop", "grocery": "Grocery",
              "apartments": "Apartments", "street": "Street bin"}  # fmt: skip
OFFLINE_SHARE, LOW_BATTERY_SHARE = 0.015, 0.015
HOT_BIN, TIPPED_BIN = 17, 423  # the bins (by index) with a fire and a tilt in their latest reading


def _location_name(item: city_model.Bin) -> str:
    return f"{SITE_NAMES[item.site]} {item.index + 1:04d}"


def _customer() -> Customer:
    customer = Customer.objects.filter(name=CITY_NAME).first()
    if customer is not None:
        return customer
    owner = _user(email=CITY_EMAIL, full_name="Austin Solid Waste Operations", password=CITY_PASSWORD)
    customer = create_customer(owner=owner, name=CITY_NAME, phone="+15125550311")
    alarm_kinds = {kind for kind in notifications.PREFERENCE_KINDS if kind.startswith("alarm_")}
    notifications.set_email_preferences(user=owner, muted_kinds=alarm_kinds)
    return customer


def _devices(customer: Customer, city: list[city_model.Bin]) -> dict[int, Device]:
    """One location and one device per bin, made where missing (two bulk writes)."""
    have = {loc.name: loc for loc in ServiceLocation.objects.filter(customer=customer)}
    new_locations = []
    for item in city:
        if _location_name(item) in have:
            continue
        info = geo.lookup(item.zip_code)
        new_locations.append(
            ServiceLocation(
                customer=customer,
                name=_location_name(item),
                street=f"{100 + item.index * 37 % 8900} {STREETS[item.index % len(STREETS)]}",
                city=info.city.title(),
                state=info.state,
                zip_code=item.zip_code,
                latitude=Decimal(f"{item.lat:.6f}"),
                longitude=Decimal(f"{item.lng:.6f}"),
                timezone=info.timezone,
            )
        )
    ServiceLocation.objects.bulk_create(new_locations, batch_size=BATCH)
    locations = {loc.name: loc for loc in ServiceLocation.objects.filter(customer=customer)}
    existing = {device.serial: device for device in Device.objects.filter(serial__startswith="CITY-")}
    new_devices = []
    for item in city:
        if item.serial in existing:
            continue
        token = new_token()
        new_devices.append(
            Device(
                serial=item.serial,
                external_id=f"austin-{item.serial.lower()}",
                model="compactor-v1" if item.compactor else "ultrasonic-fill-v1",
                kind=Device.Kind.COMPACTOR if item.compactor else Device.Kind.BIN,
                capacity_multiplier=item.multiplier,
                reporting_interval_minutes=item.interval_h * 60,
                location=locations[_location_name(item)],
                waste_stream=item.waste_stream,
                container=item.container,
                token_hash=hash_token(token),
                token_hint=token[-4:],
                collect_at_percent=item.mark,
                skip_below_percent=item.skip_below,
            )
        )
    Device.objects.bulk_create(new_devices, batch_size=BATCH)
    by_serial = {device.serial: device for device in Device.objects.filter(serial__startswith="CITY-")}
    return {item.index: by_serial[item.serial] for item in city}


def _simulated(city: list[city_model.Bin], *, now: dt.datetime) -> tuple[city_policies.Sensors, dt.timedelta]:
    """Every reading of the simulated weeks, and how far to move them so the last simulated day is today."""
    today = now.astimezone(city_model.TZ).date()
    first = (city_model.START - dt.timedelta(days=city_model.WARM_UP_DAYS)).date()
    days = city_model.WARM_UP_DAYS + SIMULATED_DAYS
    # Whole weeks only, so the simulated weekdays (busy Fridays, quiet Sundays) fall on the real ones.
    days += (today.weekday() - (first + dt.timedelta(days=days - 1)).weekday()) % 7
    increments = city_model.fill_increments(city, days=days)
    noise = city_model.sensor_noise(city, days=days)
    sensors = city_policies.Sensors(len(city))
    city_policies.simulate("threshold", city, increments, noise, route=False, sensors=sensors)
    return sensors, today - (first + dt.timedelta(days=days - 1))


def _readings(city, devices, sensors, shift, *, now: dt.datetime) -> list[Reading]:
    rng = np.random.default_rng([city_model.SEED, 4])
    since = now - dt.timedelta(days=READING_DAYS)
    rows = []
    for item in city:
        device = devices[item.index]
        silent_for = dt.timedelta(hours=int(rng.integers(6, 30))) if rng.random() < OFFLINE_SHARE else None
        low = rng.random() < LOW_BATTERY_SHARE
        battery, drain = (rng.uniform(9, 14), 0.05) if low else (rng.uniform(45, 99), rng.uniform(0.003, 0.01))
        times, values = sensors.times[item.index], sensors.values[item.index]
        start = np.searchsorted(np.array(times, dtype=object), since - shift) if times else 0
        for at, fill in zip(times[start:], values[start:], strict=True):
            moment = at + shift
            if moment > now or (silent_for is not None and moment > now - silent_for):
                continue
            hours = (moment - since).total_seconds() / 3600
            rows.append(
                Reading(
                    device=device,
                    fill_percent=fill,
                    measured_at=moment,
                    battery_percent=max(0, round(battery - drain * hours)),
                    temperature_c=Decimal(f"{21 + 6 * np.cos((moment.hour - 15) / 24 * 2 * np.pi):.1f}"),
                )
            )
    _trouble(rows, devices)
    return rows


def _trouble(rows: list[Reading], devices: dict[int, Device]) -> None:
    """One bin very hot and one tipped over, in their latest readings (a fire and a knocked-over bin)."""
    latest: dict[int, Reading] = {}
    for reading in rows:
        if reading.device.pk not in latest or reading.measured_at > latest[reading.device.pk].measured_at:
            latest[reading.device.pk] = reading
    hot, tipped = devices.get(HOT_BIN), devices.get(TIPPED_BIN)
    if hot is not None and hot.pk in latest:
        latest[hot.pk].temperature_c = Decimal("78.5")
    if tipped is not None and tipped.pk in latest:
        latest[tipped.pk].tilt_degrees = 95


def seed_city(*, now: dt.datetime | None = None, bins: int = city_model.BINS) -> dict:
    """Write the simulated city into the demo (idempotent) and return what was made."""
    now = (now or timezone.now()).replace(minute=0, second=0, microsecond=0)
    city = city_model.make_city(bins=bins)
    with transaction.atomic():
        customer = _customer()
        devices = _devices(customer, city)
    sensors, shift = _simulated(city, now=now)
    rows = _readings(city, devices, sensors, shift, now=now)
    before = Reading.objects.filter(device__serial__startswith="CITY-").count()
    Reading.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
    added = Reading.objects.filter(device__serial__startswith="CITY-").count() - before
    ids = [device.pk for device in devices.values()]
    state.refresh(ids, now=now)
    opened = alarms.check(device_ids=ids, now=now)
    return {"city_bins": len(devices), "city_readings_added": added, "city_alarms_opened": len(opened)}
