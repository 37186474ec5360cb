"""Capacity by kind of work: does one more job fit a hauler's trucks that day?

Each truck serves some containers in its shift and does at most `stops_per_shift` stops. A hauler's jobs
on a day (scheduled or done, plus offers it holds) fit its fleet when every job can be given a truck that
serves its container in a shift overlapping its window, without any truck going over its stops: a small
maximum-flow problem (jobs grouped by container and window on one side, trucks on the other), solved
exactly (or, when every job may go on the same trucks, answered by counting their stops), so a 40-yard
roll-off never borrows a slot of the cart truck, a morning truck never counts for an afternoon job, and
the last slot of a truck is never sold twice. A job larger than a truck's load per trip is not that
truck's. Pure functions over plain values.
"""

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from core.catalog import CONTAINER_YARDS, is_roll_off


def load_units(container: str, quantity: int) -> int:
    """A job's load in its truck's units: roll-off boxes, or half cubic yards for a collection truck."""
    if is_roll_off(container):
        return quantity
    return math.ceil(CONTAINER_YARDS[container] * quantity * 2)


def capacity_units(roll_off: bool, capacity_per_trip: int) -> int:
    """A truck's load per trip in the same units: boxes for a roll-off truck, half cubic yards otherwise."""
    return capacity_per_trip if roll_off else capacity_per_trip * 2


@dataclass(frozen=True)
class TruckSlots:
    truck_id: int
    containers: frozenset[str]
    stops: int
    shift_start: dt.time
    shift_end: dt.time
    depot_latitude: float = 0.0
    depot_longitude: float = 0.0
    capacity: int | None = None  # per trip, in load units; None: not checked

    def can_take(self, container: str, window: tuple[dt.time, dt.time], load: int | None = None) -> bool:
        """Serves the container, its shift overlaps the arrival window, and the job fits one trip."""
        if load is not None and self.capacity is not None and load > self.capacity:
            return False
        return container in self.containers and self.shift_start < window[1] and window[0] < self.shift_end


def fits(
    trucks: list[TruckSlots], jobs: Counter, *, container: str, window: tuple[dt.time, dt.time], load: int | None = None
) -> bool:
    """Whether one more job fits beside `jobs` (a Counter of (container, window start, window end)) on `trucks`."""
    if not any(truck.can_take(container, window, load) for truck in trucks):
        return False
    # A job only counts on a truck that could do it: its container, in a shift overlapping its window. Jobs no
    # truck can do any more (a truck was retired) hold no slot; the router reports them.
    demand = Counter(jobs)
    demand[container, *window] += 1
    able = {kind: frozenset(i for i, truck in enumerate(trucks) if _able(truck, kind)) for kind in demand}
    demand = Counter({kind: n for kind, n in demand.items() if able[kind]})
    shared = {able[kind] for kind in demand}
    if len(shared) == 1:
        # Every job may go on the same trucks (one truck, or a fleet of like ones): any job takes any free stop
        # of theirs, so the day fits while the jobs are no more than their stops, and there is no flow to solve
        # (on a busy day, solving one per candidate was most of a quote's time).
        (same,) = shared
        return sum(demand.values()) <= sum(trucks[i].stops for i in same)
    return _max_flow(trucks, demand) == sum(demand.values())


def _able(truck: TruckSlots, kind: tuple) -> bool:
    container, start, end = kind
    return truck.can_take(container, (start, end))


def _max_flow(trucks: list[TruckSlots], demand: Counter) -> int:
    """Jobs placed on trucks at best (Edmonds-Karp on source -> kinds of job -> trucks -> sink)."""
    kinds = sorted(demand)
    source, sink = 0, 1 + len(kinds) + len(trucks)
    size = sink + 1
    capacity = [[0] * size for _ in range(size)]
    for i, kind in enumerate(kinds, start=1):
        capacity[source][i] = demand[kind]
        for j, truck in enumerate(trucks, start=1 + len(kinds)):
            if _able(truck, kind):
                capacity[i][j] = demand[kind]
    for j, truck in enumerate(trucks, start=1 + len(kinds)):
        capacity[j][sink] = truck.stops
    flow = 0
    while True:
        parent = [-1] * size
        parent[source] = source
        queue = [source]
        for node in queue:
            for nxt in range(size):
                if parent[nxt] == -1 and capacity[node][nxt] > 0:
                    parent[nxt] = node
                    queue.append(nxt)
        if parent[sink] == -1:
            return flow
        step, node = float("inf"), sink
        while node != source:
            step, node = min(step, capacity[parent[node]][node]), parent[node]
        node = sink
        while node != source:
            capacity[parent[node]][node] -= step
            capacity[node][parent[node]] += step
            node = parent[node]
        flow += step
