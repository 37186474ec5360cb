"""An independent check of a day's solution: it recomputes every route from the matrix and trusts nothing."""

from __future__ import annotations

from collections import Counter

from routing.distance import DistanceBackend
from routing.prepare import index_places
from routing.problem import Problem, Route, Solution, Stop, Truck


def check(problem: Problem, solution: Solution, *, backend: DistanceBackend) -> list[str]:
    """Return every rule the solution breaks, as sentences (an empty list means it is feasible)."""
    places, home, site_index, stop_index = index_places(problem)
    metres, seconds = backend.matrix(places) if places else ([], [])
    stops = {stop.id: (stop, stop_index[k]) for k, stop in enumerate(problem.stops)}
    trucks = {truck.id: (truck, home[k]) for k, truck in enumerate(problem.trucks)}
    problems: list[str] = []

    served: Counter = Counter()
    route_count: Counter = Counter()
    for route in solution.routes:
        route_count[route.truck_id] += 1
        if route.truck_id not in trucks:
            problems.append(f"Route of unknown truck {route.truck_id!r}.")
            continue
        truck, depot = trucks[route.truck_id]
        served.update(visit.id for visit in route.visits if visit.kind == "stop")
        problems += _check_route(route, truck, depot, stops, site_index, metres, seconds)
    problems += [f"Truck {truck_id!r} has {n} routes (one a day)." for truck_id, n in route_count.items() if n > 1]

    unroutable = Counter(item.stop_id for item in solution.unroutable)
    for stop_id, n in served.items():
        if n > 1:
            problems.append(f"Stop {stop_id!r} is served {n} times.")
        if stop_id in unroutable:
            problems.append(f"Stop {stop_id!r} is both routed and reported unroutable.")
    for stop_id, n in unroutable.items():
        if stop_id not in stops:
            problems.append(f"Unroutable stop {stop_id!r} is not in the problem.")
        elif n > 1:
            problems.append(f"Stop {stop_id!r} is reported unroutable {n} times.")
    for stop_id in stops:
        if stop_id not in served and stop_id not in unroutable:
            problems.append(f"Stop {stop_id!r} is neither routed nor reported unroutable.")
    return problems


def _check_route(
    route: Route,
    truck: Truck,
    depot: int,
    stops: dict[object, tuple[Stop, int]],
    site_index: dict,
    metres: list[list[int]],
    seconds: list[list[int]],
) -> list[str]:
    """Replay one route leg by leg: times, windows, site hours, load, restrictions, shift and distance."""
    name = f"Truck {truck.id!r}"
    problems = []
    if not truck.has_shift:
        problems.append(f"{name} has no shift that day but has a route.")
    if route.start_s < truck.shift_start_s:
        problems.append(f"{name} leaves the depot at {_clock(route.start_s)}, before its shift starts.")
    sites = {site.id: site for site in truck.disposal_sites}
    at, clock, load, distance, n_stops = depot, route.start_s, 0, 0, 0
    for visit in route.visits:
        if visit.kind == "stop":
            if visit.id not in stops:
                problems.append(f"{name} serves unknown stop {visit.id!r}.")
                continue
            stop, place = stops[visit.id]
            what, early, late, service = f"stop {stop.id!r}", stop.window.early, stop.window.late, stop.service_s
            n_stops += 1
            load += stop.load
            if stop.trucks is not None and truck.id not in stop.trucks:
                problems.append(f"{name} may not serve stop {stop.id!r}.")
            if load > truck.capacity:
                problems.append(f"{name} is overloaded at stop {stop.id!r} ({load} > {truck.capacity}).")
        elif visit.kind == "tip":
            site = sites.get(visit.id)
            if site is None:
                problems.append(f"{name} tips at {visit.id!r}, which is not one of its disposal sites.")
                continue
            if not site.is_open:
                problems.append(f"{name} tips at {site.id!r}, which is closed all day.")
            what, early, late, service = f"site {site.id!r}", site.opens_s, site.closes_s, site.service_s
            place = site_index[site]
            load = 0
        else:
            problems.append(f"{name} has a visit of unknown kind {visit.kind!r}.")
            continue
        distance += metres[at][place]
        earliest = clock + seconds[at][place]
        # Waiting is allowed, so service starts at the stated time or, if that is impossible, the earliest.
        begin = max(visit.arrival_s, earliest)
        if visit.arrival_s < earliest:
            problems.append(f"{name} cannot reach {what} by {_clock(visit.arrival_s)} (earliest {_clock(earliest)}).")
        if begin < early:
            problems.append(f"{name} starts at {what} at {_clock(begin)}, before {_clock(early)}.")
        if begin > late:
            problems.append(f"{name} starts at {what} at {_clock(begin)}, after {_clock(late)}.")
        if visit.departure_s < begin + service:
            problems.append(f"{name} leaves {what} at {_clock(visit.departure_s)}, before service ends.")
        if visit.load_after != load:
            problems.append(f"{name} reports load {visit.load_after} after {what}, but it carries {load}.")
        clock, at = max(visit.departure_s, begin + service), place
    distance += metres[at][depot]
    back = clock + seconds[at][depot]
    if n_stops == 0:
        problems.append(f"{name} has a route without stops.")
    if truck.max_stops is not None and n_stops > truck.max_stops:
        problems.append(f"{name} serves {n_stops} stops, more than its limit of {truck.max_stops}.")
    if max(back, route.end_s) > truck.shift_end_s:
        problems.append(f"{name} is back at {_clock(max(back, route.end_s))}, after its shift ends.")
    if route.end_s < back:
        problems.append(f"{name} claims to be back at {_clock(route.end_s)}, but cannot be before {_clock(back)}.")
    if route.distance_m != distance:
        problems.append(f"{name} reports {route.distance_m} m, but its visits are {distance} m.")
    if route.duration_s != route.end_s - route.start_s:
        problems.append(f"{name} reports a duration of {route.duration_s} s, not end - start.")
    return problems


def _clock(seconds: int) -> str:
    """Format seconds since midnight as HH:MM:SS for messages."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
