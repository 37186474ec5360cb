"""The data of a collection day: trucks, stops, disposal sites in; routes and unroutable stops out.

Times are integer seconds since local midnight of the route's day, distances integer metres, loads integer
capacity units (converting a container to units is the caller's job). Everything is frozen and hashable.
"""

from __future__ import annotations

from dataclasses import dataclass

# The reasons a stop is left unrouted, worded for a dispatcher; callers may match on them.
NO_TRUCK = "No truck can serve this container."
NO_SHIFT = "No truck has a shift that day."
SITES_CLOSED = "The trucks that can serve it are full, with no disposal site open that day to tip at."
OUT_OF_WINDOW = "It cannot be reached within its arrival window."
NO_ROOM = "No room left in the trucks' shifts that day."


@dataclass(frozen=True)
class Place:
    """A point on the map in WGS84 degrees."""

    lat: float
    lng: float


@dataclass(frozen=True)
class Window:
    """The interval in which service at a stop must start."""

    early: int
    late: int


@dataclass(frozen=True)
class Stop:
    """A pickup: a container to empty into the truck within its arrival window."""

    id: int | str
    place: Place
    load: int
    service_s: int
    window: Window
    trucks: frozenset | None = None  # ids of the trucks that may serve it; None means any truck
    zip_code: str = ""  # only the hand-made baseline order looks at it


@dataclass(frozen=True)
class DisposalSite:
    """A landfill or transfer station; a tip must start between opens_s and closes_s."""

    id: int | str
    place: Place
    opens_s: int
    closes_s: int
    service_s: int = 900

    @property
    def is_open(self) -> bool:
        """Whether the site opens at all that day (closes_s <= opens_s means closed all day)."""
        return self.closes_s > self.opens_s


@dataclass(frozen=True)
class Truck:
    """One truck's day: its home depot, shift, capacity and the disposal sites it may tip at."""

    id: int | str
    depot: Place
    shift_start_s: int
    shift_end_s: int
    capacity: int
    max_stops: int | None = None
    disposal_sites: tuple[DisposalSite, ...] = ()

    @property
    def has_shift(self) -> bool:
        """Whether the truck works that day at all."""
        return self.shift_end_s > self.shift_start_s

    @property
    def open_sites(self) -> tuple[DisposalSite, ...]:
        """The truck's disposal sites that open that day."""
        return tuple(site for site in self.disposal_sites if site.is_open)


@dataclass(frozen=True)
class Problem:
    """One day of one hauler: its trucks and the stops to route."""

    trucks: tuple[Truck, ...]
    stops: tuple[Stop, ...]


@dataclass(frozen=True)
class Visit:
    """A stop served or a tip at a disposal site; arrival_s is the start of service."""

    kind: str  # "stop" or "tip"
    id: int | str  # the stop's id, or the disposal site's id for a tip
    arrival_s: int
    departure_s: int
    load_after: int


@dataclass(frozen=True)
class Route:
    """One truck's day: leaves the depot at start_s, back at end_s."""

    truck_id: int | str
    visits: tuple[Visit, ...]
    start_s: int
    end_s: int
    distance_m: int
    duration_s: int

    @property
    def stop_ids(self) -> list[int | str]:
        """The ids of the stops served, in order."""
        return [visit.id for visit in self.visits if visit.kind == "stop"]


@dataclass(frozen=True)
class Unroutable:
    """A stop left out of every route, and why."""

    stop_id: int | str
    reason: str


@dataclass(frozen=True)
class Solution:
    """The routes of a day (trucks without stops left out) and the stops no route serves."""

    routes: tuple[Route, ...]
    unroutable: tuple[Unroutable, ...]
    solver: str

    @property
    def distance_m(self) -> int:
        """The metres driven by every route together."""
        return sum(route.distance_m for route in self.routes)
