"""A simulated city of smart bins in Austin, TX: who has which bin where, how fast each fills, what its sensor says.

Pure computation over one seed (the same seed makes the same city, fill and sensor noise), shared by the
benchmark (bench/city.py, which runs the collection policies over it: marketplace/demo/city_policies.py)
and the demo (manage.py seed_city, which writes the last days of it as devices and readings).

- Bins: BINS of them at businesses and on streets in the street-address ZIPs within CITY_MILES of downtown,
  a point near each ZIP centroid. Kinds of site (share of bins): restaurants, offices, shops, groceries,
  apartment blocks and public litter bins, each with its streams and containers; a share of the litter
  bins are solar compactors (capacity multiplier COMPACTION: the same waste, a fifth of the equivalent fill).
- Fill: each bin's weekly fill (percent of its container a week, before compaction) is log-normal around
  its kind's median; the medians are set so that on a weekly round about a quarter of the visits find the
  bin under 30% (Nordsense's "27% of visits skippable"), and about one bin in twelve fills past 100% within
  a week (busy restaurants, groceries and apartment blocks). Waste
  comes in the kind's opening hours, by weekday (restaurants busier Friday and Saturday, offices all but
  shut at weekends), with a day-to-day spread per bin and now and then a much busier day (an event).
- Sensors: each reports every 1, 2 or 4 hours (LoRaWAN duty cycles) with a few points of noise, an odd
  high reading (a bag under the sensor), lost uplinks, and never above 100 (a sensor cannot see overflow).
Times are local (America/Chicago) and the simulated weeks fall between the DST change and Memorial Day, so
every day has 24 hours and there is no federal holiday in them.
"""

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from core import geo
from core.catalog import CONTAINER_YARDS, Container, WasteStream

SEED = 2026
BINS = 1000
CITY_ZIP = "78701"
CITY_MILES = 12
TZ = ZoneInfo("America/Chicago")
# A Monday a week after the spring DST change; 8 measured weeks (plus a warm-up week) end before Memorial Day.
START = dt.datetime(2026, 3, 16, tzinfo=TZ)
WARM_UP_DAYS = 7
COMPACTION = 5
INTERVALS_H = ((1, 0.3), (2, 0.4), (4, 0.3))
NOISE_POINTS = 3.0
ODD_READING_SHARE = 0.01
LOST_UPLINK_SHARE = 0.03
DAY_SPREAD = 0.25  # sigma of a bin's log day-to-day spread
EVENT_SHARE, EVENT_FACTOR = 0.01, 2.5
WEEKLY_SIGMA = 0.55  # spread of weekly fill between bins of one kind and stream
MORNING = (dt.time(7), dt.time(11))
ALL_DAY = (dt.time(7), dt.time(17))


def _hours(*spans: tuple[int, int, float]) -> tuple[float, ...]:
    """An hourly profile from (first hour, last hour + 1, weight) spans."""
    profile = [0.0] * 24
    for first, end, weight in spans:
        for hour in range(first, end):
            profile[hour] += weight
    return tuple(profile)


@dataclass(frozen=True)
class SiteKind:
    """A kind of site: its share of bins, when waste comes (hours, Monday..Sunday), its bins and their weekly fill."""

    name: str
    share: float
    hours: tuple[float, ...]
    weekdays: tuple[float, ...]
    # (stream, container, median weekly fill %, share of this kind's bins)
    bins: tuple[tuple[str, str, float, float], ...]
    morning_share: float = 0.0  # share of its bins wanting the truck before opening (07:00-11:00)


T, R, C, ORG = WasteStream.TRASH, WasteStream.RECYCLING, WasteStream.CARDBOARD, WasteStream.ORGANICS
KINDS = (
    SiteKind(
        "restaurant", 0.20, _hours((10, 15, 1.0), (17, 23, 1.4)), (0.8, 0.85, 0.9, 1.0, 1.35, 1.45, 0.85),
        ((T, Container.DUMPSTER_4_YD, 62, 0.45), (ORG, Container.CART_96_GAL, 55, 0.25),
         (R, Container.CART_96_GAL, 40, 0.15), (C, Container.DUMPSTER_2_YD, 45, 0.15)),
        morning_share=0.5,
    ),
    SiteKind(
        "office", 0.15, _hours((8, 18, 1.0)), (1.1, 1.1, 1.1, 1.1, 1.0, 0.12, 0.04),
        ((T, Container.DUMPSTER_4_YD, 35, 0.5), (R, Container.DUMPSTER_2_YD, 32, 0.3),
         (C, Container.DUMPSTER_2_YD, 28, 0.2)),
    ),
    SiteKind(
        "shop", 0.20, _hours((10, 21, 1.0)), (0.85, 0.85, 0.9, 0.95, 1.1, 1.4, 1.0),
        ((T, Container.DUMPSTER_4_YD, 40, 0.55), (C, Container.DUMPSTER_6_YD, 48, 0.45)),
        morning_share=0.3,
    ),
    SiteKind(
        "grocery", 0.05, _hours((7, 22, 1.0)), (0.95, 0.9, 0.9, 0.95, 1.05, 1.2, 1.05),
        ((T, Container.DUMPSTER_8_YD, 60, 0.4), (C, Container.DUMPSTER_8_YD, 65, 0.4),
         (ORG, Container.CART_96_GAL, 55, 0.2)),
    ),
    SiteKind(
        "apartments", 0.15, _hours((6, 9, 1.0), (17, 23, 1.3)), (1.0, 0.95, 0.95, 0.95, 1.0, 1.1, 1.1),
        ((T, Container.DUMPSTER_6_YD, 58, 0.65), (R, Container.DUMPSTER_4_YD, 40, 0.35)),
    ),
    SiteKind(
        "street", 0.25, _hours((7, 21, 1.0)), (0.9, 0.9, 0.9, 0.95, 1.05, 1.25, 1.1),
        ((T, Container.CART_96_GAL, 45, 1.0),),
    ),
)  # fmt: skip
# Compacting bins stand where litter is heaviest: this share of street bins, with this much more waste a week.
COMPACTOR_SHARE, COMPACTOR_BUSIER = 0.4, 4.0


@dataclass(frozen=True)
class Bin:
    """One simulated bin and its sensor."""

    index: int
    site: str
    zip_code: str
    lat: float
    lng: float
    waste_stream: str
    container: str
    compactor: bool
    weekly_fill: float  # percent of the container a week, as its sensor counts it (compacted for a compactor)
    weekday: int  # the day of its weekly round, Monday (0) to Friday (4)
    window: tuple[dt.time, dt.time]
    interval_h: int
    offset_h: int  # the first hour it reports at
    mark: int = 80  # Device.collect_at_percent's default
    skip_below: int = 30  # Device.skip_below_percent's default

    @property
    def multiplier(self) -> int:
        return COMPACTION if self.compactor else 1

    @property
    def loose_yards(self) -> float:
        """The loose cubic yards it holds when full: what it puts in a truck."""
        return CONTAINER_YARDS[self.container] * self.multiplier

    @property
    def serial(self) -> str:
        return f"CITY-{self.index:04d}"


def city_zips() -> list[geo.ZipInfo]:
    """Austin's street-address ZIPs near downtown (PO-box and single-firm ZIPs have no bins on streets)."""
    import zipcodes

    found = []
    for code in geo.zips_within(CITY_ZIP, CITY_MILES):
        records = zipcodes.matching(code)
        if records and records[0]["zip_code_type"] == "STANDARD" and (info := geo.lookup(code)) is not None:
            found.append(info)
    return found


def make_city(*, seed: int = SEED, bins: int = BINS) -> list[Bin]:
    """The city's bins, the same for the same seed."""
    rng = np.random.default_rng(seed)
    zips = city_zips()
    shares = np.array([kind.share for kind in KINDS])
    made = []
    for index in range(bins):
        kind = KINDS[rng.choice(len(KINDS), p=shares / shares.sum())]
        weights = np.array([share for *_, share in kind.bins])
        stream, container, median, _ = kind.bins[rng.choice(len(kind.bins), p=weights / weights.sum())]
        compactor = kind.name == "street" and rng.random() < COMPACTOR_SHARE
        weekly = median * math.exp(rng.normal(0, WEEKLY_SIGMA))
        if compactor:
            weekly = weekly * COMPACTOR_BUSIER / COMPACTION
        info = zips[rng.integers(len(zips))]
        interval = int(rng.choice([h for h, _ in INTERVALS_H], p=[p for _, p in INTERVALS_H]))
        made.append(
            Bin(
                index=index,
                site=kind.name,
                zip_code=info.zip_code,
                # About a kilometre around the centroid: a degree of latitude is 111 km.
                lat=round(float(info.latitude) + rng.normal(0, 1 / 111), 6),
                lng=round(float(info.longitude) + rng.normal(0, 1 / (111 * math.cos(math.radians(30.3)))), 6),
                waste_stream=stream,
                container=container,
                compactor=compactor,
                weekly_fill=round(weekly, 2),
                weekday=int(rng.integers(5)),
                window=MORNING if rng.random() < kind.morning_share else ALL_DAY,
                interval_h=interval,
                offset_h=int(rng.integers(interval)),
            )
        )
    return made


def hour_moment(hour: int) -> dt.datetime:
    """The local moment of the end of simulated hour `hour` (hour 0 is the first of the warm-up)."""
    return START - dt.timedelta(days=WARM_UP_DAYS) + dt.timedelta(hours=hour + 1)


def fill_increments(city: list[Bin], *, days: int, seed: int = SEED) -> np.ndarray:
    """What each bin gains in each hour, in percent of its container (as its sensor counts it): bins x hours."""
    rng = np.random.default_rng([seed, 1])
    kinds = {kind.name: kind for kind in KINDS}
    first = START - dt.timedelta(days=WARM_UP_DAYS)
    weekdays = np.array([(first + dt.timedelta(days=d)).weekday() for d in range(days)])
    out = np.zeros((len(city), days * 24))
    spread = np.exp(rng.normal(-(DAY_SPREAD**2) / 2, DAY_SPREAD, size=(len(city), days)))
    events = np.where(rng.random((len(city), days)) < EVENT_SHARE, EVENT_FACTOR, 1.0)
    for b, item in enumerate(city):
        kind = kinds[item.site]
        hours = np.array(kind.hours) / sum(kind.hours)
        per_day = item.weekly_fill * np.array(kind.weekdays)[weekdays] / sum(kind.weekdays)
        daily = per_day * spread[b] * events[b]
        out[b] = (daily[:, None] * hours[None, :]).ravel()
    return out


@dataclass(frozen=True)
class SensorNoise:
    """The same sensor errors for every policy: noise per hour, odd readings, lost uplinks (bins x hours)."""

    error: np.ndarray
    odd: np.ndarray
    lost: np.ndarray

    def reading(self, b: int, hour: int, level: float) -> int | None:
        """What bin b's sensor reports at the end of `hour` with the true level; None when the uplink is lost."""
        if self.lost[b, hour]:
            return None
        seen = min(level, 100.0) + self.error[b, hour] + self.odd[b, hour]
        return int(max(0, min(100, round(seen))))


def sensor_noise(city: list[Bin], *, days: int, seed: int = SEED) -> SensorNoise:
    rng = np.random.default_rng([seed, 2])
    shape = (len(city), days * 24)
    odd = np.where(rng.random(shape) < ODD_READING_SHARE, rng.uniform(15, 45, shape), 0.0)
    return SensorNoise(rng.normal(0, NOISE_POINTS, shape), odd, rng.random(shape) < LOST_UPLINK_SHARE)


def reports_at(item: Bin, hour: int) -> bool:
    """Whether the bin's sensor reports at the end of `hour`."""
    return (hour - item.offset_h) % item.interval_h == 0


def starting_levels(city: list[Bin], *, seed: int = SEED) -> np.ndarray:
    """Where each bin stands when the warm-up starts: part way to its next weekly round."""
    rng = np.random.default_rng([seed, 3])
    return np.array([min(95.0, item.weekly_fill * rng.random()) for item in city])
