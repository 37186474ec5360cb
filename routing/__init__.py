"""Route solver for a hauler's collection day: plain numbers in, routes out (no Django, no project imports).

Callers import from the submodules: routing.problem (the data), routing.distance (distance backends),
routing.solver (solve, check, insertion_cost_m, baseline_order) and routing.compare (OR-Tools, bench only).
"""
