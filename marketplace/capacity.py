"""Capacity by kind of work: does one more job fit a hauler's trucks that day?

Each truck serves some containers and does at most `stops_per_shift` stops. A hauler's jobs on a day
(scheduled or done, plus offers it holds) fit its fleet when every job can be given a truck that serves
its container without any truck going over its stops: a small maximum-flow problem (jobs grouped by
container on one side, trucks on the other), solved exactly, so a 40-yard roll-off never borrows a slot
of the cart truck and the last slot of a truck is never sold twice. Pure functions over plain values.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class TruckSlots:
    truck_id: int
    containers: frozenset[str]
    stops: int
    shift_start: dt.time
    shift_end: dt.time
    depot_latitude: float = 0.0
    depot_longitude: float = 0.0

    def can_take(self, container: str, window: tuple[dt.time, dt.time]) -> bool:
        """Serves the container, and its shift overlaps the arrival window."""
        return container in self.containers and self.shift_start < window[1] and window[0] < self.shift_end


def fits(trucks: list[TruckSlots], jobs: Counter, *, container: str, window: tuple[dt.time, dt.time]) -> bool:
    """Whether one more job (container, window) fits beside `jobs` (a Counter of containers) on `trucks`."""
    able = [truck for truck in trucks if truck.can_take(container, window)]
    if not able:
        return False
    # Jobs no truck serves any more (a truck was retired) cannot hold a slot; the router reports them.
    demand = Counter({c: n for c, n in jobs.items() if any(c in truck.containers for truck in trucks)})
    demand[container] += 1
    return _max_flow(trucks, demand) == sum(demand.values())


def _max_flow(trucks: list[TruckSlots], demand: Counter) -> int:
    """Jobs placed on trucks at best (Edmonds-Karp on source -> containers -> trucks -> sink)."""
    containers = sorted(demand)
    source, sink = 0, 1 + len(containers) + len(trucks)
    size = sink + 1
    capacity = [[0] * size for _ in range(size)]
    for i, container in enumerate(containers, start=1):
        capacity[source][i] = demand[container]
        for j, truck in enumerate(trucks, start=1 + len(containers)):
            if container in truck.containers:
                capacity[i][j] = demand[container]
    for j, truck in enumerate(trucks, start=1 + len(containers)):
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
