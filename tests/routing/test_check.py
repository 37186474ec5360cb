"""check() catches broken solutions; insertion costs, the baseline order and the OR-Tools comparison."""

from __future__ import annotations

import dataclasses

import pytest

from routing.compare import ortools_solve
from routing.distance import StraightLine
from routing.problem import NO_ROOM, Place, Problem, Solution, Unroutable, Visit, Window
from routing.solver import baseline_order, check, insertion_cost_m, solve
from tests.routing.builders import BACKEND, CLOSED_SITE, HOUR, random_day, stop, truck

STOPS = (
    stop("a", 0.0, 0.004, load=6, window=Window(7 * HOUR, 9 * HOUR)),
    stop("b", 0.0, 0.008, load=6, window=Window(7 * HOUR, 12 * HOUR)),
    stop("roll", 0.003, 0.006, load=2, trucks=frozenset({"T1"})),
)
PROBLEM = Problem((truck(capacity=10), truck("T2", depot=Place(0.0, 0.05), capacity=10)), STOPS)


@pytest.fixture(scope="module")
def good() -> Solution:
    """A solved day that check() accepts."""
    solution = solve(PROBLEM, backend=BACKEND, time_limit_s=0.3)
    assert check(PROBLEM, solution, backend=BACKEND) == []
    assert solution.unroutable == ()
    return solution


def with_stop(problem: Problem, stop_id, **changes) -> Problem:
    """The same day with one stop changed."""
    stops = tuple(dataclasses.replace(s, **changes) if s.id == stop_id else s for s in problem.stops)
    return dataclasses.replace(problem, stops=stops)


def route_and_visit(solution: Solution, stop_id):
    """The route serving a stop, and that visit."""
    for route in solution.routes:
        for visit in route.visits:
            if visit.kind == "stop" and visit.id == stop_id:
                return route, visit
    raise AssertionError(stop_id)


def test_catches_a_window_violated(good):
    _, visit = route_and_visit(good, "a")
    # The same solution, for a day on which that stop's window closed a minute before the truck came.
    tighter = with_stop(PROBLEM, "a", window=Window(6 * HOUR, visit.arrival_s - 60))
    assert any("stop 'a'" in line and "after" in line for line in check(tighter, good, backend=BACKEND))


def test_catches_an_impossible_arrival_time(good):
    route, visit = route_and_visit(good, "b")
    faster = dataclasses.replace(visit, arrival_s=route.start_s + 1, departure_s=route.start_s + 301)
    broken = dataclasses.replace(route, visits=tuple(faster if v is visit else v for v in route.visits))
    solution = dataclasses.replace(good, routes=tuple(broken if r is route else r for r in good.routes))
    assert any("cannot reach stop 'b'" in line for line in check(PROBLEM, solution, backend=BACKEND))


def test_catches_an_overload(good):
    smaller = dataclasses.replace(PROBLEM, trucks=tuple(dataclasses.replace(t, capacity=5) for t in PROBLEM.trucks))
    assert any("overloaded" in line for line in check(smaller, good, backend=BACKEND))


def test_catches_a_stop_on_a_forbidden_truck(good):
    route, _ = route_and_visit(good, "b")
    forbidden = with_stop(PROBLEM, "b", trucks=frozenset({"someone else"}))
    assert f"Truck {route.truck_id!r} may not serve stop 'b'." in check(forbidden, good, backend=BACKEND)


def test_catches_a_tip_at_a_closed_site(good):
    closed = tuple(dataclasses.replace(t, disposal_sites=(CLOSED_SITE,)) for t in PROBLEM.trucks)
    renamed = []
    for route in good.routes:
        visits = tuple(dataclasses.replace(v, id="closed") if v.kind == "tip" else v for v in route.visits)
        renamed.append(dataclasses.replace(route, visits=visits))
    assert any(v.kind == "tip" for r in good.routes for v in r.visits)
    solution = dataclasses.replace(good, routes=tuple(renamed))
    problems = check(dataclasses.replace(PROBLEM, trucks=closed), solution, backend=BACKEND)
    assert any("closed all day" in line for line in problems)


def test_catches_lost_and_duplicated_stops_and_broken_limits(good):
    lost = dataclasses.replace(good, routes=good.routes[:0], unroutable=())
    assert sum("neither routed nor" in line for line in check(PROBLEM, lost, backend=BACKEND)) == 3
    twice = dataclasses.replace(good, unroutable=(Unroutable("a", NO_ROOM),))
    assert "Stop 'a' is both routed and reported unroutable." in check(PROBLEM, twice, backend=BACKEND)
    route, _ = route_and_visit(good, "a")
    limited = tuple(dataclasses.replace(t, max_stops=1) if t.id == route.truck_id else t for t in PROBLEM.trucks)
    assert len(route.stop_ids) > 1  # the yard's truck takes the whole small day
    assert any("more than its limit" in line for line in check(Problem(limited, STOPS), good, backend=BACKEND))
    late = tuple(dataclasses.replace(t, shift_end_s=route.end_s - 1) for t in PROBLEM.trucks)
    assert any("after its shift ends" in line for line in check(Problem(late, STOPS), good, backend=BACKEND))
    wrong_load = dataclasses.replace(
        route, visits=tuple(dataclasses.replace(v, load_after=v.load_after + 1) for v in route.visits)
    )
    solution = dataclasses.replace(good, routes=tuple(wrong_load if r is route else r for r in good.routes))
    assert any("reports load" in line for line in check(PROBLEM, solution, backend=BACKEND))


class Manhattan:
    """A grid city: x, y in kilometres (as lng, lat), metres = |dx| + |dy|; only matrices, like a road service."""

    calls = 0

    def matrix(self, places):
        type(self).calls += 1
        metres = [[round(1000 * (abs(a.lng - b.lng) + abs(a.lat - b.lat))) for b in places] for a in places]
        return metres, [[m // 10 for m in row] for row in metres]


def test_insertion_cost_by_hand():
    depot, a, b = Place(0, 0), Place(0, 10), Place(10, 10)
    route = [depot, a, b, depot]
    # (5, -5): depot->new->a adds 10 + 20 - 10 = 20; a->new->b 20 + 20 - 10 = 30; b->new->depot 20 + 10 - 20 = 10.
    assert insertion_cost_m(route, Place(5, -5), backend=Manhattan()) == 10_000
    # On the way from a to b: free.
    assert insertion_cost_m(route, Place(10, 5), backend=Manhattan()) == 0
    assert insertion_cost_m([depot, depot], Place(3, 4), backend=Manhattan()) == 14_000
    with pytest.raises(ValueError):
        insertion_cost_m([depot], a, backend=Manhattan())


def test_insertion_cost_with_straight_lines_matches_the_matrix():
    backend = StraightLine()
    route = [Place(30.23, -97.72), Place(30.27, -97.74), Place(30.30, -97.70), Place(30.23, -97.72)]
    new = Place(30.25, -97.69)
    metres, _ = backend.matrix([*route, new])
    by_hand = min(metres[i][4] + metres[4][i + 1] - metres[i][i + 1] for i in range(3))
    assert insertion_cost_m(route, new, backend=backend) == by_hand


def test_baseline_is_deterministic_and_follows_the_hand_rule():
    problem = random_day(3)
    first, again = baseline_order(problem, backend=BACKEND), baseline_order(problem, backend=BACKEND)
    assert first == again and first.solver == "baseline"
    stops = {s.id: s for s in problem.stops}
    for route in first.routes:
        keys = [(stops[i].window.early, stops[i].zip_code, i) for i in route.stop_ids]
        assert keys == sorted(keys)
        # It tips exactly when the next container would not fit.
        load = 0
        for visit in route.visits:
            if visit.kind == "stop":
                load += stops[visit.id].load
                assert visit.load_after == load
            else:
                load = 0
    # Every stop is accounted for, and only the limits of the trucks are broken, never the rules of the day.
    problems = check(problem, first, backend=BACKEND)
    assert not any("neither" in line or "may not serve" in line or "overloaded" in line for line in problems)


def test_baseline_round_robins_between_trucks():
    trucks = (truck("T1"), truck("T2"))
    stops = tuple(stop(k, 0.0, 0.001 * k, zip_code=f"7870{k}") for k in range(4))
    solution = baseline_order(Problem(trucks, stops), backend=BACKEND)
    assert {r.truck_id: r.stop_ids for r in solution.routes} == {"T1": [0, 2], "T2": [1, 3]}


def test_ortools_comparison_passes_the_check():
    problem = random_day(4)
    solution = ortools_solve(problem, backend=BACKEND, time_limit_s=0.5)
    assert solution.solver == "ortools"
    assert check(problem, solution, backend=BACKEND) == []
    assert sum(len(r.stop_ids) for r in solution.routes) + len(solution.unroutable) == len(problem.stops)


def test_unknown_visit_kind_is_reported(good):
    route = good.routes[0]
    odd = dataclasses.replace(route, visits=(*route.visits, Visit("lunch", "x", route.end_s, route.end_s, 0)))
    solution = dataclasses.replace(good, routes=(odd, *good.routes[1:]))
    assert any("unknown kind 'lunch'" in line for line in check(PROBLEM, solution, backend=BACKEND))
