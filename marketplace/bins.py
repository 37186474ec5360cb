"""What the market does with fill levels: collect bins before they overflow, skip visits they can wait past.

The rules are sensors/rules.py's pure functions (the city simulation in marketplace/demo/city.py runs the
same ones); each device configures them: collect_at_percent is its mark, skip_below_percent the fallback's
skip level, auto_book whether a collection is booked or only suggested, use_forecast whether the forecast
rules apply. The forecast is the fit kept on the device row (sensors/state.py, refreshed here first): a line
through the readings since the last emptying on the bin's weekday clock (its own weekday profile of rises
over four weeks), with the spread of the readings around it.

- Collect on forecast (use_forecast): a collection is booked (auto_book) or suggested for the coming day
  (the first bookable date on which a hauler works: the hauler of the bin's next visit, when it has one,
  else the best-ranked one) when the bin is at its mark, or when the forecast says it would pass its safe
  level (100% less a margin of twice the forecast's spread, at least 5 points) before it would otherwise be
  emptied: by its next visit, or sooner, the hauler's working day after the coming one. A bin that can
  safely wait for that day waits, so it is emptied nearly full rather than as soon as it is forecast to
  reach the mark. The day is chosen with the route in mind: a bin that must be collected within the
  hauler's next DAY_CHOICE_DAYS working days (its deadline, rules.collect_by) but could wait past the
  coming one is booked for the coming day all the same when it is at its mark by then and its stop adds no
  more than EARLY_KM to that day's route (inserted between the two nearest of the hauler's yard and the
  pickups it holds that day, insertion_km: straight lines times ROUTING_CIRCUITY), rather than driven to
  alone a day later; it costs two queries more (the yard, the day's pickups), whatever the fleet.
  Booking always names the coming day, the date the business and the hauler are told; it goes through
  create_quote / book_quote as any booking does, and the hauler's day re-plans its route when the offer
  is accepted. Never a second pickup: nothing is booked while an open pickup of that container falls on
  or before that day.
- Skip on forecast (use_forecast): a scheduled plan visit is skipped, at its cutoff (16:00 local the day
  before, ahead of the 17:00 reminders), when the forecast from the readings up to the cutoff says the bin
  will still be under its mark at the end of the visit after it, so skipping cannot make it overflow.
- The thresholds are the fallback (use_forecast off, too few readings since the last emptying to fit, or no
  visit after the one to skip): collect when the latest reading is at the mark; skip a visit when the last
  reading before its cutoff is under skip_below_percent.
- Either way the business and the hauler are told, with the figures that decided it; a skipped visit is
  never charged. Only a reading from the last two days before the cutoff can speak for the bin.
- Savings: each skipped visit is a truck stop not driven; the factors below turn that into km,
  fuel and CO2, as estimates.
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.enqueue import enqueue
from core.errors import Conflict
from core.transitions import transition
from customers.models import Customer
from haulers.models import Hauler
from marketplace import dispatch, matching, routes, scheduling, services
from marketplace.models import Pickup
from routing.distance import haversine_m
from routing.problem import Place
from sensors import forecast, rules, state
from sensors.models import Device, Reading

SKIP_CUTOFF_LOCAL = dt.time(16, 0)
OPEN = (Pickup.Status.REQUESTED, Pickup.Status.OFFERED, Pickup.Status.SCHEDULED, Pickup.Status.UNMATCHED)
# A skipped stop saves the detour to it and back onto the route: 8 km is a typical urban figure.
KM_PER_SKIPPED_VISIT = 8.0
# A refuse truck in stop-and-go service burns about 0.9 litres of diesel a km; diesel emits 2.68 kg CO2 a litre.
DIESEL_LITRES_PER_KM = 0.9
CO2_KG_PER_DIESEL_LITRE = 2.68
# How far ahead the collect rule looks for a day a hauler works (a hauler working one day a week is seen).
BOOKING_LOOKAHEAD_DAYS = 7
# The collect rule's choice of day: the coming working day and the ones after it, this many in all. A bin
# due within them that could wait is collected on the coming day when it is at its mark by then and its
# stop adds no more than EARLY_KM to that day's route (a block or two from a stop already booked).
DAY_CHOICE_DAYS = 3
EARLY_KM = 1.0
# The forecast fits the readings of this many days before the moment it speaks for (as sensors/state.py).
FORECAST_DAYS = state.FILL_DAYS
# Only a reading this recent can speak for the bin at a cutoff.
STALE_AFTER = dt.timedelta(days=2)


def latest_reading(device: Device) -> Reading | None:
    return device.readings.order_by("-measured_at").first()


def pickups_of(device: Device) -> QuerySet[Pickup]:
    """The pickups of the container a device watches: same location, stream and container."""
    return Pickup.objects.filter(
        location_id=device.location_id, waste_stream=device.waste_stream, container=device.container
    )


def _open_pickup(device: Device, today: dt.date) -> Pickup | None:
    return pickups_of(device).filter(status__in=OPEN, service_date__gte=today).order_by("service_date").first()


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


def _window_end(day: dt.date, tz_name: str, end: dt.time | None = None) -> dt.datetime:
    return scheduling.at_local(day, end or scheduling.default_window()[1], tz_name)


def _visit_end(visit: Pickup | None) -> dt.datetime | None:
    return None if visit is None else _window_end(visit.service_date, visit.location.timezone, visit.window_end)


def collection_days(device: Device, *, now: dt.datetime, visit: Pickup | None) -> tuple[int, list[dt.date]] | None:
    """The hauler a collection would go to and its working days from the coming one, DAY_CHOICE_DAYS of them;
    None: no hauler works within the lookahead."""
    first = _first_bookable_date(device, now)
    hauler_id, working_days = (None, None)
    if visit is not None and visit.hauler_id:
        hauler_id, working_days = visit.hauler_id, visit.hauler.working_days
    if hauler_id is None:
        for offset in range(BOOKING_LOOKAHEAD_DAYS):
            day = first + dt.timedelta(days=offset)
            request = matching.Request.at(
                device.location,
                waste_stream=device.waste_stream,
                container=device.container,
                quantity=1,
                service_date=day,
            )
            ranked = matching.ranked_haulers(request)
            if ranked:
                hauler_id = ranked[0].hauler_id
                working_days = Hauler.objects.values_list("working_days", flat=True).get(pk=hauler_id)
                first = day
                break
        else:
            return None
    days = [scheduling.shift_for_holiday(first, working_days=working_days)]
    while len(days) < DAY_CHOICE_DAYS:
        days.append(scheduling.shift_for_holiday(days[-1] + dt.timedelta(days=1), working_days=working_days))
    return hauler_id, days


def insertion_km(here: Place, depot: Place, stops: Sequence[Place]) -> float:
    """The km a stop adds to a day of booked stops: inserted between the two of them nearest it (the yard
    counting as one), on straight lines times ROUTING_CIRCUITY as matching's legs. Only the stops' places
    are needed (not the planned order), so a day not yet routed is judged alike."""
    places = sorted([depot, *stops], key=lambda place: haversine_m(here, place))
    if len(places) == 1:
        return 2 * haversine_m(here, depot) * settings.ROUTING_CIRCUITY / 1000
    first, second = places[:2]
    metres = haversine_m(first, here) + haversine_m(here, second) - haversine_m(first, second)
    return metres * settings.ROUTING_CIRCUITY / 1000


def added_km(device: Device, *, hauler_id: int, day: dt.date) -> float:
    """What collecting the bin on `day` adds to its hauler's route: two queries (the yard, the day's bookings)."""
    depot = Hauler.objects.values_list("depot_latitude", "depot_longitude").get(pk=hauler_id)
    jobs = matching.day_jobs([hauler_id], day, offers=False).get(hauler_id, [])
    here = Place(float(device.location.latitude), float(device.location.longitude))
    return insertion_km(here, Place(float(depot[0]), float(depot[1])), [Place(j.latitude, j.longitude) for j in jobs])


def collect_early(*, deadline: int, ready: bool, km: float | None) -> bool:
    """Collect on the coming day: it is the deadline, or the bin is at its mark by then (`ready`) and its
    stop adds no more than EARLY_KM to that day's route."""
    return deadline == 0 or (ready and km is not None and km <= EARLY_KM)


def outlook_of(device: Device, *, now: dt.datetime) -> rules.Forecast | None:
    """The device's forecast now, from its row once refreshed; None when it has too few readings to fit."""
    state.refresh([device.pk], now=now)
    device.refresh_from_db(
        fields=[
            "last_reading_at",
            "last_fill_percent",
            "fill_rate_per_day",
            "full_at",
            "fill_weekday_factors",
            "fill_spread_percent",
        ]
    )
    return kept_outlook(device)


def kept_outlook(device: Device) -> rules.Forecast | None:
    """The forecast the device row keeps (refreshed after every batch of readings), read as it is: a page's view."""
    return rules.from_state(
        rate=device.fill_rate_per_day,
        full_at=device.full_at,
        last_reading_at=device.last_reading_at,
        last_fill=device.last_fill_percent,
        factors=device.fill_weekday_factors,
        tz=state.local_zone(device.location.timezone),
        spread=device.fill_spread_percent,
    )


def _cycle_start(device: Device, now: dt.datetime) -> Reading | None:
    """The first reading since the bin was last emptied: a forecast suggestion is made once per fill."""
    readings = list(
        device.readings.filter(measured_at__gte=now - dt.timedelta(days=FORECAST_DAYS), measured_at__lte=now).order_by(
            "measured_at"
        )
    )
    emptied = forecast.emptying_indexes([(r.measured_at, r.fill_percent) for r in readings])
    return readings[emptied[-1]] if emptied else (readings[0] if readings else None)


def _due_on_forecast(device: Device, outlook: rules.Forecast, now: dt.datetime) -> tuple[str, dt.date | None]:
    """Whether the forecast rule collects now: ("due", day) or (what happened instead, None); a bin that
    can wait is "not full", whatever it reads."""
    today = scheduling.local_today(device.location.timezone, now=now)
    visit = next_visit(device, after=today)
    mark, tz_name = device.collect_at_percent, device.location.timezone
    # A cheap first look: a bin that will not reach its mark within the lookahead needs no hauler lookup.
    horizon = _window_end(today + dt.timedelta(days=BOOKING_LOOKAHEAD_DAYS + 1), tz_name)
    if not rules.should_collect(outlook=outlook, mark=mark, next_visit_at=_visit_end(visit), next_chance_at=horizon):
        return "not full", None
    found = collection_days(device, now=now, visit=visit)
    if found is None:
        return "no hauler", None
    hauler_id, days = found
    if visit is not None and visit.service_date <= days[0]:
        return "already booked", None
    chances = [_window_end(day, tz_name) for day in days]
    deadline = rules.collect_by(outlook=outlook, mark=mark, chances=chances, next_visit_at=_visit_end(visit))
    if deadline is None:
        return "not full", None
    ready = outlook.level_at(chances[0]) >= mark
    km = added_km(device, hauler_id=hauler_id, day=days[0]) if deadline > 0 and ready else None
    if not collect_early(deadline=deadline, ready=ready, km=km):
        return "not full", None  # it can wait for a day its hauler passes nearer, up to its deadline
    return "due", days[0]


def _book(device: Device, *, day: dt.date, now: dt.datetime, suggestion: Reading, any_open_blocks: bool) -> str:
    """Book the collection for `day` (re-checked under the device's lock); the threshold rule books nothing
    while any pickup of the container is open, the forecast rule nothing while one falls on or before `day`."""
    customer = device.location.customer
    try:
        with transaction.atomic():
            # Lock the device: two batches arriving together must not book twice.
            Device.objects.select_for_update().get(pk=device.pk)
            visit = next_visit(device, after=scheduling.local_today(device.location.timezone, now=now))
            if visit is not None and (any_open_blocks or visit.service_date <= day):
                return "already booked"
            quote = services.create_quote(
                customer=customer,
                location=device.location,
                waste_stream=device.waste_stream,
                container=device.container,
                quantity=1,
                service_date=day,
            )
            pickup = services.book_quote(quote=quote, customer=customer)
            Pickup.objects.filter(pk=pickup.pk).update(device=device)
    except services.NoHaulerAvailable:
        enqueue("marketplace.notify", "bin_full_suggest", suggestion.pk)
        return "no hauler"
    except (ValidationError, Conflict):
        return "not bookable"
    enqueue("marketplace.notify", "bin_full_booked", pickup.pk)
    return "booked"


def evaluate_device(*, device_id: int, now: dt.datetime | None = None) -> str:
    """Apply the collect rule after new readings; returns what happened (for logs and tests)."""
    now = now or timezone.now()
    device = Device.objects.select_related("location", "location__customer").filter(pk=device_id, active=True).first()
    if device is None:
        return "inactive"
    reading = latest_reading(device)
    if reading is None:
        return "not full"
    outlook = outlook_of(device, now=now) if device.use_forecast else None
    if outlook is None:
        # The fallback: today's threshold rule.
        if not rules.collect_on_threshold(level=reading.fill_percent, mark=device.collect_at_percent):
            return "not full"
        if _open_pickup(device, scheduling.local_today(device.location.timezone, now=now)) is not None:
            return "already booked"
        # Placed like a forecast booking: on the first bookable day a hauler works (a full bin on Friday
        # evening is booked for Monday, not refused for the weekend).
        found = collection_days(device, now=now, visit=None)
        day, suggestion = (found[1][0] if found else _first_bookable_date(device, now)), full_since(device)
    else:
        outcome, day = _due_on_forecast(device, outlook, now)
        if day is None:
            if outcome != "no hauler":
                return outcome
            if outlook.level < device.collect_at_percent:
                return "not full"  # no one works within the lookahead, and the bin can wait for them
            enqueue("marketplace.notify", "bin_full_suggest", (full_since(device) or reading).pk)
            return outcome
        # One suggestion per fill: the full spell's first reading, or before it is full the fill's first.
        at_mark = reading.fill_percent >= device.collect_at_percent
        suggestion = (full_since(device) if at_mark else None) or _cycle_start(device, now) or reading
    if not device.auto_book:
        enqueue("marketplace.notify", "bin_full_suggest", suggestion.pk)
        return "suggested"
    if device.location.archived_at is not None:
        return "location archived"
    return _book(device, day=day, now=now, suggestion=suggestion, any_open_blocks=outlook is None)


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


def _day_name(day: dt.date) -> str:
    return f"{day:%a, %b} {day.day}"


def skip_reason(device: Device, reading: Reading, *, cutoff: dt.datetime, visit: Pickup) -> str | None:
    """Why the visit can be skipped, in a sentence for the business and the hauler; None when it cannot."""
    after = next_visit(device, after=visit.service_date + dt.timedelta(days=1)) if device.use_forecast else None
    if after is not None:
        series = device.readings.filter(
            measured_at__lte=cutoff, measured_at__gte=cutoff - dt.timedelta(days=state.PROFILE_DAYS)
        ).values_list("measured_at", "fill_percent")
        outlook = rules.fit(list(series), days=FORECAST_DAYS, tz=state.local_zone(device.location.timezone))
        if outlook is not None:
            mark, end = device.collect_at_percent, _visit_end(after)
            if not rules.can_skip(outlook=outlook, mark=mark, visit_after_at=end):
                return None
            return (
                f"The sensor read {reading.fill_percent}% at the cutoff and the bin fills about "
                f"{max(outlook.rate, 0):.0f}% a day: about {min(100, outlook.level_at(end)):.0f}% by the visit after, "
                f"on {_day_name(after.service_date)}, still under its {mark}% mark."
            )
    if not rules.skip_on_threshold(level=reading.fill_percent, skip_below=device.skip_below_percent):
        return None
    return (
        f"The sensor read {reading.fill_percent}% at the cutoff, under the {device.skip_below_percent}% "
        "below which a visit is skipped."
    )


def check_skip(*, pickup_id: int, now: dt.datetime | None = None) -> bool:
    """Skip one visit if its bin can wait past it (see the rules above); record that it was checked either way."""
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
        if reading is None or reading.measured_at < cutoff - STALE_AFTER:
            return False
        reason = skip_reason(device, reading, cutoff=cutoff, visit=pickup)
        if reason is None:
            return False
        transition(pickup, Pickup.Status.SKIPPED, reason=reason, fields={"device": device})
        routes.day_changed(pickup)
        enqueue("marketplace.notify", "pickup_skipped_empty", pickup.pk)
        enqueue("marketplace.notify", "job_skipped_empty", pickup.pk)
    return True


def skip_empty_visits(*, now: dt.datetime | None = None) -> int:
    """The sweep: check every visit whose cutoff has come."""
    return sum(check_skip(pickup_id=pickup_id, now=now) for pickup_id in skip_candidates(now=now))


def sensor_skips(*, customer) -> QuerySet[Pickup]:
    """The business's visits its sensors skipped (`customer` may be an OuterRef, for a subquery)."""
    return Pickup.objects.filter(customer=customer, status=Pickup.Status.SKIPPED, device__isnull=False)


def savings_of(*, customer: Customer) -> dict:
    """Visits the business's sensors avoided, and the truck-km, fuel and CO2 that saved (estimates)."""
    return savings_from(sensor_skips(customer=customer).count())


def savings_from(skipped: int) -> dict:
    """savings_of for a count of skipped visits already read."""
    km = skipped * KM_PER_SKIPPED_VISIT
    litres = km * DIESEL_LITRES_PER_KM
    return {
        "visits_avoided": skipped,
        "truck_km": round(km, 1),
        "diesel_litres": round(litres, 1),
        "co2_kg": round(litres * CO2_KG_PER_DIESEL_LITRE, 1),
    }
