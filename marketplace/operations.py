"""The operations map's read model: every bin a viewer may see, with its fill, state and next visit.

- Who sees what: staff every business's bins (customer=None), a business its own.
- A market is a city: the location's city and state (filled from its ZIP by core.geo). The product has no
  market of its own; haulers' service areas are ZIP lists that overlap, so they cannot partition bins.
- A bin's state comes from its device row (sensors/state.py keeps the latest reading and forecast there),
  never from a scan of readings. Offline: no reading for SENSOR_ALARM_OFFLINE_INTERVALS reporting intervals
  (as the offline alarm), or none yet. Otherwise by fill against the bin's own collect mark: full at or above
  it, nearly full within NEARLY_FULL_POINTS below it, ok under that. "Alarm" is a filter beside those: a
  bin with any open alarm, whatever its fill.
- At risk: forecast full (Device.full_at) before its next visit's arrival window opens (the next open pickup
  of that container at that location that a hauler will come to, as bins.next_visit finds it for one device),
  or within SENSOR_ALARM_OVERFLOW_HORIZON when none is coming: the overflow alarm's own rule.

The map's list is one query for any number of bins: the next visit and open alarms are correlated
subqueries on the device rows, and "today" is each location's own date (a CASE over the zones in view,
found by one more query).
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, DateField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from core.errors import NotFound
from customers.models import Customer, ServiceLocation
from marketplace import alarms as alarm_rules
from marketplace import bins, scheduling
from marketplace.models import Pickup
from sensors.models import Alarm, Device

OK, NEARLY_FULL, FULL, OFFLINE, ALARM = "ok", "nearly_full", "full", "offline", "alarm"
STATES = {
    OK: "Fine",
    NEARLY_FULL: "Nearly full",
    FULL: "Full",
    OFFLINE: "Not reporting",
    ALARM: "With an open alarm",
}
# Orange starts this many points below a bin's collect mark (60% for the default mark of 80%).
NEARLY_FULL_POINTS = 20
CHART_DAYS = 14
# The forecast line is drawn at most this far past the latest reading.
FORECAST_REACH = dt.timedelta(days=7)
HISTORY = 8
PAST = (Pickup.Status.COMPLETED, Pickup.Status.SKIPPED, Pickup.Status.MISSED)
COLUMNS = (
    "pk",
    "serial",
    "location__latitude",
    "location__longitude",
    "location_id",
    "location__name",
    "location__customer__name",
    "location__city",
    "location__state",
    "location__timezone",
    "waste_stream",
    "container",
    "last_fill_percent",
    "collect_at_percent",
    "last_reading_at",
    "reporting_interval_minutes",
    "full_at",
    "visit_date",
    "visit_window",
    "open_alarms",
)


def visible_alarms(*, customer: Customer | None) -> QuerySet[Alarm]:
    """Open alarms a viewer is shown: staff every kind; a business the ones about its bins, not staff's cases
    (a visit the bin was left full by, a sensor sending nonsense; see marketplace.alarms.BUSINESS_KINDS)."""
    found = Alarm.objects.filter(closed_at__isnull=True)
    return found if customer is None else found.filter(kind__in=alarm_rules.BUSINESS_KINDS)


def market_name(city: str, state: str) -> str:
    return f"{city}, {state}"


def _split_market(market: str) -> tuple[str, str]:
    city, _, state = market.rpartition(", ")
    return city, state


def devices_in(*, customer: Customer | None) -> QuerySet[Device]:
    """The active devices at live locations a viewer sees: every one for staff (customer None), else the business's."""
    devices = Device.objects.filter(active=True, location__archived_at__isnull=True)
    if customer is not None:
        devices = devices.filter(location__customer=customer)
    return devices


def filtered(devices: QuerySet[Device], *, market: str | None = None, stream: str | None = None) -> QuerySet[Device]:
    if market:
        city, state = _split_market(market)
        devices = devices.filter(location__city=city, location__state=state)
    if stream:
        devices = devices.filter(waste_stream=stream)
    return devices


def markets(*, customer: Customer | None) -> list[str]:
    """The cities the viewer has bins in, as 'Austin, TX', in order."""
    rows = (
        ServiceLocation.objects.filter(devices__in=devices_in(customer=customer))
        .order_by("state", "city")
        .values_list("city", "state")
        .distinct()
    )
    return sorted({market_name(city, state) for city, state in rows})


def fill_state(
    *, fill: int | None, collect_at: int, last_reading_at: dt.datetime | None, interval_minutes: int, now: dt.datetime
) -> str:
    """ok, nearly full, full or offline (see the module docstring)."""
    # Offline exactly when the offline alarm holds (sensors.alarms.offline): the map and the alarm list agree.
    allowed = dt.timedelta(minutes=interval_minutes * settings.SENSOR_ALARM_OFFLINE_INTERVALS)
    if last_reading_at is None or fill is None or now - last_reading_at >= allowed:
        return OFFLINE
    if fill >= collect_at:
        return FULL
    if fill >= collect_at - NEARLY_FULL_POINTS:
        return NEARLY_FULL
    return OK


def visit_starts(service_date: dt.date | None, window_start: dt.time | None, tz_name: str) -> dt.datetime | None:
    if service_date is None:
        return None
    return scheduling.at_local(service_date, window_start or dt.time(0, 0), tz_name)


def at_risk(*, full_at: dt.datetime | None, visit_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Forecast full before the next visit opens, or soon when no visit is open."""
    if full_at is None:
        return False
    if visit_at is None:
        return full_at <= now + settings.SENSOR_ALARM_OVERFLOW_HORIZON
    return full_at < visit_at


@dataclass(slots=True)
class Bin:
    """One bin on the map."""

    id: int
    serial: str
    latitude: float
    longitude: float
    location_id: int
    location: str
    business: str
    market: str
    timezone: str
    waste_stream: str
    container: str
    fill: int | None
    collect_at: int
    last_reading_at: dt.datetime | None
    full_at: dt.datetime | None
    visit_at: dt.datetime | None
    alarms: int
    state: str
    at_risk: bool


def _local_today(zones: list[str], now: dt.datetime) -> Case | Value:
    """Each location's date today, as a SQL expression over the zones in view."""
    if not zones:
        return Value(now.date(), output_field=DateField())
    whens = [When(location__timezone=zone, then=Value(scheduling.local_today(zone, now=now))) for zone in zones]
    return Case(*whens, default=Value(now.date()), output_field=DateField())


def bin_rows(
    *, customer: Customer | None, now: dt.datetime, market: str | None = None, stream: str | None = None
) -> QuerySet:
    """The map's one query (as plain rows, COLUMNS): each bin with its next visit and open alarms.

    Finding the zones in view (for each location's today) costs one query before it.
    """
    devices = filtered(devices_in(customer=customer), market=market, stream=stream)
    zones = list(
        ServiceLocation.objects.filter(devices__in=devices).order_by().values_list("timezone", flat=True).distinct()
    )
    visits = Pickup.objects.filter(
        location_id=OuterRef("location_id"),
        waste_stream=OuterRef("waste_stream"),
        container=OuterRef("container"),
        status__in=alarm_rules.COMING,  # an unmatched pickup is no visit: no hauler is coming
        service_date__gte=OuterRef("local_today"),
    ).order_by("service_date", "window_start", "pk")
    alarms = (
        visible_alarms(customer=customer)
        .filter(device_id=OuterRef("pk"))
        .order_by()
        .values("device_id")
        .annotate(open=Count("pk"))
        .values("open")
    )
    return (
        devices.annotate(
            local_today=_local_today(zones, now),
            visit_date=Subquery(visits.values("service_date")[:1]),
            visit_window=Subquery(visits.values("window_start")[:1]),
            open_alarms=Coalesce(Subquery(alarms), 0),
        )
        .order_by("pk")
        .values(*COLUMNS)
    )


def bins_in_view(
    *,
    customer: Customer | None,
    now: dt.datetime,
    market: str | None = None,
    stream: str | None = None,
    state: str | None = None,
) -> list[Bin]:
    """Every bin the viewer sees, filtered; two queries however many bins there are."""
    rows = bin_rows(customer=customer, now=now, market=market, stream=stream)
    found = []
    for row in rows:
        bin_state = fill_state(
            fill=row["last_fill_percent"],
            collect_at=row["collect_at_percent"],
            last_reading_at=row["last_reading_at"],
            interval_minutes=row["reporting_interval_minutes"],
            now=now,
        )
        if state == ALARM and not row["open_alarms"]:
            continue
        if state and state != ALARM and state != bin_state:
            continue
        zone = row["location__timezone"]
        visit_at = visit_starts(row["visit_date"], row["visit_window"], zone)
        found.append(
            Bin(
                id=row["pk"],
                serial=row["serial"],
                latitude=float(row["location__latitude"]),
                longitude=float(row["location__longitude"]),
                location_id=row["location_id"],
                location=row["location__name"],
                business=row["location__customer__name"],
                market=market_name(row["location__city"], row["location__state"]),
                timezone=zone,
                waste_stream=row["waste_stream"],
                container=row["container"],
                fill=row["last_fill_percent"],
                collect_at=row["collect_at_percent"],
                last_reading_at=row["last_reading_at"],
                full_at=row["full_at"],
                visit_at=visit_at,
                alarms=row["open_alarms"],
                state=bin_state,
                at_risk=at_risk(full_at=row["full_at"], visit_at=visit_at, now=now),
            )
        )
    return found


def counts(found: list[Bin]) -> dict[str, int]:
    """How many bins in each state, with alarms, and at risk."""
    tally = dict.fromkeys(STATES, 0) | {"at_risk": 0, "total": len(found)}
    for item in found:
        tally[item.state] += 1
        tally[ALARM] += bool(item.alarms)
        tally["at_risk"] += item.at_risk
    return tally


def needing_a_visit(found: list[Bin], *, limit: int = 30) -> list[Bin]:
    """Full or at-risk bins that report, the soonest to be full first (the ones to send a truck to)."""
    urgent = [item for item in found if item.state != OFFLINE and (item.state == FULL or item.at_risk)]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    urgent.sort(key=lambda item: (item.full_at or far, -(item.fill or 0), item.id))
    return urgent[:limit]


def open_alarms(
    *, customer: Customer | None, market: str | None = None, stream: str | None = None, limit: int = 50
) -> tuple[list[Alarm], int]:
    """The open alarms on the bins in view, newest first (at most `limit`), and how many there are in all."""
    devices = filtered(devices_in(customer=customer), market=market, stream=stream)
    alarms = visible_alarms(customer=customer).filter(device__in=devices)
    listed = list(
        alarms.select_related("device", "device__location", "device__location__customer").order_by("-opened_at", "-pk")[
            :limit
        ]
    )
    return listed, alarms.count()


@dataclass
class BinDetail:
    """What the panel shows of one bin: its last two weeks, forecast, next visit and recent visits."""

    device: Device
    state: str
    at_risk: bool
    readings: list[tuple[dt.datetime, int]]
    forecast: list[tuple[dt.datetime, float]]
    next_visit: Pickup | None
    visit_at: dt.datetime | None
    history: list[Pickup]
    alarms: list[Alarm]
    daily_maxima: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def timezone(self) -> str:
        return self.device.location.timezone

    def chart(self) -> dict:
        """The chart's series for the browser: seconds since the epoch on one x axis, gaps as None."""
        times = {at for at, _ in self.readings} | {at for at, _ in self.forecast}
        last = self.device.last_reading_at
        # The axis reaches the next visit when it is near enough to draw, so the chart shows what it will find.
        if times and self.visit_at and last and min(times) <= self.visit_at <= last + FORECAST_REACH:
            times.add(self.visit_at)
        times = sorted(times)
        fills = dict(self.readings)
        line = dict(self.forecast)
        return {
            "timezone": self.timezone,
            "collect_at": self.device.collect_at_percent,
            "visit_at": int(self.visit_at.timestamp()) if self.visit_at else None,
            "x": [int(at.timestamp()) for at in times],
            "fill": [fills.get(at) for at in times],
            "forecast": [round(line[at], 1) if at in line else None for at in times],
        }


def forecast_line(device: Device) -> list[tuple[dt.datetime, float]]:
    """From the latest reading to the forecast full time (cut at FORECAST_REACH): the line the forecast draws."""
    start, fill, full_at = device.last_reading_at, device.last_fill_percent, device.full_at
    if start is None or fill is None or full_at is None or full_at <= start or fill >= 100:
        return []
    end = min(full_at, start + FORECAST_REACH)
    level = fill + (100 - fill) * (end - start) / (full_at - start)
    return [(start, float(fill)), (end, level)]


def bin_detail(*, customer: Customer | None, device_id: int, now: dt.datetime) -> BinDetail:
    """One bin the viewer may see (another business's is NotFound), with what its panel shows."""
    scope = Device.objects.all() if customer is None else Device.objects.filter(location__customer=customer)
    device = scope.select_related("location", "location__customer").filter(pk=device_id).first()
    if device is None:
        raise NotFound("No such bin.")
    zone = device.location.timezone
    readings = list(
        device.readings.filter(measured_at__gt=now - dt.timedelta(days=CHART_DAYS), measured_at__lte=now)
        .order_by("measured_at")
        .values_list("measured_at", "fill_percent")
    )
    today = scheduling.local_today(zone, now=now)
    visit = bins.next_visit(device, after=today)
    visit_at = visit_starts(visit.service_date, visit.window_start, zone) if visit else None
    history = list(
        bins.pickups_of(device)
        .filter(status__in=PAST, service_date__lte=today)
        .select_related("hauler")
        .order_by("-service_date", "-pk")[:HISTORY]
    )
    tz = ZoneInfo(zone)
    daily: dict[dt.date, int] = {}
    for at, fill in readings:
        day = at.astimezone(tz).date()
        daily[day] = max(daily.get(day, 0), fill)
    return BinDetail(
        device=device,
        state=fill_state(
            fill=device.last_fill_percent,
            collect_at=device.collect_at_percent,
            last_reading_at=device.last_reading_at,
            interval_minutes=device.reporting_interval_minutes,
            now=now,
        ),
        # As the map's list: an unmatched visit is shown as the next one, but no hauler is coming to it.
        at_risk=at_risk(
            full_at=device.full_at,
            visit_at=visit_at if visit is not None and visit.status in alarm_rules.COMING else None,
            now=now,
        ),
        readings=readings,
        forecast=forecast_line(device),
        next_visit=visit,
        visit_at=visit_at,
        history=history,
        alarms=list(visible_alarms(customer=customer).filter(device=device).order_by("-opened_at")),
        daily_maxima=sorted(daily.items()),
    )
