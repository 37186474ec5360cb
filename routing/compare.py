"""OR-Tools on the same day, for the benchmark's "why PyVRP" comparison only (production uses solver.solve).

The model is the same as solve()'s: time windows, shifts, capacity, truck restrictions, max_stops, optional
stops with the same prize, and tipping trips. OR-Tools has no reloads, so tipping uses the standard trick of
its cvrp_reload example: every open site gets enough optional copies ("tip nodes") for a whole day of
tipping; a tip node's demand is -BIG and the load dimension's slack (0..BIG, fixed to 0 everywhere else) lets
the load after a tip drop to anything >= 0, i.e. the truck empties. Copies cost nothing when unused. The
only simplification: the number of copies is bounded (enough to tip after every full truck of the day plus
one per truck), which never bound on the benchmark days. The first solution comes from parallel cheapest
insertion, then guided local search until the time limit. Times are recomputed after solving by replaying the
visits from shift start with waiting, as check() does.
"""

from __future__ import annotations

import math

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.distance import DistanceBackend
from routing.prepare import prepare, why_left_out
from routing.problem import DisposalSite, Problem, Route, Solution, Unroutable, Visit
from routing.solver import stop_prize_m

HORIZON = 2 * 86_400  # seconds: any schedule of a day fits, and unreachable legs (UNREACHABLE s) never do


def ortools_solve(problem: Problem, *, backend: DistanceBackend, time_limit_s: float) -> Solution:
    """Route the day with OR-Tools' guided local search for time_limit_s seconds."""
    day = prepare(problem, backend=backend)
    stops = sorted(day.candidates)
    trucks = sorted({t for s in stops for t in day.candidates[s]})
    if not stops or not trucks:
        return Solution((), tuple(day.unroutable), "ortools")
    vehicle = {t: v for v, t in enumerate(trucks)}
    prize = stop_prize_m(day.metres)

    # Nodes: the trucks' homes, then one per stop, then the tip copies; each node knows its place.
    homes = sorted({day.home[t] for t in trucks})
    node_place = list(homes)
    node_of_home = {place: k for k, place in enumerate(homes)}
    first_stop = len(node_place)
    node_place += [day.stop[s] for s in stops]
    tips: list[DisposalSite] = []  # by tip node - first_tip
    users: dict[DisposalSite, list[int]] = {}
    for t in trucks:
        for site in problem.trucks[t].open_sites:
            users.setdefault(site, []).append(t)
    for site, site_trucks in users.items():
        load = sum(problem.stops[s].load for s in stops if set(day.candidates[s]) & set(site_trucks))
        capacity = max(1, min(problem.trucks[t].capacity for t in site_trucks))
        tips += [site] * (math.ceil(load / capacity) + len(site_trucks))
    first_tip = len(node_place)
    node_place += [day.site[site] for site in tips]
    n = len(node_place)

    big = max(problem.trucks[t].capacity for t in trucks)
    service = [0] * first_stop + [problem.stops[s].service_s for s in stops] + [site.service_s for site in tips]
    demand = [0] * first_stop + [problem.stops[s].load for s in stops] + [-big] * len(tips)
    counts = [0] * first_stop + [1] * len(stops) + [0] * len(tips)
    metres = [[day.metres[node_place[i]][node_place[j]] for j in range(n)] for i in range(n)]
    # A leg's time includes the service at its start, so the time cumul at a node is when service starts there.
    seconds = [[service[i] + day.seconds[node_place[i]][node_place[j]] for j in range(n)] for i in range(n)]

    starts = [node_of_home[day.home[t]] for t in trucks]
    manager = pywrapcp.RoutingIndexManager(n, len(trucks), starts, starts)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(metres))

    routing.AddDimension(routing.RegisterTransitMatrix(seconds), HORIZON, HORIZON, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    capacities = [problem.trucks[t].capacity for t in trucks]
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(demand), big, capacities, True, "load")
    load_dim = routing.GetDimensionOrDie("load")
    limits = [problem.trucks[t].max_stops or len(stops) for t in trucks]
    routing.AddDimensionWithVehicleCapacity(routing.RegisterUnaryTransitVector(counts), 0, limits, True, "stops")

    for v, t in enumerate(trucks):
        truck = problem.trucks[t]
        for index in (routing.Start(v), routing.End(v)):
            time_dim.CumulVar(index).SetRange(truck.shift_start_s, truck.shift_end_s)
        load_dim.SlackVar(routing.Start(v)).SetValue(0)
    for k, s in enumerate(stops):
        index = manager.NodeToIndex(first_stop + k)
        stop = problem.stops[s]
        time_dim.CumulVar(index).SetRange(stop.window.early, stop.window.late)
        load_dim.SlackVar(index).SetValue(0)  # only a tip may empty the truck
        _allow(routing, index, [vehicle[t] for t in day.candidates[s]], len(trucks))
        routing.AddDisjunction([index], prize)
    for k, site in enumerate(tips):
        index = manager.NodeToIndex(first_tip + k)
        time_dim.CumulVar(index).SetRange(site.opens_s, site.closes_s)
        _allow(routing, index, [vehicle[t] for t in users[site]], len(trucks))
        routing.AddDisjunction([index], 0)

    params = pywrapcp.DefaultRoutingSearchParameters()
    # Parallel cheapest insertion copes with optional stops and tip nodes; path-cheapest-arc, the usual
    # choice, left 172 of the bench's 300 stops unserved in 7 s.
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, round(time_limit_s * 1000)))
    assignment = routing.SolveWithParameters(params)

    routes, loads, served = [], {}, set()
    for v, t in enumerate(trucks):
        sequence = []
        index = routing.Start(v) if assignment else None
        while assignment and not routing.IsEnd(index := assignment.Value(routing.NextVar(index))):
            node = manager.IndexToNode(index)
            sequence.append(("stop", stops[node - first_stop]) if node < first_tip else ("tip", tips[node - first_tip]))
        if any(kind == "stop" for kind, _ in sequence):
            route, loads[t] = _replay(day, t, sequence)
            routes.append(route)
            served |= {item for kind, item in sequence if kind == "stop"}
    unroutable = list(day.unroutable)
    unroutable += [Unroutable(problem.stops[s].id, why_left_out(day, s, loads)) for s in stops if s not in served]
    position = {stop.id: k for k, stop in enumerate(problem.stops)}
    unroutable.sort(key=lambda item: position[item.stop_id])
    return Solution(tuple(routes), tuple(unroutable), "ortools")


def _allow(routing: pywrapcp.RoutingModel, index: int, vehicles: list[int], n_vehicles: int) -> None:
    """Let only these vehicles visit the node (it may still be left unvisited)."""
    # SetAllowedVehiclesForIndex's SWIG binding rejects Python lists in OR-Tools 9.15 (absl::Span), so the
    # other vehicles are removed from the node's vehicle variable instead, which is what it does inside.
    others = [v for v in range(n_vehicles) if v not in vehicles]
    if others:
        routing.VehicleVar(index).RemoveValues(others)


def _replay(day, t: int, sequence: list[tuple[str, object]]) -> tuple[Route, int]:
    """Time a visit sequence from shift start (waiting when early); return the route and its total load."""
    truck = day.problem.trucks[t]
    home = day.home[t]
    at, clock, load, total, distance, visits = home, truck.shift_start_s, 0, 0, 0, []
    for kind, item in sequence:
        if kind == "stop":
            stop = day.problem.stops[item]
            place, early, service, ident = day.stop[item], stop.window.early, stop.service_s, stop.id
            load += stop.load
            total += stop.load
        else:
            place, early, service, ident = day.site[item], item.opens_s, item.service_s, item.id
            load = 0
        begin = max(clock + day.seconds[at][place], early)
        distance += day.metres[at][place]
        at, clock = place, begin + service
        visits.append(Visit(kind, ident, begin, clock, load))
    distance += day.metres[at][home]
    end = clock + day.seconds[at][home]
    return Route(truck.id, tuple(visits), truck.shift_start_s, end, distance, end - truck.shift_start_s), total
