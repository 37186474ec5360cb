"""solve() on small days whose answers are known, and on seeded random days checked by check()."""

from __future__ import annotations

import itertools

import pytest

from routing.problem import (
    NO_ROOM,
    NO_SHIFT,
    NO_TRUCK,
    OUT_OF_WINDOW,
    SITES_CLOSED,
    Place,
    Problem,
    Window,
)
from routing.solver import check, production_time_limit_s, solve
from tests.routing.builders import BACKEND, CLOSED_SITE, HOUR, SITE, YARD, random_day, stop, truck


def solved(problem: Problem, time_limit_s: float = 0.3):
    """Solve with a short budget and insist the answer passes the independent check."""
    solution = solve(problem, backend=BACKEND, time_limit_s=time_limit_s, seed=1)
    assert check(problem, solution, backend=BACKEND) == []
    return solution


def test_finds_the_known_optimum_of_a_small_tour():
    stops = [
        stop(k, lat, lng)
        for k, (lat, lng) in enumerate(
            [(0.01, 0.0), (0.01, 0.012), (0.0, 0.01), (0.005, 0.015), (0.012, 0.006), (0.003, 0.004)]
        )
    ]
    problem = Problem((truck(),), tuple(stops))
    metres, _ = BACKEND.matrix([YARD] + [s.place for s in stops])
    # Six stops: every order can be tried, so the optimum is known exactly.
    optimum = min(
        sum(metres[a][b] for a, b in itertools.pairwise((0, *order, 0)))
        for order in itertools.permutations(range(1, 7))
    )
    solution = solved(problem)
    assert solution.unroutable == ()
    assert [len(r.stop_ids) for r in solution.routes] == [6]
    assert solution.distance_m == optimum


def test_windows_decide_the_order_and_are_respected():
    # Geometry says near first; the windows say far first.
    near = stop("near", 0.0, 0.01, window=Window(10 * HOUR, 11 * HOUR))
    far = stop("far", 0.0, 0.03, window=Window(7 * HOUR, 8 * HOUR))
    solution = solved(Problem((truck(disposal_sites=()),), (near, far)))
    (route,) = solution.routes
    assert route.stop_ids == ["far", "near"]
    arrivals = {v.id: v.arrival_s for v in route.visits}
    assert 7 * HOUR <= arrivals["far"] <= 8 * HOUR
    assert 10 * HOUR <= arrivals["near"] <= 11 * HOUR
    assert route.start_s >= 6 * HOUR and route.end_s <= 18 * HOUR


def test_a_full_truck_tips_mid_route_and_comes_back_empty():
    stops = (stop("a", 0.0, 0.005, load=6), stop("b", 0.0, 0.006, load=6))
    solution = solved(Problem((truck(capacity=10),), stops))
    (route,) = solution.routes
    assert [v.kind for v in route.visits] == ["stop", "tip", "stop"]
    first, tip, second = route.visits
    assert (first.load_after, tip.load_after, second.load_after) == (6, 0, 6)
    assert tip.id == "site" and tip.departure_s - tip.arrival_s == SITE.service_s
    assert first.departure_s <= tip.arrival_s <= second.arrival_s


def test_max_stops_splits_a_day_one_truck_would_take_alone():
    # One truck would serve all six (the other is far away); a limit of three each forces a split.
    near = truck("near", max_stops=3)
    far = truck("far", depot=Place(0.0, 0.05), max_stops=3)
    stops = tuple(stop(k, 0.001 * k, 0.002) for k in range(6))
    assert [len(r.stop_ids) for r in solved(Problem((truck("near"), far), stops)).routes] == [6]
    solution = solved(Problem((near, far), stops))
    assert {r.truck_id: len(r.stop_ids) for r in solution.routes} == {"near": 3, "far": 3}
    assert solution.unroutable == ()


def test_max_stops_holds_across_tips():
    # Reloads reset PyVRP's load dimensions, so the limit must hold over the whole day, not per trip.
    trucks = (truck("a", capacity=2, max_stops=4), truck("b", capacity=2, max_stops=4))
    stops = tuple(stop(k, 0.001 * k, 0.003, load=2) for k in range(7))
    solution = solved(Problem(trucks, stops))
    assert sorted(len(r.stop_ids) for r in solution.routes) == [3, 4]
    for route in solution.routes:
        # Every container fills the truck, so it tips between each two.
        assert sum(v.kind == "tip" for v in route.visits) == len(route.stop_ids) - 1


def test_roll_off_box_goes_on_the_roll_off_truck():
    # The box sits next to the front-loader's yard; only the roll-off truck from far east may take it.
    front = truck("front")
    roll = truck("roll", depot=Place(0.0, 0.08))
    box = stop("box", 0.0, 0.002, trucks=frozenset({"roll"}), load=20)
    cans = tuple(stop(k, 0.0, -0.01 - 0.001 * k) for k in range(3))
    solution = solved(Problem((front, roll), (box, *cans)))
    by_truck = {r.truck_id: r.stop_ids for r in solution.routes}
    assert by_truck["roll"] == ["box"]
    assert sorted(by_truck["front"]) == [0, 1, 2]


def reasons(problem: Problem) -> dict:
    """Map each unroutable stop to its reason."""
    return {item.stop_id: item.reason for item in solved(problem).unroutable}


def test_no_truck_can_serve_the_container():
    problem = Problem(
        (truck("front", capacity=10),),
        (stop("roll", 0, 0.001, trucks=frozenset({"roll"})), stop("huge", 0, 0.002, load=11), stop("ok", 0, 0.003)),
    )
    assert reasons(problem) == {"roll": NO_TRUCK, "huge": NO_TRUCK}


def test_no_truck_has_a_shift():
    off = truck("off", shift_start_s=8 * HOUR, shift_end_s=8 * HOUR)
    assert reasons(Problem((off,), (stop(1, 0, 0.001),))) == {1: NO_SHIFT}
    assert reasons(Problem((), (stop(1, 0, 0.001),))) == {1: NO_SHIFT}
    # The only truck allowed has the day off, even though another works.
    both = Problem((off, truck("on")), (stop(1, 0, 0.001, trucks=frozenset({"off"})), stop(2, 0, 0.001)))
    assert reasons(both) == {1: NO_SHIFT}


def test_a_truck_whose_shift_stops_are_all_done_has_no_room_left():
    spent = truck(max_stops=0)  # a mid-day re-plan: every stop of its shift is behind it
    assert reasons(Problem((spent,), (stop(1, 0, 0.001),))) == {1: NO_ROOM}


def test_every_site_closed_limits_the_day_to_one_load():
    closed = truck(capacity=10, disposal_sites=(CLOSED_SITE,))
    stops = (stop("a", 0, 0.001, load=6), stop("b", 0, 0.002, load=6))
    solution = solved(Problem((closed,), stops))
    assert [len(r.stop_ids) for r in solution.routes] == [1]
    assert [u.reason for u in solution.unroutable] == [SITES_CLOSED]


def test_window_out_of_reach():
    # 0.3 degrees is ~43 km of road: over an hour at 35 km/h, but the window closes 30 minutes into the shift.
    far = stop("far", 0.0, 0.3, window=Window(6 * HOUR, 6 * HOUR + 1800))
    late = stop("late", 0.0, 0.001, window=Window(19 * HOUR, 20 * HOUR))
    assert reasons(Problem((truck(),), (far, late, stop("ok", 0, 0.001)))) == {
        "far": OUT_OF_WINDOW,
        "late": OUT_OF_WINDOW,
    }


def test_no_room_left_in_the_shift():
    short = truck(shift_start_s=8 * HOUR, shift_end_s=11 * HOUR)
    # An hour of service each: three hours of shift hold at most two, with the driving.
    stops = tuple(stop(k, 0.0, 0.001 * (k + 1), service_s=HOUR) for k in range(4))
    solution = solved(Problem((short,), stops))
    assert len(solution.routes[0].stop_ids) == 2
    assert [u.reason for u in solution.unroutable] == [NO_ROOM, NO_ROOM]


@pytest.mark.parametrize("seed", range(10))
def test_random_days_pass_the_independent_check(seed):
    problem = random_day(seed)
    solution = solve(problem, backend=BACKEND, time_limit_s=0.5, seed=seed)
    assert check(problem, solution, backend=BACKEND) == []
    routed = sum(len(r.stop_ids) for r in solution.routes)
    assert routed + len(solution.unroutable) == len(problem.stops)
    # These days are sized to fit: the solver must leave out only what pre-checks rule out.
    assert routed >= 0.9 * len(problem.stops)


def test_production_time_limit_grows_with_the_day():
    limits = [production_time_limit_s(n) for n in (0, 10, 25, 60, 100, 200, 300, 600, 5000)]
    assert limits == sorted(limits) and limits[0] > 0 and limits[-1] <= 30
    assert production_time_limit_s(100) <= 2 and production_time_limit_s(300) <= 10
