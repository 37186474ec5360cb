"""What every solver of a day needs first: one matrix over all its places, and the stops no truck can take."""

from __future__ import annotations

from dataclasses import dataclass

from routing.distance import DistanceBackend
from routing.problem import (
    NO_ROOM,
    NO_SHIFT,
    NO_TRUCK,
    OUT_OF_WINDOW,
    SITES_CLOSED,
    DisposalSite,
    Place,
    Problem,
    Stop,
    Truck,
    Unroutable,
)


@dataclass
class Day:
    """A problem with its matrix: homes, then disposal sites, then one place per stop."""

    problem: Problem
    places: list[Place]
    metres: list[list[int]]
    seconds: list[list[int]]
    home: list[int]  # place index of each truck's depot, by truck position
    site: dict[DisposalSite, int]  # place index of each disposal site
    stop: list[int]  # place index of each stop, by stop position
    candidates: dict[int, list[int]]  # stop position -> positions of the trucks that could serve it alone
    unroutable: list[Unroutable]  # the stops left out before any solving, with their reasons


def index_places(problem: Problem) -> tuple[list[Place], list[int], dict[DisposalSite, int], list[int]]:
    """Lay out every place of the day once: (places, home indices, site indices, stop indices)."""
    ids = [stop.id for stop in problem.stops]
    if len(set(ids)) != len(ids):
        raise ValueError("stop ids must be unique")
    if len({truck.id for truck in problem.trucks}) != len(problem.trucks):
        raise ValueError("truck ids must be unique")
    places: list[Place] = []
    seen: dict[Place, int] = {}
    home = []
    for truck in problem.trucks:
        # Trucks of one yard share its place, so the matrix does not grow with the fleet.
        if truck.depot not in seen:
            seen[truck.depot] = len(places)
            places.append(truck.depot)
        home.append(seen[truck.depot])
    site: dict[DisposalSite, int] = {}
    for truck in problem.trucks:
        for disposal in truck.disposal_sites:
            if disposal not in site:
                site[disposal] = len(places)
                places.append(disposal.place)
    stop = []
    for item in problem.stops:
        stop.append(len(places))
        places.append(item.place)
    return places, home, site, stop


def prepare(problem: Problem, *, backend: DistanceBackend) -> Day:
    """Build the day's matrix and sort out the stops that no truck could serve even on its own."""
    places, home, site, stop = index_places(problem)
    metres, seconds = backend.matrix(places) if places else ([], [])
    day = Day(problem, places, metres, seconds, home, site, stop, {}, [])
    for s, item in enumerate(problem.stops):
        reason, trucks = _precheck(day, s, item)
        if reason:
            day.unroutable.append(Unroutable(item.id, reason))
        else:
            day.candidates[s] = trucks
    return day


def _precheck(day: Day, s: int, stop: Stop) -> tuple[str | None, list[int]]:
    """Return (reason, []) when no truck could serve the stop on a trip of its own, else (None, trucks)."""
    trucks = day.problem.trucks
    if not any(truck.has_shift for truck in trucks):
        return NO_SHIFT, []
    allowed = [t for t, truck in enumerate(trucks) if _may_serve(truck, stop)]
    if not allowed:
        return NO_TRUCK, []
    allowed = [t for t in allowed if trucks[t].max_stops != 0]
    if not allowed:  # every truck that could take it has done all the stops of its shift already
        return NO_ROOM, []
    working = [t for t in allowed if trucks[t].has_shift]
    if not working:
        return NO_SHIFT, []
    reachable = [t for t in working if _direct_trip_fits(day, trucks[t], day.home[t], day.stop[s], stop)]
    if not reachable:
        return OUT_OF_WINDOW, []
    return None, reachable


def _may_serve(truck: Truck, stop: Stop) -> bool:
    """Whether the truck is allowed to take the container and it fits in an empty truck."""
    if stop.trucks is not None and truck.id not in stop.trucks:
        return False
    return stop.load <= truck.capacity


def _direct_trip_fits(day: Day, truck: Truck, home: int, at: int, stop: Stop) -> bool:
    """Whether depot -> stop -> depot fits the shift with service starting inside the window."""
    start = max(truck.shift_start_s + day.seconds[home][at], stop.window.early)
    if start > stop.window.late:
        return False
    return start + stop.service_s + day.seconds[at][home] <= truck.shift_end_s


def why_left_out(day: Day, s: int, loads: dict[int, int]) -> str:
    """Explain a stop a solver could not fit, given the load each truck carries: no site to empty, or no time."""
    stop = day.problem.stops[s]
    # Only when every truck that could take it is already too full and has no open site to empty at.
    full = all(
        not day.problem.trucks[t].open_sites and loads.get(t, 0) + stop.load > day.problem.trucks[t].capacity
        for t in day.candidates[s]
    )
    return SITES_CLOSED if full else NO_ROOM
