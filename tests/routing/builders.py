"""Small days built from plain numbers for the routing tests (no Django anywhere)."""

from __future__ import annotations

import random

from routing.distance import StraightLine
from routing.problem import DisposalSite, Place, Problem, Stop, Truck, Window

HOUR = 3600
ANY_TIME = Window(6 * HOUR, 18 * HOUR)
BACKEND = StraightLine()  # 1.3 x great circle at 35 km/h
# About 1.1 km a hundredth of a degree near the equator, so small grids are easy to reason about.
YARD = Place(0.0, 0.0)
SITE = DisposalSite("site", Place(0.0, 0.02), 6 * HOUR, 18 * HOUR, service_s=600)
CLOSED_SITE = DisposalSite("closed", Place(0.0, 0.02), 8 * HOUR, 8 * HOUR)


def truck(ident: str = "T1", **changes) -> Truck:
    """A 06:00-18:00 truck at the yard with a big capacity and one open site, changed as asked."""
    fields = {
        "id": ident,
        "depot": YARD,
        "shift_start_s": 6 * HOUR,
        "shift_end_s": 18 * HOUR,
        "capacity": 1000,
        "disposal_sites": (SITE,),
    }
    return Truck(**(fields | changes))


def stop(ident, lat: float, lng: float, **changes) -> Stop:
    """A 5-minute stop of load 1 that can be served any time, changed as asked."""
    fields = {"id": ident, "place": Place(lat, lng), "load": 1, "service_s": 300, "window": ANY_TIME}
    return Stop(**(fields | changes))


def random_day(seed: int) -> Problem:
    """A seeded day of 20-40 stops in a ~10 km square: windows, loads that need tips, limits, restrictions."""
    rng = random.Random(seed)
    landfill = DisposalSite("landfill", Place(0.08, 0.09), 6 * HOUR, 17 * HOUR + 1800)
    transfer = DisposalSite("transfer", Place(0.02, 0.05), 7 * HOUR, 16 * HOUR, service_s=600)
    closed = DisposalSite("closed", Place(0.05, 0.0), 9 * HOUR, 9 * HOUR)
    trucks = [
        truck("front-1", capacity=30, disposal_sites=(landfill, transfer)),
        truck("front-2", capacity=25, disposal_sites=(transfer, closed), max_stops=rng.choice([None, 8, 12])),
        truck("rolloff", capacity=40, disposal_sites=(landfill,), shift_start_s=7 * HOUR, shift_end_s=15 * HOUR),
    ]
    if rng.random() < 0.3:
        trucks.append(truck("no-sites", capacity=20, disposal_sites=(closed,)))
    windows = [ANY_TIME, Window(7 * HOUR, 11 * HOUR), Window(11 * HOUR, 15 * HOUR), Window(13 * HOUR, 17 * HOUR)]
    stops = []
    for k in range(rng.randint(20, 40)):
        roll_off = rng.random() < 0.15
        stops.append(
            stop(
                k,
                rng.uniform(0, 0.09),
                rng.uniform(0, 0.09),
                load=rng.randint(8, 20) if roll_off else rng.randint(1, 8),
                service_s=rng.randint(180, 600),
                window=rng.choice(windows),
                trucks=frozenset({"rolloff"}) if roll_off else None,
                zip_code=f"7870{rng.randint(0, 9)}",
            )
        )
    return Problem(tuple(trucks), tuple(stops))
