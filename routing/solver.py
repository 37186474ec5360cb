"""The production route solver (PyVRP), its time budget, and cheap insertion costs for quoting.

How the day maps onto PyVRP 0.14 (checked against the installed package):
- Each truck is its own vehicle type (num_available=1) starting and ending at a depot for its home, with the
  shift as the vehicle's time window and its capacity as the only load dimension (clients are pickups: a
  collection truck fills up).
- Tipping: every open disposal site is a depot with the site's hours as its time window and the tip time as
  its service duration; each truck lists its own open sites as reload_depots. A reload empties the truck
  (PyVRP resets every load dimension there). A truck whose sites are all closed gets no reload depots, so
  its capacity is the limit for the whole day.
- Truck restrictions: PyVRP 0.14 has no "allowed vehicles" per client, so trucks are grouped by the set of
  stops they may serve and each group gets its own routing profile in which every edge into or out of a
  stop it may not serve costs UNREACHABLE metres and ten days of driving. Such a route breaks any shift, so
  it is never feasible and never part of the returned (feasible) solution.
- max_stops: reloads reset every load dimension, so a "count" dimension would only limit stops per trip.
  Instead, when a limit can bind, every edge into a stop costs STOP_WEIGHT extra metres in every profile
  and a limited truck gets max_distance = STOP_WEIGHT * (max_stops + 1) - 1. A route's distance is then
  STOP_WEIGHT * stops + real metres, and the limit holds exactly while a route drives under STOP_WEIGHT
  (10,000 km) of real roads in a day. The extra is the same for every served stop, so it does not change
  which routes are cheaper; prizes are raised by it so serving a stop stays worth it.
- Stops are optional with a prize above any detour (stop_prize_m), so an overloaded day still returns the routes
  that fit; the stops left out are reported as unroutable.
"""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pyvrp
from pyvrp import IteratedLocalSearch, Model, PenaltyManager, PenaltyParams, RandomNumberGenerator, SolveParams
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
from pyvrp.search import LocalSearch, NeighbourhoodParams, PerturbationManager, PerturbationParams, compute_neighbours
from pyvrp.stop import MaxRuntime

from routing.baseline import baseline_order
from routing.distance import UNREACHABLE, DistanceBackend, PairDistance
from routing.prepare import Day, prepare, why_left_out
from routing.problem import DisposalSite, Place, Problem, Route, Solution, Unroutable, Visit
from routing.validate import check

__all__ = ["baseline_order", "check", "insertion_cost_m", "production_time_limit_s", "solve"]

STOP_WEIGHT = 10_000_000  # metres added per stop visit when max_stops is modelled (see the module docstring)

# (stops, seconds), measured with bench.routing on 2 cores against the goals (p50 <= 2 s at 100 stops and
# <= 10 s at 300; within 3% of a 60 s solve at 100). At 100 stops 1.5 s landed 2-6% above the 60 s solve
# and 1.9 s 2.1% (p50 1.92 s): quality wants more time than the latency goal leaves, so 1.9 s it is.
_TIME_LIMITS = ((0, 0.3), (25, 0.5), (100, 1.9), (300, 7.0))
_MAX_TIME_LIMIT_S = 30.0
# Search settings for short production budgets (a few thousand iterations), tuned on bench.routing's days:
# PyVRP's defaults (50 neighbours, 25 perturbations, a 300-solution late-acceptance history) are made for
# long runs; with a 300-solution history a 1 s solve barely starts to climb.
_NEVER_S = 10 * 86_400
_NEIGHBOURS = 20
_MAX_PERTURBATIONS = 10
_HISTORY = 20


def production_time_limit_s(n_stops: int) -> float:
    """Return the seconds solve() should search for a day of n_stops stops in production."""
    points = _TIME_LIMITS
    for (n0, t0), (n1, t1) in pairwise(points):
        if n_stops <= n1:
            return t0 + (t1 - t0) * max(0, n_stops - n0) / (n1 - n0)
    # Past the last measurement the search space grows roughly linearly; the cap keeps a re-plan bounded.
    (n0, t0), (n1, t1) = points[-2], points[-1]
    return min(_MAX_TIME_LIMIT_S, t1 + (t1 - t0) * (n_stops - n1) / (n1 - n0))


def stop_prize_m(metres: list[list[int]]) -> int:
    """Return what serving a stop is worth in metres: more than any detour to serve it, tip trip included."""
    # Inserting a stop, even with an extra tip trip, adds at most four legs (triangle inequality); a prize
    # above that means a stop is only dropped when it cannot fit. It must not be much larger: the search's
    # penalties are scaled to it (see _search), and a prize far above what breaking a window or the capacity
    # costs would make an infeasible day look better than dropping a stop.
    longest = max((d for row in metres for d in row if d < UNREACHABLE), default=0)
    return 4 * longest + 10_000


def solve(problem: Problem, *, backend: DistanceBackend, time_limit_s: float, seed: int = 0) -> Solution:
    """Route the day with PyVRP for time_limit_s seconds; stops that do not fit come back as unroutable."""
    day = prepare(problem, backend=backend)
    stops = sorted(day.candidates)
    trucks = sorted({t for s in stops for t in day.candidates[s]})
    if not stops or not trucks:
        return Solution((), tuple(day.unroutable), "pyvrp")
    data, site_of_depot = _build(day, stops, trucks)
    best = _search(data, prize=stop_prize_m(day.metres), time_limit_s=time_limit_s, seed=seed)
    return _translate(day, stops, trucks, site_of_depot, best)


def _search(data: pyvrp.ProblemData, *, prize: int, time_limit_s: float, seed: int) -> pyvrp.Solution:
    """Run PyVRP's iterated local search with penalties scaled to the prize; return the best feasible day."""
    # pyvrp.solve() starts every penalty at 50,000 and caps it at 100,000, both blind to the prize. Too high
    # and a stop that needs a tip trip is never tried (it overloads first, then gains its tip); too low and
    # on an overloaded day keeping a stop while breaking capacity or windows beats dropping it, so the
    # search never finds a feasible day. So: start low (a stop's worth buys 10 units of overload or 10
    # minutes late), allow penalties above the prize, and adapt them every 50 solutions instead of 500 since a
    # production solve runs only a few thousand iterations. The rest is pyvrp.solve() as shipped.
    params = SolveParams(
        ils=IteratedLocalSearchParams(history_length=_HISTORY),
        penalty=PenaltyParams(solutions_between_updates=50, max_penalty=2.0 * prize),
        neighbourhood=NeighbourhoodParams(num_neighbours=_NEIGHBOURS),
        perturbation=PerturbationParams(1, _MAX_PERTURBATIONS),
    )
    initial = ([prize / 10] * data.num_load_dimensions, prize / 600, 1.0)
    rng = RandomNumberGenerator(seed=seed)
    perturbation = PerturbationManager(params.perturbation)
    search = LocalSearch(data, rng, compute_neighbours(data, params.neighbourhood), perturbation)
    for operator in params.operators:
        if operator.supports(data):
            search.add_operator(operator(data))
    penalties = PenaltyManager(initial, params.penalty)
    start = search(pyvrp.Solution.make_random(data, rng), penalties.cost_evaluator(), exhaustive=True)
    algorithm = IteratedLocalSearch(data, penalties, search, start, params.ils)
    with warnings.catch_warnings():
        # An overloaded day keeps some penalty at its cap; that is expected here, not a scaling problem.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = algorithm.run(MaxRuntime(time_limit_s), collect_stats=False, display=False)
    return result.best


def _build(day: Day, stops: list[int], trucks: list[int]) -> tuple[pyvrp.ProblemData, dict[int, DisposalSite]]:
    """Build the PyVRP data: depots for homes and open sites, one client per stop, one type per truck."""
    problem = day.problem
    model = Model()
    locations = [model.add_location(x=place.lng, y=place.lat) for place in day.places]
    homes = {}
    sites: dict[DisposalSite, pyvrp.Depot] = {}
    site_of_depot: dict[int, DisposalSite] = {}
    for t in trucks:
        if day.home[t] not in homes:
            homes[day.home[t]] = model.add_depot(locations[day.home[t]], name=f"home {problem.trucks[t].id}")
    for t in trucks:
        for site in problem.trucks[t].open_sites:
            if site not in sites:
                site_of_depot[len(model.depots)] = site
                sites[site] = model.add_depot(
                    locations[day.site[site]],
                    tw_early=site.opens_s,
                    tw_late=site.closes_s,
                    service_duration=site.service_s,
                    name=f"site {site.id}",
                )

    # A max_stops limit can only bind when the truck could be offered more stops than it may take.
    binding = any(
        problem.trucks[t].max_stops is not None
        and problem.trucks[t].max_stops < sum(t in day.candidates[s] for s in stops)
        for t in trucks
    )
    prize = stop_prize_m(day.metres)
    for s in stops:
        stop = problem.stops[s]
        model.add_client(
            locations[day.stop[s]],
            pickup=[stop.load],
            service_duration=stop.service_s,
            tw_early=stop.window.early,
            tw_late=stop.window.late,
            prize=prize + (STOP_WEIGHT if binding else 0),
            required=False,
            name=str(stop.id),
        )

    base_m = np.array(day.metres, dtype=np.int64)
    # Ten days is already "never" for a shift; capping there keeps penalties times time warp far from overflow.
    base_s = np.minimum(np.array(day.seconds, dtype=np.int64), _NEVER_S)
    stop_cols = np.array([day.stop[s] for s in stops])
    if binding:
        base_m[:, stop_cols] += STOP_WEIGHT
    # One profile per distinct set of stops a truck may not serve; most days have one or two.
    profiles: dict[frozenset[int], tuple[pyvrp.Profile, np.ndarray, np.ndarray]] = {}
    distance_matrices, duration_matrices = [], []
    for t in trucks:
        forbidden = frozenset(day.stop[s] for s in stops if t not in day.candidates[s])
        if forbidden not in profiles:
            metres, seconds = base_m.copy(), base_s.copy()
            cols = sorted(forbidden)
            for matrix, never in ((metres, UNREACHABLE), (seconds, _NEVER_S)):
                matrix[:, cols] = never
                matrix[cols, :] = never
                np.fill_diagonal(matrix, 0)
            profiles[forbidden] = (model.add_profile(name=f"profile {len(profiles)}"), metres, seconds)
            distance_matrices.append(metres)
            duration_matrices.append(seconds)
        truck = problem.trucks[t]
        limited = binding and truck.max_stops is not None
        model.add_vehicle_type(
            num_available=1,
            capacity=[truck.capacity],
            start_depot=homes[day.home[t]],
            end_depot=homes[day.home[t]],
            tw_early=truck.shift_start_s,
            tw_late=truck.shift_end_s,
            reload_depots=[sites[site] for site in truck.open_sites],
            profile=profiles[forbidden][0],
            max_distance=STOP_WEIGHT * (truck.max_stops + 1) - 1 if limited else np.iinfo(np.int64).max,
            name=str(truck.id),
        )
    # Model.add_edge builds one Python object per pair (90k for 300 stops); handing PyVRP the numpy matrices
    # directly is the same data at a fraction of the cost.
    data = model.data().replace(distance_matrices=distance_matrices, duration_matrices=duration_matrices)
    return data, site_of_depot


def _translate(
    day: Day, stops: list[int], trucks: list[int], site_of_depot: dict[int, DisposalSite], best: pyvrp.Solution
) -> Solution:
    """Turn PyVRP's best solution into Routes, timed by its schedule, and the stops it left out."""
    problem = day.problem
    routes: dict[int, Route] = {}
    loads: dict[int, int] = {}
    served: set[int] = set()
    for pv_route in best.routes():
        # The search returns a feasible solution whenever it found one (an empty day always is); this only
        # guards against trusting a route that breaks a constraint should it ever not.
        if not pv_route.is_feasible():
            continue
        t = trucks[pv_route.vehicle_type()]
        home = day.home[t]
        schedule = pv_route.schedule()
        visits, load, total, at, distance = [], 0, 0, home, 0
        for activity in schedule[1:-1]:
            if activity.is_client():
                s = stops[activity.idx]
                stop = problem.stops[s]
                load += stop.load
                total += stop.load
                served.add(s)
                visits.append(Visit("stop", stop.id, activity.start_time, activity.end_time, load))
                nxt = day.stop[s]
            else:
                site = site_of_depot[activity.idx]
                load = 0
                visits.append(Visit("tip", site.id, activity.start_time, activity.end_time, 0))
                nxt = day.site[site]
            distance += day.metres[at][nxt]
            at = nxt
        distance += day.metres[at][home]
        start, end = schedule[0].end_time, schedule[-1].start_time
        routes[t] = Route(problem.trucks[t].id, tuple(visits), start, end, distance, end - start)
        loads[t] = total
    unroutable = list(day.unroutable)
    for s in stops:
        if s not in served:
            unroutable.append(Unroutable(problem.stops[s].id, why_left_out(day, s, loads)))
    order = {stop.id: k for k, stop in enumerate(problem.stops)}
    unroutable.sort(key=lambda item: order[item.stop_id])
    return Solution(tuple(routes[t] for t in sorted(routes)), tuple(unroutable), "pyvrp")


def insertion_cost_m(route_places: list[Place], new: Place, *, backend: DistanceBackend) -> int:
    """Return the metres a new stop adds at its cheapest place in an ordered depot -> ... -> depot sequence."""
    if len(route_places) < 2:
        raise ValueError("route_places must start and end with the depot")
    if isinstance(backend, PairDistance):
        # Straight lines answer each pair directly: 3 distances per gap instead of a whole matrix.
        def metres(a: Place, b: Place) -> int:
            return backend.distance_m(a, b)
    else:
        # Other backends only answer matrices; one over the distinct places is a single call.
        unique = list(dict.fromkeys([*route_places, new]))
        position = {place: k for k, place in enumerate(unique)}
        table, _ = backend.matrix(unique)

        def metres(a: Place, b: Place) -> int:
            return table[position[a]][position[b]]

    return min(metres(a, new) + metres(new, b) - metres(a, b) for a, b in pairwise(route_places))
