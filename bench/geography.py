"""Where haulers are: real ZIP centroids from core.geo, a few dozen real metros, and fast radius scans.

core.geo.zips_within scans all 42k centroids per call (~7 ms); a market of 100k haulers has tens of
thousands of distinct depots, so this module answers the same question from a grid of 0.5-degree
cells, with the same bounding box and haversine, and checks itself against zips_within on a sample.
"""

import bisect
import math
import random
from functools import cache

import zipcodes

from core import geo

CELL_DEGREES = 0.5
MAX_RADIUS_MILES = 25

# The 50 largest US metro areas (2020 census MSA population, millions) and a downtown ZIP.
METROS = (
    ("New York", "10001", 20.1),
    ("Los Angeles", "90012", 13.2),
    ("Chicago", "60601", 9.6),
    ("Dallas-Fort Worth", "75201", 7.6),
    ("Houston", "77002", 7.1),
    ("Washington", "20001", 6.4),
    ("Philadelphia", "19103", 6.2),
    ("Miami", "33130", 6.1),
    ("Atlanta", "30303", 6.1),
    ("Boston", "02108", 4.9),
    ("Phoenix", "85004", 4.8),
    ("San Francisco", "94103", 4.7),
    ("Riverside", "92501", 4.6),
    ("Detroit", "48226", 4.4),
    ("Seattle", "98101", 4.0),
    ("Minneapolis", "55401", 3.7),
    ("San Diego", "92101", 3.3),
    ("Tampa", "33602", 3.2),
    ("Denver", "80202", 3.0),
    ("Baltimore", "21201", 2.8),
    ("St. Louis", "63101", 2.8),
    ("Orlando", "32801", 2.7),
    ("Charlotte", "28202", 2.7),
    ("San Antonio", "78205", 2.6),
    ("Portland", "97204", 2.5),
    ("Sacramento", "95814", 2.4),
    ("Pittsburgh", "15222", 2.4),
    ("Austin", "78701", 2.3),
    ("Las Vegas", "89101", 2.3),
    ("Cincinnati", "45202", 2.3),
    ("Kansas City", "64106", 2.2),
    ("Columbus", "43215", 2.1),
    ("Indianapolis", "46204", 2.1),
    ("Cleveland", "44114", 2.1),
    ("San Jose", "95113", 2.0),
    ("Nashville", "37203", 2.0),
    ("Virginia Beach", "23451", 1.8),
    ("Providence", "02903", 1.7),
    ("Jacksonville", "32202", 1.6),
    ("Milwaukee", "53202", 1.6),
    ("Raleigh", "27601", 1.4),
    ("Oklahoma City", "73102", 1.4),
    ("Memphis", "38103", 1.3),
    ("Richmond", "23219", 1.3),
    ("Louisville", "40202", 1.3),
    ("New Orleans", "70112", 1.3),
    ("Salt Lake City", "84101", 1.3),
    ("Hartford", "06103", 1.2),
    ("Buffalo", "14202", 1.2),
    ("Birmingham", "35203", 1.1),
)
US_POPULATION_MILLIONS = 331.4


def footprint_radius(population_millions: float) -> float:
    """Miles from downtown within which a metro's haulers keep their depots: area grows with population."""
    return 12 + 8 * math.sqrt(population_millions)


@cache
def centre(zip_code: str) -> tuple[float, float]:
    """The ZIP's centroid as floats, as core.geo.zips_within reads it."""
    info = geo.lookup(zip_code)
    if info is None:
        raise LookupError(f"{zip_code} is not in the ZIP dataset")
    return float(info.latitude), float(info.longitude)


@cache
def standard_zips() -> tuple[str, ...]:
    """Street-address ZIPs with a centroid (no PO boxes, single-company or military ZIPs): depots and customers."""
    return tuple(
        sorted(
            record["zip_code"]
            for record in zipcodes.list_all()
            if record["zip_code_type"] == "STANDARD" and geo.lookup(record["zip_code"]) is not None
        )
    )


@cache
def _grid() -> dict[tuple[int, int], list[tuple[float, float, str]]]:
    grid: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    for record in zipcodes.list_all():
        info = geo.lookup(record["zip_code"])
        if info is None:
            continue
        lat, lng = float(info.latitude), float(info.longitude)
        grid.setdefault((math.floor(lat / CELL_DEGREES), math.floor(lng / CELL_DEGREES)), []).append(
            (lat, lng, info.zip_code)
        )
    return grid


@cache
def _neighbourhood(zip_code: str) -> tuple[list[float], list[tuple[float, str, float, float]]]:
    """Every ZIP within MAX_RADIUS_MILES of zip_code: (distance, code, |d_lat|, |d_lng|), nearest first."""
    lat, lng = centre(zip_code)
    d_lat = MAX_RADIUS_MILES / 69.0
    d_lng = MAX_RADIUS_MILES / max(1e-6, 69.0 * math.cos(math.radians(lat)))
    found = []
    for row in range(math.floor((lat - d_lat) / CELL_DEGREES), math.floor((lat + d_lat) / CELL_DEGREES) + 1):
        for column in range(math.floor((lng - d_lng) / CELL_DEGREES), math.floor((lng + d_lng) / CELL_DEGREES) + 1):
            for other_lat, other_lng, code in _grid().get((row, column), ()):
                if abs(other_lat - lat) > d_lat or abs(other_lng - lng) > d_lng:
                    continue
                distance = geo.miles_between(lat, lng, other_lat, other_lng)
                if distance <= MAX_RADIUS_MILES:
                    found.append((distance, code, abs(other_lat - lat), abs(other_lng - lng)))
    found.sort()
    return [distance for distance, *_ in found], found


@cache
def zips_within(zip_code: str, radius_miles: int) -> tuple[str, ...]:
    """Exactly core.geo.zips_within(zip_code, radius_miles) for radii up to MAX_RADIUS_MILES, cached."""
    if radius_miles > MAX_RADIUS_MILES:
        raise ValueError(f"radius {radius_miles} is beyond the precomputed {MAX_RADIUS_MILES} miles")
    distances, found = _neighbourhood(zip_code)
    lat, _ = centre(zip_code)
    d_lat = radius_miles / 69.0
    d_lng = radius_miles / max(1e-6, 69.0 * math.cos(math.radians(lat)))
    end = bisect.bisect_right(distances, radius_miles)
    return tuple(code for _, code, a, b in found[:end] if a <= d_lat and b <= d_lng)


def check_against_core(samples: int = 30, seed: int = 7) -> None:
    """Fail loudly if the grid scan ever disagrees with core.geo.zips_within."""
    rng = random.Random(seed)
    for zip_code in rng.sample(standard_zips(), samples):
        radius = rng.randint(5, MAX_RADIUS_MILES)
        if list(zips_within(zip_code, radius)) != geo.zips_within(zip_code, radius):
            raise AssertionError(f"grid scan disagrees with core.geo.zips_within({zip_code!r}, {radius})")


def within(zip_code: str, lat: float, lng: float, miles: float) -> bool:
    other_lat, other_lng = centre(zip_code)
    return geo.miles_between(lat, lng, other_lat, other_lng) <= miles


def zips_around(lat: float, lng: float, miles: float, pool: tuple[str, ...]) -> list[str]:
    """The ZIPs of `pool` whose centroids lie within `miles` of (lat, lng)."""
    return [code for code in pool if within(code, lat, lng, miles)]
