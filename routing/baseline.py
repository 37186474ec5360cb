"""The order a dispatcher makes by hand today: the benchmark's denominator, not a solver.

The rule, kept as simple as the hand-made plan it imitates:
1. Stops are sorted by (window opens, ZIP code, id).
2. In that order, each stop goes to the next truck in a round-robin that may serve it (restrictions, size,
   shift and window as solve() pre-checks them) and still has room under its max_stops.
3. Each truck leaves at shift start and drives its stops in that order, waiting when it is early and
   pressing on when it is late (so windows and shifts may be broken: check() reports it, nobody hides it).
4. When the next container would overflow the truck, it first tips at the nearest of its sites that is
   still open on arrival (or the nearest open that day if none is). With no open site at all the stop is
   left out: "The trucks that can serve it are full, with no disposal site open that day to tip at".
5. The last load stays on the truck for the drive home, exactly as in solve(), so their kilometres compare.
"""

from __future__ import annotations

from routing.distance import DistanceBackend
from routing.prepare import Day, prepare
from routing.problem import NO_ROOM, SITES_CLOSED, Problem, Route, Solution, Stop, Unroutable, Visit


def _order_key(stop: Stop) -> tuple:
    """Sort by window, then ZIP, then id (numbers before text, so 9 comes before 10)."""
    ident = (0, stop.id, "") if isinstance(stop.id, int) else (1, 0, str(stop.id))
    return (stop.window.early, stop.zip_code, ident)


def baseline_order(problem: Problem, *, backend: DistanceBackend) -> Solution:
    """Return the hand-made plan: round-robin assignment, window-then-ZIP order, tip when the next one won't fit."""
    day = prepare(problem, backend=backend)
    trucks = problem.trucks
    order = sorted(day.candidates, key=lambda s: _order_key(problem.stops[s]))
    assigned: dict[int, list[int]] = {t: [] for t in range(len(trucks))}
    unroutable = list(day.unroutable)
    turn = 0
    for s in order:
        allowed = set(day.candidates[s])
        for k in range(len(trucks)):
            t = (turn + k) % len(trucks)
            limit = trucks[t].max_stops
            if t in allowed and (limit is None or len(assigned[t]) < limit):
                assigned[t].append(s)
                turn = t + 1
                break
        else:
            unroutable.append(Unroutable(problem.stops[s].id, NO_ROOM))
    routes = []
    for t, stops in assigned.items():
        if stops:
            route, left_out = _drive(day, t, stops)
            unroutable += [Unroutable(problem.stops[s].id, SITES_CLOSED) for s in left_out]
            if route is not None:
                routes.append(route)
    position = {stop.id: k for k, stop in enumerate(problem.stops)}
    unroutable.sort(key=lambda item: position[item.stop_id])
    return Solution(tuple(routes), tuple(unroutable), "baseline")


def _drive(day: Day, t: int, stops: list[int]) -> tuple[Route | None, list[int]]:
    """Drive truck t through its stops in order; return its route and the stops it had no way to fit."""
    truck = day.problem.trucks[t]
    home = day.home[t]
    metres, seconds = day.metres, day.seconds
    at, clock, load, distance = home, truck.shift_start_s, 0, 0
    visits: list[Visit] = []
    left_out: list[int] = []
    for s in stops:
        stop = day.problem.stops[s]
        if load + stop.load > truck.capacity:
            if not truck.open_sites:
                left_out.append(s)
                continue

            def arrival(site, at=at, clock=clock):
                return clock + seconds[at][day.site[site]]

            still_open = [site for site in truck.open_sites if arrival(site) <= site.closes_s]
            site = min(still_open or truck.open_sites, key=lambda site: metres[at][day.site[site]])
            begin = max(arrival(site), site.opens_s)
            distance += metres[at][day.site[site]]
            at, clock, load = day.site[site], begin + site.service_s, 0
            visits.append(Visit("tip", site.id, begin, clock, 0))
        place = day.stop[s]
        begin = max(clock + seconds[at][place], stop.window.early)
        distance += metres[at][place]
        at, clock, load = place, begin + stop.service_s, load + stop.load
        visits.append(Visit("stop", stop.id, begin, clock, load))
    if not any(visit.kind == "stop" for visit in visits):
        return None, left_out
    distance += metres[at][home]
    end = clock + seconds[at][home]
    route = Route(truck.id, tuple(visits), truck.shift_start_s, end, distance, end - truck.shift_start_s)
    return route, left_out
