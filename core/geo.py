"""US ZIP code geodata from the offline `zipcodes` dataset.

`zipcodes.matching()` scans all 42,789 records on every call (about 0.3 s), so the
dataset is indexed by ZIP once per process and every lookup here is a dict access.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import zipcodes

EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class ZipInfo:
    zip_code: str
    city: str
    state: str
    latitude: Decimal
    longitude: Decimal
    timezone: str


@cache
def _centroids() -> list[tuple[float, float, str]]:
    """(lat, lng, zip) as floats, for radius scans."""
    return [(float(i.latitude), float(i.longitude), i.zip_code) for i in _index().values()]


@cache
def _index() -> dict[str, ZipInfo]:
    index = {}
    for record in zipcodes.list_all():
        if not record["lat"] or not record["long"]:
            continue
        index[record["zip_code"]] = ZipInfo(
            zip_code=record["zip_code"],
            city=record["city"],
            state=record["state"],
            latitude=Decimal(record["lat"]),
            longitude=Decimal(record["long"]),
            timezone=record["timezone"] or "America/New_York",
        )
    return index


def lookup(zip_code: str) -> ZipInfo | None:
    """The dataset's record for a 5-digit ZIP, or None when it does not exist."""
    return _index().get(zip_code)


def miles_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


def zips_within(zip_code: str, radius_miles: float) -> list[str]:
    """ZIPs whose centroids lie within radius_miles of zip_code's centroid, nearest first."""
    centre = lookup(zip_code)
    if centre is None:
        return []
    lat, lng = float(centre.latitude), float(centre.longitude)
    # A bounding box first keeps the haversine to the few hundred ZIPs near the centre.
    d_lat = radius_miles / 69.0
    d_lng = radius_miles / max(1e-6, 69.0 * math.cos(math.radians(lat)))
    found = []
    for other_lat, other_lng, code in _centroids():
        if abs(other_lat - lat) > d_lat or abs(other_lng - lng) > d_lng:
            continue
        distance = miles_between(lat, lng, other_lat, other_lng)
        if distance <= radius_miles:
            found.append((distance, code))
    return [code for _, code in sorted(found)]
