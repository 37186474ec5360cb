"""Collection policies over the simulated city (marketplace/demo/city.py), each day routed by the production router.

The same fill, the same sensor noise and the same trucks for every policy; a policy sees only the readings
its sensors sent (never the true fill) and decides at 16:00 the day before each working day (the skip
cutoff; the hauler plans its routes that evening) which bins are collected that day:

- fixed: every bin on its weekday, every week (today's default plan);
- threshold (today's rules): the weekly visit, skipped when the last reading before the cutoff (two days old
  at most) is under skip_below; plus a collection on the coming day for a bin a reading showed at its mark;
- forecast: the rules of sensors/rules.py as marketplace/bins.py applies them, with each bin's forecast fitted
  by sensors/rules.py's fit from its readings (the line since the last emptying on the weekday clock of its
  last four weeks): on demand (no plan), collect when the coming day is the bin's deadline (rules.collect_by
  over its hauler's next bins.DAY_CHOICE_DAYS working days: at its mark, or it would pass its safe level
  by the day after), and a day early a bin due by then that is at its mark on the coming day and adds no
  more than bins.EARLY_KM to its hauler's stops that day (bins.insertion_km, as production judges it);
- forecast_plan: the same rules on top of the weekly plan: can_skip decides the plan visit, the collect
  rule adds a collection before it when the bin would pass its safe level first.
Each working day (Monday to Friday) every hauler's collections are solved with routing.solver.solve as
production's routes.plan_day does: its trucks, their shifts and capacity, tipping trips, each bin's window.
A bin is emptied at its planned arrival; a stop the router could not fit waits for the next working day.
Planned loads are the loose yards the latest reading shows, plus a margin; the loads the trucks really
carry (the true fill at arrival) are checked against their capacity and reported.
"""

import bisect
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from marketplace import bins
from marketplace.capacity import capacity_units
from marketplace.demo import city as city_model
from marketplace.routes import TIP_MINUTES, service_seconds
from routing.distance import StraightLine
from routing.problem import DisposalSite, Place, Problem, Stop, Truck, Window
from routing.solver import production_time_limit_s, solve
from sensors import forecast, rules
from sensors.rules import Forecast

POLICIES = ("fixed", "threshold", "forecast", "forecast_plan")
DECIDE_HOUR = 16
FIT_DAYS = 14
STALE = dt.timedelta(days=2)
RESIDUE = 2.0  # percent left in a bin just emptied
LOAD_MARGIN = 10  # points added to the latest reading when planning a truck's load
HOUR = 3600
# Four haulers, their yards spread over the metro, three front-load trucks each.
DEPOTS = (("North", 30.3890, -97.6890), ("East", 30.2870, -97.6470), ("South", 30.1820, -97.7560),
          ("Southwest", 30.2350, -97.8690))  # fmt: skip
TRUCKS_PER_HAULER = 3
# Loose yards a trip: a 25-yard packer compacting its load about 2.4:1.
TRUCK_LOOSE_YARDS = 60
STOPS_PER_SHIFT = 90
SHIFT = (6 * HOUR, 17 * HOUR + 1800)
SITES = (
    DisposalSite("landfill", Place(30.3560, -97.5860), 6 * HOUR, 17 * HOUR + 1800, TIP_MINUTES * 60),  # northeast
    DisposalSite("transfer", Place(30.2050, -97.7130), 6 * HOUR, 17 * HOUR + 1800, TIP_MINUTES * 60),  # southeast
)


def nearest_depot(item: city_model.Bin) -> int:
    """The hauler a bin is with: the one whose yard is nearest (each hauler serves its part of the metro)."""
    return min(range(len(DEPOTS)), key=lambda d: (DEPOTS[d][1] - item.lat) ** 2 + (DEPOTS[d][2] - item.lng) ** 2)


@dataclass
class Outcome:
    """What one policy did over the measured weeks."""

    name: str
    collections: int = 0
    km: float = 0.0
    overflow_bin_days: int = 0
    bin_days: int = 0
    fills: list[float] = field(default_factory=list)
    unrouted: int = 0  # stops the router could not fit, moved to the next working day
    overloaded_trips: int = 0
    solve_s: float = 0.0
    stops_per_day: list[int] = field(default_factory=list)

    @property
    def mean_fill(self) -> float:
        return float(np.mean(self.fills)) if self.fills else 0.0

    @property
    def overflow_pct(self) -> float:
        return 100 * self.overflow_bin_days / self.bin_days if self.bin_days else 0.0


class Sensors:
    """Each bin's readings so far, as (local time, percent), and what a decision may look at."""

    def __init__(self, size: int):
        self.times: list[list[dt.datetime]] = [[] for _ in range(size)]
        self.values: list[list[int]] = [[] for _ in range(size)]

    def add(self, b: int, at: dt.datetime, value: int) -> None:
        self.times[b].append(at)
        self.values[b].append(value)

    def latest(self, b: int, now: dt.datetime) -> int | None:
        """The latest reading, when it is recent enough to speak for the bin."""
        if not self.times[b] or self.times[b][-1] < now - STALE:
            return None
        return self.values[b][-1]

    def outlook(self, b: int, now: dt.datetime) -> Forecast | None:
        """The forecast as sensors/state.py fits a device's: the line over the last FIT_DAYS, on the weekday
        clock of the last PROFILE_DAYS of readings (the bins' local weekdays)."""
        first = bisect.bisect_left(self.times[b], now - dt.timedelta(days=forecast.PROFILE_DAYS))
        series = list(zip(self.times[b][first:], self.values[b][first:], strict=True))
        return rules.fit(series, days=FIT_DAYS, tz=city_model.TZ) if series else None


def _at(day: dt.date, moment: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, moment, tzinfo=city_model.TZ)


def next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def working_days(day: dt.date, count: int) -> list[dt.date]:
    """`day` (a working day) and the working days after it, `count` in all."""
    found = [day]
    while len(found) < count:
        found.append(next_working_day(found[-1]))
    return found


def decide(
    policy: str,
    city: list[city_model.Bin],
    sensors: Sensors,
    *,
    now: dt.datetime,
    day: dt.date,
    flagged: set[int],
    waiting: set[int] | frozenset[int] = frozenset(),
) -> set[int]:
    """The bins the policy collects on `day`, decided at `now` (16:00 the day before) from readings alone.

    `waiting` are the bins already on `day` (decided, not yet routed): the forecast policies place a bin that
    could wait by what it adds to its hauler's stops that day, as marketplace/bins.py does."""
    chosen = set()
    choice = working_days(day, bins.DAY_CHOICE_DAYS)
    early: list[tuple[int, int, bool]] = []  # (deadline, bin, at its mark on the day): due, not on its deadline
    for item in city:
        b = item.index
        on_plan = item.weekday == day.weekday()
        if policy == "fixed":
            if on_plan:
                chosen.add(b)
            continue
        level = sensors.latest(b, now)
        if policy == "threshold":
            skip = on_plan and level is not None and rules.skip_on_threshold(level=level, skip_below=item.skip_below)
            if (on_plan and not skip) or b in flagged:
                chosen.add(b)
            continue
        outlook = sensors.outlook(b, now)
        window_end = item.window[1]
        if policy == "forecast_plan" and on_plan:
            if outlook is None:
                keep = level is None or not rules.skip_on_threshold(level=level, skip_below=item.skip_below)
            else:
                visit_after = _at(day + dt.timedelta(days=7), window_end)
                keep = not rules.can_skip(outlook=outlook, mark=item.mark, visit_after_at=visit_after)
            if keep:
                chosen.add(b)
            continue
        if outlook is None:
            if level is not None and rules.collect_on_threshold(level=level, mark=item.mark):
                chosen.add(b)
            continue
        next_visit = None
        if policy == "forecast_plan":
            ahead = (item.weekday - day.weekday()) % 7
            next_visit = _at(day + dt.timedelta(days=ahead), window_end)
        chances = [_at(chance, window_end) for chance in choice]
        deadline = rules.collect_by(outlook=outlook, mark=item.mark, chances=chances, next_visit_at=next_visit)
        if deadline == 0:
            chosen.add(b)
        elif deadline is not None:
            early.append((deadline, b, outlook.level_at(chances[0]) >= item.mark))
    # The bins that must go are on the day first; one that could wait joins them where it adds next to nothing.
    stops: dict[int, list[Place]] = {}
    for b in sorted(chosen | set(waiting)):
        stops.setdefault(nearest_depot(city[b]), []).append(Place(city[b].lat, city[b].lng))
    for deadline, b, ready in sorted(early):
        hauler = nearest_depot(city[b])
        here, depot = Place(city[b].lat, city[b].lng), Place(*DEPOTS[hauler][1:])
        km = bins.insertion_km(here, depot, stops.get(hauler, []))
        if bins.collect_early(deadline=deadline, ready=ready, km=km):
            chosen.add(b)
            stops.setdefault(hauler, []).append(here)
    return chosen


def _seconds(moment: dt.time) -> int:
    return moment.hour * HOUR + moment.minute * 60


def day_problem(city: list[city_model.Bin], stops: dict[int, int], *, hauler: int) -> Problem:
    """One hauler's day for the router: its trucks and `stops` (a bin -> its planned load in half yards)."""
    yard = Place(DEPOTS[hauler][1], DEPOTS[hauler][2])
    trucks = tuple(
        Truck(f"{DEPOTS[hauler][0]} {t + 1}", yard, *SHIFT, capacity=capacity_units(False, TRUCK_LOOSE_YARDS),
              max_stops=STOPS_PER_SHIFT, disposal_sites=SITES)
        for t in range(TRUCKS_PER_HAULER)
    )  # fmt: skip
    return Problem(
        trucks,
        tuple(
            Stop(b, Place(city[b].lat, city[b].lng), load, service_seconds(city[b].container, 1),
                 Window(_seconds(city[b].window[0]), _seconds(city[b].window[1])), zip_code=city[b].zip_code)
            for b, load in sorted(stops.items())
        ),
    )  # fmt: skip


def route_day(
    city: list[city_model.Bin],
    stops: dict[int, int],
    *,
    hauler: int,
    time_limit_s: float,
    seed: int,
    backend: StraightLine,
):
    """Solve one hauler's day with the production solver; returns its solution."""
    return solve(day_problem(city, stops, hauler=hauler), backend=backend, time_limit_s=time_limit_s, seed=seed)


def planned_load(item: city_model.Bin, level: int | None) -> int:
    """Half yards the planner books for the stop: the latest reading's share of the loose volume, plus a margin."""
    share = 1.0 if level is None else min(1.0, (level + LOAD_MARGIN) / 100)
    return max(1, math.ceil(2 * item.loose_yards * share))


def simulate(
    policy: str,
    city: list[city_model.Bin],
    increments: np.ndarray,
    noise: city_model.SensorNoise,
    *,
    time_limit: Callable[[int], float] = production_time_limit_s,
    backend: StraightLine | None = None,
    route: bool = True,
    sensors: Sensors | None = None,
) -> Outcome:
    """Run one policy over the warm-up and the measured weeks; without `route`, stops are served at 10:00 (tests
    and the demo); `sensors` collects every reading sent."""
    backend = backend or StraightLine()
    size, hours = increments.shape
    haulers = [nearest_depot(item) for item in city]
    levels = city_model.starting_levels(city)
    sensors = sensors if sensors is not None else Sensors(size)
    flagged: set[int] = set()  # a reading showed the bin at its mark (threshold)
    waiting: set[int] = set()  # decided but not routed yet
    planned: dict[int, dict[int, int]] = {}  # day index -> bin -> the second of the day it is emptied
    routed: dict[int, list] = {}  # day index -> that day's solutions
    outcome = Outcome(policy)
    first = (city_model.START - dt.timedelta(days=city_model.WARM_UP_DAYS)).date()
    for d in range(hours // 24):
        day = first + dt.timedelta(days=d)
        measured = d >= city_model.WARM_UP_DAYS
        overflowed = np.zeros(size, dtype=bool)
        by_hour: dict[int, list[tuple[int, int]]] = {}
        for b, second in planned.pop(d, {}).items():
            by_hour.setdefault(second // HOUR, []).append((b, second))
        emptied_at: dict[int, float] = {}
        for h in range(24):
            hour = d * 24 + h
            gain = increments[:, hour]
            for b, second in by_hour.get(h, []):
                part = (second - h * HOUR) / HOUR
                emptied_at[b] = min(levels[b] + gain[b] * part, 100.0)
                levels[b] = RESIDUE - gain[b] * part  # plus the whole hour's gain below
                flagged.discard(b)
            levels += gain
            overflowed |= levels >= 100
            moment = city_model.hour_moment(hour)
            for item in city:
                if city_model.reports_at(item, hour):
                    value = noise.reading(item.index, hour, levels[item.index])
                    if value is not None:
                        sensors.add(item.index, moment, value)
                        if value >= item.mark:
                            flagged.add(item.index)
            tomorrow = day + dt.timedelta(days=1)
            if h == DECIDE_HOUR - 1 and tomorrow.weekday() < 5:
                # The warm-up runs the weekly round for every policy, so all start the measured weeks alike.
                rule = policy if d + 1 >= city_model.WARM_UP_DAYS else "fixed"
                waiting |= decide(rule, city, sensors, now=moment, day=tomorrow, flagged=flagged, waiting=waiting)
                planned[d + 1], routed[d + 1] = _plan(
                    city, waiting, haulers, sensors, moment, route=route, time_limit=time_limit, backend=backend,
                    seed=d, outcome=outcome if d + 1 >= city_model.WARM_UP_DAYS else None,
                )  # fmt: skip
                waiting -= set(planned[d + 1])
        if measured:
            outcome.collections += len(emptied_at)
            outcome.fills.extend(emptied_at.values())
            outcome.bin_days += size
            outcome.overflow_bin_days += int(overflowed.sum())
            outcome.overloaded_trips += sum(_overloaded(solution, city, emptied_at) for solution in routed.pop(d, []))
    return outcome


def _plan(city, waiting, haulers, sensors, moment, *, route, time_limit, backend, seed, outcome):
    """Route the coming day's stops, hauler by hauler: (bin -> arrival second, the solutions)."""
    stops: dict[int, dict[int, int]] = {}
    for b in sorted(waiting):
        stops.setdefault(haulers[b], {})[b] = planned_load(city[b], sensors.latest(b, moment))
    arrivals, solutions = {}, []
    for hauler, loads in sorted(stops.items()):
        if not route:
            arrivals.update({b: 10 * HOUR for b in loads})
            continue
        began = time.perf_counter()
        solution = route_day(city, loads, hauler=hauler, time_limit_s=time_limit(len(loads)), seed=seed,
                             backend=backend)  # fmt: skip
        solutions.append(solution)
        for r in solution.routes:
            arrivals.update({visit.id: visit.arrival_s for visit in r.visits if visit.kind == "stop"})
        if outcome is not None:
            outcome.solve_s += time.perf_counter() - began
            outcome.km += solution.distance_m / 1000
            outcome.unrouted += len(solution.unroutable)
    if outcome is not None:
        outcome.stops_per_day.append(len(arrivals))
    return arrivals, solutions


def _overloaded(solution, city: list[city_model.Bin], emptied_at: dict[int, float]) -> int:
    """Trips whose true load (each bin's true fill when it was emptied) was over the truck's capacity."""
    capacity = capacity_units(False, TRUCK_LOOSE_YARDS)
    over = 0
    for r in solution.routes:
        load = 0.0
        for visit in r.visits:
            if visit.kind == "tip":
                over += load > capacity
                load = 0.0
            else:
                load += 2 * city[visit.id].loose_yards * emptied_at.get(visit.id, 0.0) / 100
        over += load > capacity
    return over


def unavoidable_overflow_bin_days(city: list[city_model.Bin], increments: np.ndarray) -> int:
    """Bin-days that no Monday-to-Friday policy could keep from overflowing, however well it knew the fill.

    A bin emptied at the very end of Friday's window still gets the weekend's waste until Monday's window
    opens; where that alone passes 100% (a busy restaurant's Friday night and Saturday) it overflows.
    """
    first = (city_model.START - dt.timedelta(days=city_model.WARM_UP_DAYS)).date()
    days = increments.shape[1] // 24
    count = 0
    for d in range(city_model.WARM_UP_DAYS, days):
        if (first + dt.timedelta(days=d)).weekday() != 4:
            continue
        for item in city:
            level = RESIDUE
            start = d * 24 + item.window[1].hour
            end = min(days * 24, (d + 3) * 24 + item.window[0].hour)
            days_over = set()
            for hour in range(start, end):
                level += increments[item.index, hour]
                if level >= 100:
                    days_over.add(hour // 24)
            count += len(days_over)
    return count
