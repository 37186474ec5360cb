"""Distance backends: straight lines for tests and offline use, an OSRM table service for real roads."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from typing import Protocol, runtime_checkable

from routing.problem import Place

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
# What an unreachable pair costs: far beyond any shift and any day's driving, yet small enough that sums over
# a route of hundreds of legs stay exact in 64-bit integers (and below PyVRP's 2**44 ceiling).
UNREACHABLE = 1_000_000_000


class RoutingUnavailable(Exception):
    """The road network service could not answer; callers may fall back to straight lines or retry."""


class DistanceBackend(Protocol):
    """Anything that turns places into integer (metres, seconds) matrices, row = from, column = to."""

    def matrix(self, places: list[Place]) -> tuple[list[list[int]], list[list[int]]]:
        """Return (metres, seconds) between every ordered pair of places."""
        ...


@runtime_checkable
class PairDistance(Protocol):
    """A backend that can also answer a single pair cheaply (insertion costs use it when available)."""

    def distance_m(self, a: Place, b: Place) -> int:
        """Return the metres from a to b."""
        ...


def haversine_m(a: Place, b: Place) -> float:
    """Return the great-circle metres between two places."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class StraightLine:
    """Great-circle distance times a circuity factor (roads are not straight), driven at a constant speed."""

    def __init__(self, circuity: float = 1.3, speed_kmh: float = 35.0) -> None:
        if circuity <= 0 or speed_kmh <= 0:
            raise ValueError("circuity and speed_kmh must be positive")
        self.circuity = circuity
        self.speed_kmh = speed_kmh

    def distance_m(self, a: Place, b: Place) -> int:
        """Return the road-like metres from a to b."""
        return round(haversine_m(a, b) * self.circuity)

    def duration_s(self, metres: int) -> int:
        """Return the seconds it takes to drive the given metres."""
        return round(metres * 3.6 / self.speed_kmh)

    def matrix(self, places: list[Place]) -> tuple[list[list[int]], list[list[int]]]:
        """Return (metres, seconds) between every ordered pair of places."""
        metres = [[0] * len(places) for _ in places]
        for i, a in enumerate(places):
            row = metres[i]
            for j in range(i + 1, len(places)):
                # Symmetric, so each pair is computed once; the mirror cell gets the same value.
                row[j] = metres[j][i] = self.distance_m(a, places[j])
        seconds = [[self.duration_s(d) for d in row] for row in metres]
        return metres, seconds


class RoadNetwork:
    """An OSRM-compatible table service (GET /table/v1/driving/...), split into blocks it accepts."""

    def __init__(self, url: str, timeout_s: float = 10.0, *, max_table_size: int = 100) -> None:
        # osrm-routed refuses tables over --max-table-size coordinates (100 by default), so big matrices
        # are asked for in blocks of sources x destinations that stay within it.
        if max_table_size < 2:
            raise ValueError("max_table_size must be at least 2")
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_table_size = max_table_size

    def matrix(self, places: list[Place]) -> tuple[list[list[int]], list[list[int]]]:
        """Return (metres, seconds) between every ordered pair of places; unreachable pairs cost UNREACHABLE."""
        n = len(places)
        metres = [[0] * n for _ in range(n)]
        seconds = [[0] * n for _ in range(n)]
        if n < 2:
            return metres, seconds
        if n <= self.max_table_size:
            blocks = [(list(range(n)), list(range(n)))]
        else:
            half = self.max_table_size // 2
            chunks = [list(range(i, min(i + half, n))) for i in range(0, n, half)]
            blocks = [(src, dst) for src in chunks for dst in chunks]
        for sources, destinations in blocks:
            self._fill(places, sources, destinations, metres, seconds)
        for i in range(n):
            metres[i][i] = seconds[i][i] = 0
        return metres, seconds

    def _fill(
        self,
        places: list[Place],
        sources: list[int],
        destinations: list[int],
        metres: list[list[int]],
        seconds: list[list[int]],
    ) -> None:
        """Ask for one block and copy it into the full matrices."""
        coords = sorted(set(sources) | set(destinations))
        position = {index: k for k, index in enumerate(coords)}
        # OSRM wants longitude first, six decimals is ~10 cm.
        path = ";".join(f"{places[i].lng:.6f},{places[i].lat:.6f}" for i in coords)
        query = "annotations=distance,duration"
        if len(coords) != len(sources) or len(coords) != len(destinations):
            query += "&sources=" + ";".join(str(position[i]) for i in sources)
            query += "&destinations=" + ";".join(str(position[j]) for j in destinations)
        body = self._get(f"{self.url}/table/v1/driving/{path}?{query}")
        distances, durations = body.get("distances"), body.get("durations")
        if not isinstance(distances, list) or not isinstance(durations, list) or len(distances) != len(sources):
            raise RoutingUnavailable(f"The road network service at {self.url} sent a table of the wrong shape.")
        for si, i in enumerate(sources):
            for dj, j in enumerate(destinations):
                metres[i][j] = _cell(distances[si][dj])
                seconds[i][j] = _cell(durations[si][dj])

    def _get(self, url: str) -> dict:
        """GET a table and return its JSON body, or raise RoutingUnavailable."""
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise RoutingUnavailable(f"The road network service at {self.url} answered HTTP {exc.code}.") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise RoutingUnavailable(f"The road network service at {self.url} is unreachable: {exc}.") from exc
        except ValueError as exc:
            raise RoutingUnavailable(f"The road network service at {self.url} sent invalid JSON.") from exc
        if not isinstance(body, dict) or body.get("code") != "Ok":
            code = body.get("code") if isinstance(body, dict) else None
            raise RoutingUnavailable(f"The road network service at {self.url} refused the table ({code}).")
        return body


def _cell(value: float | None) -> int:
    """Round one table cell to an integer; OSRM sends null for pairs with no road between them."""
    if value is None:
        return UNREACHABLE
    return min(UNREACHABLE, max(0, round(value)))


def backend_for(url: str | None, *, circuity: float = 1.3, speed_kmh: float = 35.0) -> DistanceBackend:
    """Return the road network at url when one is configured, else straight lines."""
    if url:
        return RoadNetwork(url)
    return StraightLine(circuity=circuity, speed_kmh=speed_kmh)
