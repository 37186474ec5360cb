"""Simulated bin sensors, so the demo shows both bin rules end to end.

For the demo business (and any location that already has a sensor) it registers sensors where
missing and writes a reading every two hours for the last `days` days through the same ingest
the sensors' API uses. A bin fills through its business's opening hours (busier on Friday and
Saturday, next to nothing overnight) and drops to near empty after each completed pickup of its
container there, or, with no pickups on record, on the old hauler's weekly round.

Two bins are arranged to trigger the rules: an auto-booking trash bin is full now (the collect
rule books and offers a pickup), and a bin on a weekly plan stays nearly empty until its next
visit's cutoff (the skip rule skips that visit). Everything random comes from one seeded
generator per sensor, and readings sit on a fixed two-hour grid, so a rerun writes nothing new.
"""

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from core.catalog import Container, WasteStream
from customers.models import Customer, ServiceLocation
from marketplace import bins, dispatch, plans, scheduling, services
from marketplace.demo import market
from marketplace.demo.city_seed import CITY_NAME
from marketplace.models import Frequency, Offer, Pickup, ServicePlan
from sensors import services as sensor_services
from sensors.models import Device

STEP = dt.timedelta(hours=2)
BATCH = 500
EMPTIED_AT = dt.time(7, 0)  # the old hauler's round comes before opening
# A café: how much waste each local hour makes, relative to the others (closed overnight).
HOURLY = [0, 0, 0, 0, 0, 0, 0.2, 0.6, 0.9, 0.8, 0.8, 1.2, 1.6, 1.3, 0.8, 0.6, 0.7, 0.9, 0.8, 0.5, 0.2, 0.1, 0, 0]
# Monday .. Sunday: busier at the end of the week, quiet on Sunday.
WEEKDAY = [0.85, 0.9, 0.95, 1.0, 1.35, 1.45, 0.6]
AVERAGE_DAY = sum(HOURLY) * sum(WEEKDAY) / 7
MAX_RATE = 45.0  # percent per average day: beyond it a bin cannot be filled by one café
FULL_TARGET_ABOVE = 8  # the full bin ends this far above its collect threshold
NEARLY_EMPTY = 20  # the plan bin's fill at its next visit's cutoff
PERIOD_DAYS = 7
MAX_DAYS = sensor_services.MAX_AGE.days


@dataclass(frozen=True)
class Bin:
    """A simulated sensor's container and rules, and the role it plays in the demo."""

    waste_stream: str
    container: str
    collect_at_percent: int = 80
    auto_book: bool = False
    skip_below_percent: int = 30
    role: str = ""  # "full": ends above its collect threshold; "plan": on a weekly plan, nearly empty


# The business's first location gets the two arranged bins and a regular one; any other gets one regular bin.
FIRST_LOCATION_BINS = [
    Bin(WasteStream.TRASH, Container.DUMPSTER_4_YD, auto_book=True, role="full"),
    Bin(WasteStream.CARDBOARD, Container.DUMPSTER_2_YD, role="plan"),
    Bin(WasteStream.RECYCLING, Container.CART_96_GAL),
]
OTHER_LOCATION_BINS = [Bin(WasteStream.TRASH, Container.DUMPSTER_6_YD)]


def serial_for(location: ServiceLocation, waste_stream: str) -> str:
    return f"SIM-{location.pk}-{waste_stream}"


def demo_business() -> Customer | None:
    return Customer.objects.filter(name=market.BUSINESS_NAME).first()


# --- The fill model: pure functions over a grid of times -------------------------------------


def grid(*, now: dt.datetime, days: int) -> list[dt.datetime]:
    """Every two hours on even UTC hours, oldest first, ending at or before now."""
    now = now.astimezone(dt.UTC)
    end = now.replace(hour=now.hour - now.hour % 2, minute=0, second=0, microsecond=0)
    count = days * 24 // 2
    return [end - STEP * index for index in range(count - 1, -1, -1)]


def activity(start: dt.datetime, end: dt.datetime, tz: ZoneInfo, busy: dict[dt.date, float]) -> float:
    """How much waste a business makes between two times, in average days."""
    total, hour = 0.0, start
    while hour < end:
        local = hour.astimezone(tz)
        total += HOURLY[local.hour] * WEEKDAY[local.weekday()] * busy.get(local.date(), 1.0)
        hour += dt.timedelta(hours=1)
    return total / AVERAGE_DAY


def cadence(*, start: dt.datetime, end: dt.datetime, tz: ZoneInfo, last: dt.date) -> list[dt.datetime]:
    """The old hauler's weekly round: the mornings PERIOD_DAYS apart up to `last`, within [start, end]."""
    times, day = [], last
    while True:
        moment = scheduling.at_local(day, EMPTIED_AT, tz.key)
        if moment < start:
            return sorted(times)
        if moment <= end:
            times.append(moment)
        day -= dt.timedelta(days=PERIOD_DAYS)


@dataclass
class Series:
    times: list[dt.datetime]
    fills: list[int]
    batteries: list[int]
    temperatures: list[Decimal]


def fill_series(
    *,
    times: list[dt.datetime],
    emptied: list[dt.datetime],
    tz: ZoneInfo,
    rng: random.Random,
    rate: float | None = None,
    target: tuple[dt.datetime, float] | None = None,
) -> Series:
    """Fill levels on the grid: rising with activity, near 0 after each emptying, capped at 100.

    Give `rate` (percent per average day), or `target` (a time and the level wanted then): the rate is
    then whatever reaches that level from the emptying before it.
    """
    warm_up = times[0] - dt.timedelta(days=PERIOD_DAYS)
    first_day, last_day = warm_up.astimezone(tz).date(), times[-1].astimezone(tz).date()
    busy = {
        first_day + dt.timedelta(days=offset): rng.uniform(0.85, 1.15)
        for offset in range((last_day - first_day).days + 1)
    }
    residues = {moment: rng.uniform(0, 3) for moment in emptied}
    steps = [warm_up, *times]
    # Each step: the activity since the previous reading, and the emptying inside it (if any).
    increments, resets = [], []
    for before, after in itertools.pairwise(steps):
        inside = [moment for moment in emptied if before < moment <= after]
        if inside:
            increments.append(activity(inside[-1], after, tz, busy))
            resets.append(residues[inside[-1]])
        else:
            increments.append(activity(before, after, tz, busy))
            resets.append(None)
    level = rng.uniform(5, 25)  # before the first emptying seen
    if target is not None:
        moment, wanted = target
        upto = max((index for index, time in enumerate(times) if time <= moment), default=len(times) - 1)
        since = max((index for index in range(upto + 1) if resets[index] is not None), default=0)
        start_level = resets[since] if resets[since] is not None else level
        made = sum(increments[since : upto + 1])
        rate = min(MAX_RATE, max(0.0, wanted - start_level) / made) if made > 0 else MAX_RATE
    rate = rate if rate is not None else 10.0
    battery = rng.uniform(88, 99)
    fills, batteries, temperatures = [], [], []
    for index, time in enumerate(times):
        if resets[index] is not None:
            level = resets[index]
        level = min(100.0, level + rate * increments[index])
        fills.append(max(0, min(100, round(level + rng.gauss(0, 0.8)))))
        battery -= 0.008  # about 3 points a month
        batteries.append(round(battery))
        local = time.astimezone(tz)
        daily = 6 * math.cos((local.hour - 15) / 24 * 2 * math.pi)  # warmest mid-afternoon
        temperatures.append(Decimal(f"{20 + daily + rng.gauss(0, 0.6):.1f}"))
    return Series(times=times, fills=fills, batteries=batteries, temperatures=temperatures)


# --- The demo world ---------------------------------------------------------------------------


def _ensure_device(location: ServiceLocation, spec: Bin) -> tuple[Device, bool]:
    device = Device.objects.filter(serial=serial_for(location, spec.waste_stream)).first()
    if device is not None:
        return device, False
    device, _token = sensor_services.register_device(
        location=location,
        serial=serial_for(location, spec.waste_stream),
        waste_stream=spec.waste_stream,
        container=spec.container,
        collect_at_percent=spec.collect_at_percent,
        auto_book=spec.auto_book,
        skip_below_percent=spec.skip_below_percent,
        by=None,
    )
    return device, True


def _hauler_user(hauler):
    membership = hauler.memberships.filter(user__isnull=False).order_by("-role", "pk").first()
    return membership.user if membership is not None else None


def _ensure_plan(*, customer: Customer, device: Device, now: dt.datetime) -> ServicePlan | None:
    """A weekly plan for the device's container, starting tomorrow, taken by the hauler it was offered to."""
    location = device.location
    plan = (
        ServicePlan.objects.filter(
            location=location,
            waste_stream=device.waste_stream,
            container=device.container,
            status__in=[ServicePlan.Status.PENDING, ServicePlan.Status.ACTIVE],
        )
        .order_by("pk")
        .first()
    )
    today = scheduling.local_today(location.timezone, now=now)
    if plan is None:
        start = today + dt.timedelta(days=1)
        try:
            quote = services.create_quote(
                customer=customer,
                location=location,
                waste_stream=device.waste_stream,
                container=device.container,
                quantity=1,
                service_date=start,
                frequency=Frequency.WEEKLY,
                weekdays=plans.weekday_mask([start.weekday()]),
            )
        except services.NoHaulerAvailable:
            return None
        plan = plans.book_plan(quote=quote, customer=customer)
    if plan.status == ServicePlan.Status.PENDING:
        first = plan.visits.order_by("service_date", "pk").first()
        # Tasks may run after commit (tests, a worker): offer it here too; a second dispatch does nothing.
        dispatch.dispatch_pickup(pickup_id=first.pk)
        offer = first.offers.filter(status=Offer.Status.PENDING).select_related("hauler").order_by("pk").first()
        if offer is None:
            return plan
        dispatch.accept_offer(offer_id=offer.pk, hauler=offer.hauler, by=_hauler_user(offer.hauler))
        plan.refresh_from_db()
    plans.generate_visits(plan_id=plan.pk, today=today)
    return plan


def _next_visit(plan: ServicePlan | None, now: dt.datetime) -> Pickup | None:
    if plan is None or plan.status != ServicePlan.Status.ACTIVE:
        return None
    today = scheduling.local_today(plan.location.timezone, now=now)
    return plan.visits.filter(service_date__gte=today).select_related("location").order_by("service_date", "pk").first()


def _completed_pickups(device: Device, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    return sorted(
        bins.pickups_of(device)
        .filter(status=Pickup.Status.COMPLETED, completed_at__gt=start, completed_at__lte=end)
        .values_list("completed_at", flat=True)
    )


def series_for(
    *, device: Device, spec: Bin, now: dt.datetime, days: int, seed: int, cutoff: dt.datetime | None = None
) -> Series:
    """The device's readings for the last `days` days, as its role wants them to end."""
    rng = random.Random(f"{seed}:{device.serial}")
    tz = ZoneInfo(device.location.timezone)
    times = grid(now=now, days=days)
    today = now.astimezone(tz).date()
    warm_up = times[0] - dt.timedelta(days=PERIOD_DAYS)
    emptied = _completed_pickups(device, warm_up, times[-1])
    if spec.role == "full":
        # Emptied four days ago, and full again now: the weekly round is not enough for this bin.
        emptied = emptied or cadence(start=warm_up, end=times[-1], tz=tz, last=today - dt.timedelta(days=4))
        target = (times[-1], min(100, device.collect_at_percent + FULL_TARGET_ABOVE))
        return fill_series(times=times, emptied=emptied, tz=tz, rng=rng, target=target)
    if spec.role == "plan":
        until = min(cutoff, times[-1]) if cutoff is not None else times[-1]
        last = until.astimezone(tz).date() - dt.timedelta(days=5)
        emptied = emptied or cadence(start=warm_up, end=times[-1], tz=tz, last=last)
        target = (until, min(NEARLY_EMPTY, max(0, device.skip_below_percent - 10)))
        return fill_series(times=times, emptied=emptied, tz=tz, rng=rng, target=target)
    # A regular bin peaks at 55-75% of its collect threshold before the weekly round.
    rate = rng.uniform(0.55, 0.75) * device.collect_at_percent / PERIOD_DAYS
    last = today - dt.timedelta(days=rng.randrange(PERIOD_DAYS))
    emptied = emptied or cadence(start=warm_up, end=times[-1], tz=tz, last=last)
    return fill_series(times=times, emptied=emptied, tz=tz, rng=rng, rate=rate)


def _write(device: Device, series: Series, now: dt.datetime) -> tuple[int, int]:
    """Ingest the series as the sensor would post it; returns (stored, already stored)."""
    items = [
        {"measured_at": time, "fill_percent": fill, "battery_percent": battery, "temperature_c": temperature}
        for time, fill, battery, temperature in zip(
            series.times, series.fills, series.batteries, series.temperatures, strict=True
        )
    ]
    stored = known = 0
    # Newest batch first: the rules look at the latest reading, which must never be an old one.
    for end in range(len(items), 0, -BATCH):
        result = sensor_services.ingest(device=device, items=items[max(0, end - BATCH) : end], now=now)
        if result.errors:
            raise ValueError(f"Sensor {device.serial}: simulated readings refused: {result.errors}")
        stored, known = stored + result.accepted, known + result.duplicates
    return stored, known


def simulate(
    *, days: int = 30, now: dt.datetime | None = None, seed: int = 2026, customer: Customer | None = None
) -> dict:
    """Sensors and readings for the demo business (or `customer`) and every other sensor but the simulated city's,
    then both rules; counts."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"Simulate 1 to {MAX_DAYS} days: older readings are refused.")
    now = now or timezone.now()
    customer = customer or demo_business()
    specs: dict[int, Bin] = {}
    registered = 0
    if customer is not None:
        locations = customer.locations.filter(archived_at__isnull=True).order_by("pk")
        for index, location in enumerate(locations):
            for spec in FIRST_LOCATION_BINS if index == 0 else OTHER_LOCATION_BINS:
                device, created = _ensure_device(location, spec)
                specs[device.pk] = spec
                registered += created
    # The simulated city's bins have readings of their own (seed_city): weeks of a plain bin's would bury them.
    devices = list(
        Device.objects.filter(active=True, location__archived_at__isnull=True)
        .exclude(location__customer__name=CITY_NAME)
        .select_related("location")
        .order_by("pk")
    )
    booked_before = Pickup.objects.filter(device__in=devices, plan__isnull=True).count()

    visit = None
    for device in devices:
        spec = specs.get(device.pk)
        if spec is not None and spec.role == "plan":
            visit = _next_visit(_ensure_plan(customer=customer, device=device, now=now), now)

    stored = known = 0
    for device in devices:
        # A sensor the business added itself fills like a regular bin.
        spec = specs.get(device.pk) or Bin(device.waste_stream, device.container)
        cutoff = bins.skip_cutoff(visit) if visit is not None and spec.role == "plan" else None
        series = series_for(device=device, spec=spec, now=now, days=days, seed=seed, cutoff=cutoff)
        accepted, duplicates = _write(device, series, now)
        stored, known = stored + accepted, known + duplicates

    # What the sensor API's task does after a batch, so the business and the hauler are told.
    outcomes = {device.serial: bins.evaluate_device(device_id=device.pk) for device in devices}
    skipped = 0
    if visit is not None and visit.status == Pickup.Status.SCHEDULED:
        cutoff = bins.skip_cutoff(visit)
        if cutoff <= now:
            skipped = bins.skip_empty_visits(now=now)
        elif cutoff - now <= dt.timedelta(days=1):
            # The cutoff is still ahead (later today, or tonight): check this visit as the sweep will just after
            # it, so the demo shows the skip now. Only this one: other sensors may yet report before their cutoff.
            skipped = int(bins.check_skip(pickup_id=visit.pk, now=cutoff + dt.timedelta(minutes=1)))
    return {
        "devices": len(devices),
        "devices_registered": registered,
        "readings": stored,
        "readings_already_stored": known,
        "pickups_booked": Pickup.objects.filter(device__in=devices, plan__isnull=True).count() - booked_before,
        "visits_skipped": skipped,
        "evaluations": outcomes,
    }
