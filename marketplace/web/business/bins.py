"""The location sensor page: each bin's fill over the last 30 days, its rules, forecast and right-size hint.

Readings are read once per sensor (the last 30 days, as plain tuples), so the page's queries grow
with the number of sensors at the location, never with the number of readings drawn.
"""

import datetime as dt
import itertools
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from core.errors import NotFound
from core.views import business_required
from marketplace import alarms, bins, selectors
from marketplace.models import Frequency, Pickup, ServicePlan
from marketplace.web import formatting
from sensors import forecast
from sensors.models import Device

WINDOW = dt.timedelta(days=30)
FREQUENCY_DAYS = {Frequency.WEEKLY: 7, Frequency.BIWEEKLY: 14, Frequency.MONTHLY: 30}
# The chart's viewBox and the plot area inside it (room on the left for % labels, below for dates).
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 10, 30
ROW = ("measured_at", "fill_percent", "battery_percent")


def observed_frequency_days(emptied_at: list[dt.datetime]) -> int | None:
    """The usual number of days between emptyings (the median), when there were at least two."""
    if len(emptied_at) < 2:
        return None
    gaps = [(later - earlier).total_seconds() / 86400 for earlier, later in itertools.pairwise(emptied_at)]
    return max(1, round(statistics.median(gaps)))


@dataclass
class FillChart:
    """A server-drawn line chart of fill levels; coordinates are in the fixed viewBox."""

    points: str
    gridlines: list[dict]
    threshold: int
    threshold_y: float
    start_label: str
    end_label: str
    summary: str
    daily_maxima: list[tuple[dt.date, int]]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    label_x: int = LEFT - 6
    right: int = WIDTH - RIGHT
    bottom: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - 8


def fill_chart(
    readings: list[tuple[dt.datetime, int]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    threshold: int,
    tz: ZoneInfo,
    name: str,
    emptied: int,
) -> FillChart:
    """Scale readings (oldest first) into the viewBox: time across, 0-100% up."""
    span = (end - start).total_seconds() or 1.0

    def x(moment: dt.datetime) -> float:
        return LEFT + (moment - start).total_seconds() / span * (WIDTH - LEFT - RIGHT)

    def y(percent: float) -> float:
        return TOP + (100 - percent) / 100 * (HEIGHT - TOP - BOTTOM)

    daily: dict[dt.date, int] = {}
    for moment, fill in readings:
        day = moment.astimezone(tz).date()
        daily[day] = max(daily.get(day, 0), fill)
    first, last = start.astimezone(tz), end.astimezone(tz)
    if readings:
        fills = [fill for _, fill in readings]
        summary = (
            f"Fill level of the {name} from {first:%b} {first.day} to {last:%b} {last.day}: "
            f"now {fills[-1]}%, highest {max(fills)}%, lowest {min(fills)}%; collect at {threshold}%; "
            f"emptied {emptied} time{'s' if emptied != 1 else ''}."
        )
    else:
        summary = f"No readings from the {name} in the last 30 days."
    return FillChart(
        points=" ".join(f"{x(moment):.1f},{y(fill):.1f}" for moment, fill in readings),
        gridlines=[{"percent": percent, "y": round(y(percent), 1)} for percent in (100, 50, 0)],
        threshold=threshold,
        threshold_y=round(y(threshold), 1),
        start_label=f"{first:%b} {first.day}",
        end_label=f"{last:%b} {last.day}",
        summary=summary,
        daily_maxima=sorted(daily.items()),
    )


@dataclass
class SensorPanel:
    """What the page shows of one sensor."""

    device: Device
    chart: FillChart
    latest_fill: int | None = None
    latest_at: dt.datetime | None = None
    battery: int | None = None
    rate_per_day: float | None = None
    full_at: dt.datetime | None = None
    average_at_pickup: float | None = None
    frequency_days: int | None = None
    on_plan: bool = False
    suggestion: str | None = None
    full_now: bool = False
    next_pickup: dict | None = None
    # With no pickup booked: why not, and what happens next, in a sentence; and a link to book one when that is
    # the business's to do.
    no_pickup: str = ""
    book_url: str = ""
    alarms: list = field(default_factory=list)


def sensor_panel(device: Device, *, now: dt.datetime, tz: ZoneInfo, plan_days: dict, next_pickups: dict) -> SensorPanel:
    """One sensor's last 30 days (one query; one more only when it has been silent that long) and what they say."""
    rows = list(
        device.readings.filter(measured_at__gt=now - WINDOW, measured_at__lte=now)
        .order_by("measured_at")
        .values_list(*ROW)
    )
    readings = [(moment, fill) for moment, fill, _ in rows]
    emptied_at = [readings[index][0] for index in forecast.emptying_indexes(readings)]
    name = f"{device.get_waste_stream_display().lower()} {device.get_container_display()}"
    chart = fill_chart(
        readings,
        start=now - WINDOW,
        end=now,
        threshold=device.collect_at_percent,
        tz=tz,
        name=name,
        emptied=len(emptied_at),
    )
    panel = SensorPanel(
        device=device, chart=chart, next_pickup=next_pickups.get((device.waste_stream, device.container))
    )
    latest = rows[-1] if rows else device.readings.order_by("-measured_at").values_list(*ROW).first()
    if latest is not None:
        panel.latest_at, panel.latest_fill, panel.battery = latest
    panel.rate_per_day = forecast.fill_rate_per_day(readings)
    panel.full_at = forecast.predicted_full_at(readings)
    panel.full_now = panel.full_at is not None and panel.latest_at is not None and panel.full_at <= panel.latest_at
    panel.average_at_pickup = forecast.average_fill_at_pickup(forecast.fills_before_emptying(readings))
    plan_frequency = plan_days.get((device.waste_stream, device.container))
    panel.on_plan = plan_frequency is not None
    panel.frequency_days = plan_frequency or observed_frequency_days(emptied_at)
    if panel.frequency_days is not None:
        panel.suggestion = forecast.suggest_schedule(
            panel.average_at_pickup,
            panel.frequency_days,
            waste_stream=device.waste_stream,
            container=device.container,
        )
    if panel.next_pickup is None:
        panel.no_pickup, wanted = why_none_booked(device, panel, now=now)
        if wanted:
            query = {"location": device.location_id, "waste_stream": device.waste_stream, "container": device.container}
            panel.book_url = f"{reverse('book')}?{urlencode(query)}"
    return panel


def why_none_booked(device: Device, panel: SensorPanel, *, now: dt.datetime) -> tuple[str, bool]:
    """What the page says under "Next pickup" when none is booked, and whether the business should book one.

    The page says what the collect rule (marketplace/bins.py) does with this bin now, so it never says "booked
    at 80%" beside a reading of 88%. Only a bin at or past its mark with nothing booked asks the rule (the
    hauler lookups it makes): the usual page costs no query more."""
    mark, tz_name = device.collect_at_percent, device.location.timezone
    if not device.active:
        return "None booked. This sensor is off, so its readings book nothing.", True
    if panel.latest_fill is None or panel.latest_fill < mark:
        if not device.auto_book:
            return f"None booked. Auto-book is off: we email you when the bin reaches {mark}%.", False
        return f"None booked. One is booked when the bin reaches {mark}%, or sooner if it would overflow first.", False
    emptied = (
        bins.pickups_of(device)
        .filter(status=Pickup.Status.COMPLETED, completed_at__gte=panel.latest_at)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    if emptied is not None:
        return f"None booked. It was emptied on {formatting.moment(emptied, tz_name)}, after its last reading.", False
    if panel.latest_at < now - bins.STALE_AFTER:
        return (
            f"None booked. It read {panel.latest_fill}% on {formatting.moment(panel.latest_at, tz_name)} and has not "
            "reported since, so nothing is booked from it.",
            True,
        )
    past = f"The bin is past its {mark}% mark"
    if not device.auto_book:
        return f"None booked. {past} and auto-book is off: we emailed you to book one.", True
    if device.location.archived_at is not None:
        return f"None booked. {past}, but this location is archived, so nothing is booked here.", False
    verdict, coming = _collect_rule(device, now=now)
    if verdict == "due":
        return f"None booked yet. {past}: its next reading books a pickup for {formatting.day(coming)}.", False
    if verdict == "not full":
        return (
            f"None booked yet. {past}, and the forecast says it can wait: it is booked for a day its hauler is "
            "nearby, before it gets too full.",
            False,
        )
    return f"None booked. {past}, but no hauler can take it in the next {bins.BOOKING_LOOKAHEAD_DAYS} days.", True


def _collect_rule(device: Device, *, now: dt.datetime) -> tuple[str, dt.date | None]:
    """What the collect rule would decide now: ("due", day), ("not full", None) or ("no hauler", None).

    It asks the rule itself (marketplace.bins), from the forecast the device row keeps (refreshed after every
    batch of readings), without refreshing it: a page reads, it never writes."""
    outlook = bins.kept_outlook(device) if device.use_forecast else None
    if outlook is None:  # the threshold rule: a bin at its mark is booked for its hauler's coming working day
        found = bins.collection_days(device, now=now, visit=None)
        return ("due", found[1][0]) if found else ("no hauler", None)
    # The forecast rule itself (it only reads): "due" with its day, or why it waits ("not full": it can wait for a
    # day its hauler passes nearby) or cannot book ("no hauler").
    verdict, coming = bins._due_on_forecast(device, outlook, now)
    if verdict == "due":
        return verdict, coming
    return ("no hauler", None) if verdict == "no hauler" else ("not full", None)


@business_required
def location_sensors(request, customer, location_id: int):
    """The sensors at one of the business's locations, with each bin's last 30 days."""
    try:
        location = selectors.location_of(customer=customer, location_id=location_id)
    except NotFound:
        raise Http404("No such location.") from None
    now = timezone.now()
    tz = ZoneInfo(location.timezone)
    plan_days = {
        (stream, container): FREQUENCY_DAYS.get(frequency)
        for stream, container, frequency in ServicePlan.objects.filter(
            location=location, status=ServicePlan.Status.ACTIVE
        ).values_list("waste_stream", "container", "frequency")
    }
    next_pickups = {}
    for pickup in (
        Pickup.objects.filter(location=location, status__in=bins.OPEN, service_date__gte=now.astimezone(tz).date())
        .order_by("-service_date", "-pk")
        .values("pk", "waste_stream", "container", "service_date", "status")
    ):
        pickup["status"] = Pickup.Status(pickup["status"]).label
        next_pickups[(pickup["waste_stream"], pickup["container"])] = pickup  # the soonest one wins
    devices = list(location.devices.order_by("-active", "waste_stream", "serial"))
    panels = [
        sensor_panel(device, now=now, tz=tz, plan_days=plan_days, next_pickups=next_pickups) for device in devices
    ]
    open_alarms = alarms.shown_to_business(devices)
    for panel in panels:
        panel.alarms = open_alarms.get(panel.device.pk, [])
    context = {"location": location, "panels": panels, "today": now.astimezone(tz).date()}
    return render(request, "marketplace/location_sensors.html", context)
