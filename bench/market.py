"""Synthetic haulers: depots where people live, service areas from real ZIPs, rate cards, credentials, load.

Everything is drawn from seeded generators, and a hauler's own attributes from a generator seeded by
its id, so the same id always gets the same rows: the small market is exactly the first haulers of
the large one.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from bench import geography
from core.catalog import Container, WasteStream

SEED = 20_250_101
# Regions launched first: mid-size metros far from any other metro in geography.METROS.
BENCH_METROS = ("Salt Lake City", "Oklahoma City", "Birmingham")

C, S = Container, WasteStream
# How often each (stream, container) is asked for, and so how often haulers price it.
DEMAND = {
    (S.TRASH, C.CART_96_GAL): 8,
    (S.TRASH, C.DUMPSTER_2_YD): 6,
    (S.TRASH, C.DUMPSTER_4_YD): 10,
    (S.TRASH, C.DUMPSTER_6_YD): 8,
    (S.TRASH, C.DUMPSTER_8_YD): 6,
    (S.TRASH, C.ROLL_OFF_20_YD): 3,
    (S.TRASH, C.ROLL_OFF_30_YD): 4,
    (S.TRASH, C.ROLL_OFF_40_YD): 2,
    (S.RECYCLING, C.CART_96_GAL): 6,
    (S.RECYCLING, C.DUMPSTER_2_YD): 3,
    (S.RECYCLING, C.DUMPSTER_4_YD): 4,
    (S.RECYCLING, C.DUMPSTER_6_YD): 3,
    (S.RECYCLING, C.DUMPSTER_8_YD): 2,
    (S.CARDBOARD, C.DUMPSTER_4_YD): 3,
    (S.CARDBOARD, C.DUMPSTER_6_YD): 3,
    (S.CARDBOARD, C.DUMPSTER_8_YD): 3,
    (S.CARDBOARD, C.ROLL_OFF_30_YD): 2,
    (S.CARDBOARD, C.ROLL_OFF_40_YD): 1,
    (S.ORGANICS, C.CART_96_GAL): 3,
    (S.ORGANICS, C.DUMPSTER_2_YD): 2,
}
BASE_CENTS = {
    C.CART_96_GAL: 2_500,
    C.DUMPSTER_2_YD: 6_000,
    C.DUMPSTER_4_YD: 9_000,
    C.DUMPSTER_6_YD: 12_000,
    C.DUMPSTER_8_YD: 15_000,
    C.ROLL_OFF_20_YD: 35_000,
    C.ROLL_OFF_30_YD: 42_000,
    C.ROLL_OFF_40_YD: 50_000,
}
STREAM_FACTOR = {S.TRASH: 1.0, S.RECYCLING: 0.8, S.CARDBOARD: 0.7, S.ORGANICS: 1.2}


@dataclass
class HaulerSpec:
    id: int
    depot: str
    radius: int
    name: str
    status: str
    verified: bool
    capacity: int
    reliability: Decimal
    rates: list[tuple[str, str, int, int]] = field(default_factory=list)
    credentials: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)

    @property
    def service_zips(self) -> tuple[str, ...]:
        return geography.zips_within(self.depot, self.radius)


@dataclass
class Market:
    haulers: list[HaulerSpec]
    small: int
    metro_counts: dict[str, int]
    tail: int


def _weighted_sample(rng: random.Random, weights: dict, k: int) -> list:
    """k distinct keys, drawn in proportion to their weights."""
    keys, chosen = list(weights), []
    for _ in range(k):
        pick = rng.choices(keys, [weights[key] for key in keys])[0]
        chosen.append(pick)
        keys.remove(pick)
    return chosen


def _allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Largest-remainder rounding: integer counts in proportion to shares, summing to total."""
    exact = {name: total * share / sum(shares.values()) for name, share in shares.items()}
    counts = {name: int(value) for name, value in exact.items()}
    short = total - sum(counts.values())
    for name in sorted(exact, key=lambda name: exact[name] - counts[name], reverse=True)[:short]:
        counts[name] += 1
    return counts


def describe_hauler(hauler_id: int, depot: str, service_date: dt.date) -> HaulerSpec:
    """Everything about one hauler but where it is, drawn from a generator seeded by its id."""
    rng = random.Random(SEED * 1_000_003 + hauler_id)
    roll = rng.random()
    status, verified = ("active", True) if roll < 0.90 else ("pending", False) if roll < 0.95 else ("suspended", True)
    spec = HaulerSpec(
        id=hauler_id,
        depot=depot,
        radius=rng.randint(5, geography.MAX_RADIUS_MILES),
        name=f"{geography.geo.lookup(depot).city.title()} Hauling {hauler_id}",
        status=status,
        verified=verified,
        capacity=rng.randint(4, 25),
        reliability=Decimal(f"{rng.uniform(0.55, 1.0):.3f}"),
    )
    price_level = rng.uniform(0.85, 1.2)
    for stream, container in _weighted_sample(rng, DEMAND, rng.randint(2, 6)):
        price = BASE_CENTS[container] * STREAM_FACTOR[stream] * price_level * rng.uniform(0.9, 1.15)
        price = int(round(price / 50) * 50)
        extra = int(round(price * rng.uniform(0.5, 0.8) / 50) * 50) if rng.random() < 0.8 else 0
        spec.rates.append((stream, container, price, extra))
    for kind in ("licence", "insurance"):
        if rng.random() < 0.25:  # a renewed credential leaves its expired predecessor behind
            start = service_date - dt.timedelta(days=rng.randint(400, 800))
            spec.credentials.append((kind, start, start + dt.timedelta(days=364)))
        if rng.random() < 0.06:  # lapsed: not matched until renewed
            end = service_date - dt.timedelta(days=rng.randint(1, 200))
        else:
            end = service_date + dt.timedelta(days=rng.randint(0, 365))
        spec.credentials.append((kind, end - dt.timedelta(days=rng.randint(180, 730)), end))
    return spec


def plan(*, total: int, small: int, service_date: dt.date) -> Market:
    """A country of `total` haulers whose first `small` serve BENCH_METROS and no one else serves those.

    Haulers per resident is the same everywhere: the small market's metros get `small` haulers in
    proportion to population, every other metro the same number per million residents, and the rest
    (the long tail) live in street ZIPs outside every metro, at least one service radius beyond the
    bench metros' footprints so that nobody but the small market's haulers can reach a query ZIP.
    The others come in random order, so that any prefix of them is the same country, thinner.
    """
    metros = {name: (zip_code, population) for name, zip_code, population in geography.METROS}
    bench_population = {name: metros[name][1] for name in BENCH_METROS}
    per_million = small / sum(bench_population.values())
    counts = _allocate(small, bench_population)
    for name, (_, population) in metros.items():
        counts.setdefault(name, round(per_million * population))
    tail = total - sum(counts.values())
    if tail < 0:
        raise ValueError(f"{total} haulers are fewer than the metros need at {per_million:.0f} per million")

    streets = geography.standard_zips()
    guards = []  # (lat, lng, miles): no depot of another market within this reach of a bench metro
    for name in BENCH_METROS:
        zip_code, population = metros[name]
        reach = geography.footprint_radius(population) + geography.MAX_RADIUS_MILES
        guards.append((*geography.centre(zip_code), reach))

    def guarded(code: str) -> bool:
        return any(geography.within(code, lat, lng, miles) for lat, lng, miles in guards)

    footprints, in_a_metro = {}, set()
    for name, (zip_code, population) in metros.items():
        lat, lng = geography.centre(zip_code)
        footprints[name] = geography.zips_around(lat, lng, geography.footprint_radius(population), streets)
        in_a_metro.update(footprints[name])
    tail_pool = [code for code in streets if code not in in_a_metro and not guarded(code)]

    rng = random.Random(SEED)
    depots = [rng.choice(footprints[name]) for name in BENCH_METROS for _ in range(counts[name])]
    rng = random.Random(SEED + 1)
    elsewhere = [rng.choice(tail_pool) for _ in range(tail)]
    for name in metros:
        if name not in BENCH_METROS:
            pool = [code for code in footprints[name] if not guarded(code)]
            elsewhere.extend(rng.choice(pool) for _ in range(counts[name]))
    # Shuffled, so that any prefix of the market is the whole country at a lower density.
    rng.shuffle(elsewhere)
    depots.extend(elsewhere)

    haulers = [describe_hauler(number, depot, service_date) for number, depot in enumerate(depots, start=1)]
    return Market(haulers=haulers, small=small, metro_counts=counts, tail=tail)


def query_zips(market: Market, *, count: int, min_haulers: int, seed: int = SEED + 2) -> list[str]:
    """Busy street ZIPs of the bench metros: served by at least `min_haulers` haulers of the small market."""
    served = Counter(code for spec in market.haulers[: market.small] for code in spec.service_zips)
    metros = {name: (zip_code, population) for name, zip_code, population in geography.METROS}
    candidates = set()
    for name in BENCH_METROS:
        zip_code, population = metros[name]
        lat, lng = geography.centre(zip_code)
        footprint = geography.zips_around(lat, lng, geography.footprint_radius(population), geography.standard_zips())
        candidates.update(code for code in footprint if served[code] >= min_haulers)
    rng = random.Random(seed)
    pool = sorted(candidates)
    return [rng.choice(pool) for _ in range(count)]


def demand(rng: random.Random) -> tuple[str, str]:
    keys = list(DEMAND)
    return rng.choices(keys, [DEMAND[key] for key in keys])[0]
