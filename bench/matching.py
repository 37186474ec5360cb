"""`make bench`: how matching's cost scales from a 1k-hauler market to a 100k-hauler one, on PostgreSQL.

DESIGN.md promises that the candidate query "is indexed (ZIP -> haulers), so its cost follows the number
of candidates in the ZIP, not the number of haulers in the country". To measure exactly that, the two
markets hold the candidates of every query ZIP constant and change only the size of the country:

- Density is the same everywhere: haulers per million residents. The 1k market is the launch region,
  three mid-size metros (Salt Lake City, Oklahoma City, Birmingham) with 1,000 haulers between them in
  proportion to population. The 100k market is the whole country at that density: the same 1,000
  haulers (the same ids and rows, since each hauler's rows are drawn from a generator seeded by its id),
  every one of the 50 largest metros in proportion to its population, and a long tail of haulers in
  street ZIPs outside every metro.
- Depots are real street ZIPs (the `zipcodes` dataset via core.geo) inside a metro's footprint (a radius
  that grows with population); each service area is core.geo.zips_within(depot, 5..25 miles), computed
  once per (depot, radius) by an equivalent grid scan that is checked against core.geo at start.
- No other hauler of the 100k market has a depot within reach of the launch region (footprint radius +
  the largest service radius), so every query ZIP has exactly the same candidates in both markets, and
  the rankings are compared to prove it. The ratio of the two medians then isolates what the other 99k
  haulers (and their ~6.8M service ZIPs, rates, credentials, pickups and offers) cost a query that
  should not see them: goal <= 1.5.
- The other haulers come in random order, so a 10k midpoint (the launch region plus 9k haulers across
  the country) is the same country, ten times thinner: a third point on the curve, and a different
  mix of planner statistics (the mean haulers per ZIP is what PostgreSQL assumes for most ZIPs).
- 200 requests: busy street ZIPs of the launch region (served by at least 30 haulers), a stream and
  container drawn in proportion to demand, one service date a week out. The markets are loaded in
  turn into one database with COPY (1k, then +9k, then +90k), VACUUM ANALYZEd, warmed up with one
  pass, and timed over REPEATS passes: ranked_haulers() as callers see it, and its SQL alone.
- Each size EXPLAINs (ANALYZE, BUFFERS) the request with the most candidates and prints two flags:
  match_uses_zip_index (the ZIP index appears in the plan) and the stricter match_zip_first (it does,
  and no hauler table is read whole: a Seq Scan there is a cost that grows with the country).

It never touches the data in DATABASE_URL's database: Django's test-database machinery creates
`haulmatch_bench` beside it (dropping a leftover one), migrates it, and drops it at the end.
"""

import datetime as dt
import os
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import geography, market  # noqa: E402
from bench.common import STARTED, progress, report, require_postgresql  # noqa: E402
from bench.load import Loader  # noqa: E402
from core import geo  # noqa: E402
from marketplace import matching  # noqa: E402

BENCH_DATABASE = "haulmatch_bench"
SIZES = (1_000, 10_000, 100_000)
LABELS = {1_000: "1k", 10_000: "10k", 100_000: "100k"}
QUERIES = 200
MIN_HAULERS_PER_QUERY_ZIP = 30
REPEATS = 5
ZIP_INDEX = "service_zip_unique_per_hauler"


@contextmanager
def timed(label: str, into: dict):
    start = time.perf_counter()
    yield
    into[label] = time.perf_counter() - start
    progress(f"{label}: {into[label]:.1f}s")


def requests_for(zip_codes: list[str], service_date) -> list[matching.Request]:
    rng = random.Random(market.SEED + 3)
    requests = []
    for zip_code in zip_codes:
        info = geo.lookup(zip_code)
        stream, container = market.demand(rng)
        requests.append(
            matching.Request(
                zip_code=zip_code,
                latitude=float(info.latitude),
                longitude=float(info.longitude),
                waste_stream=stream,
                container=container,
                quantity=rng.choice((1, 1, 1, 2, 3)),
                service_date=service_date,
            )
        )
    return requests


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def serving(zip_codes: list[str]) -> float:
    """Mean service-ZIP rows (haulers serving the ZIP, whatever their rates) per query ZIP."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT zip_code, count(*) FROM haulers_servicezip WHERE zip_code = ANY(%s) GROUP BY zip_code",
            [sorted(set(zip_codes))],
        )
        counts = dict(cursor.fetchall())
    return statistics.mean(counts.get(code, 0) for code in zip_codes)


def zip_spread() -> tuple[int, float]:
    """Distinct ZIPs served anywhere, and the mean haulers per served ZIP: the market's density."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), avg(n) FROM (SELECT count(*) n FROM haulers_servicezip GROUP BY zip_code) z")
        zips, mean = cursor.fetchone()
    return zips, float(mean)


def measure(requests: list[matching.Request]) -> dict:
    """Warm up, count queries per call, then time REPEATS passes of ranked_haulers and of its bare SQL."""
    for request in requests:
        matching.ranked_haulers(request)
    rankings, queries = [], []
    for request in requests:
        with CaptureQueriesContext(connection) as captured:
            ranked = matching.ranked_haulers(request)
        queries.append(len(captured.captured_queries))
        rankings.append([candidate.hauler_id for candidate in ranked])
    compiled = [matching.candidate_rates(request).query.sql_with_params() for request in requests]
    calls, sql = [], []
    with connection.cursor() as cursor:
        for _ in range(REPEATS):
            for request in requests:
                start = time.perf_counter()
                matching.ranked_haulers(request)
                calls.append(time.perf_counter() - start)
            for statement, params in compiled:
                start = time.perf_counter()
                cursor.execute(statement, params)
                cursor.fetchall()
                sql.append(time.perf_counter() - start)
    calls.sort()
    return {
        "p50_ms": statistics.median(calls) * 1000,
        "p90_ms": calls[int(len(calls) * 0.9)] * 1000,
        "sql_p50_ms": statistics.median(sql) * 1000,
        "queries": max(queries),
        "queries_min": min(queries),
        "candidates": statistics.mean(len(ranking) for ranking in rankings),
        "rankings": rankings,
    }


def explain(request: matching.Request) -> str:
    statement, params = matching.candidate_rates(request).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def uses_zip_index(plan: str) -> bool:
    return ZIP_INDEX in plan or re.search(r"Index (Only )?Scan .*on haulers_servicezip", plan) is not None


def zip_first(plan: str) -> bool:
    """Stricter: the ZIP index is used and no hauler table is read whole (so nothing scales with the country)."""
    return uses_zip_index(plan) and re.search(r"Seq Scan on haulers_", plan) is None


def bench_market(label: str, requests: list[matching.Request], busiest: int | None) -> dict:
    progress(f"{label}: timing {len(requests)} requests x {REPEATS} (after a warm-up pass)")
    figures = measure(requests)
    figures["serving"] = serving([request.zip_code for request in requests])
    figures["zips"], figures["density"] = zip_spread()
    # The request with the most candidates (the same at every size) shows the plan at its most expensive.
    if busiest is None:
        busiest = max(range(len(requests)), key=lambda index: len(figures["rankings"][index]))
    figures["busiest"] = busiest
    figures["plan"] = explain(requests[busiest])
    progress(f"{label}: p50 {figures['p50_ms']:.3f} ms, {figures['candidates']:.1f} candidates per query")
    return figures


def plan_outline(plan: str) -> str:
    """The plan's nodes and its execution time, without the details: enough to see where it starts."""
    lines = plan.splitlines()
    keep = lines[:1] + [line for line in lines[1:] if line.lstrip().startswith(("->", "SubPlan", "Execution Time"))]
    return "\n".join(re.sub(r"  \(cost=.*?\)", "", line) for line in keep)


def main() -> int:
    require_postgresql(BENCH_DATABASE)
    settings.DEBUG = False  # no query log on the timed path (CaptureQueriesContext forces it where it counts)
    connection.settings_dict["TEST"]["NAME"] = BENCH_DATABASE
    builds, results, rows = {}, {}, {}
    with timed("create and migrate database", builds):
        old_config = setup_databases(verbosity=1, interactive=False, serialized_aliases=set())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")  # a throwaway database: no need to wait for the WAL
        today = timezone.localdate()
        service_date = today + dt.timedelta(days=7)
        with timed("plan", builds):
            geography.check_against_core()
            country = market.plan(total=SIZES[-1], small=SIZES[0], service_date=service_date)
            total_zips = sum(len(spec.service_zips) for spec in country.haulers)
            zip_codes = market.query_zips(country, count=QUERIES, min_haulers=MIN_HAULERS_PER_QUERY_ZIP)
            requests = requests_for(zip_codes, service_date)
        progress(f"{len(country.haulers)} haulers in all, {total_zips} service ZIPs, long tail {country.tail}")
        loader = Loader(service_date=service_date, today=today)
        loaded = 0
        for size in SIZES:
            label = LABELS[size]
            with timed(f"load {label}", builds):
                rows[label] = loader.load(country.haulers[loaded:size])
                loaded = size
                progress("  COPY " + ", ".join(f"{table} {seconds:.1f}s" for table, seconds in loader.seconds.items()))
                vacuum_analyze()
            first = results.get(LABELS[SIZES[0]])
            results[label] = bench_market(label, requests, first["busiest"] if first else None)
    finally:
        progress(f"dropping {BENCH_DATABASE}")
        teardown_databases(old_config, verbosity=1)

    small, large = results[LABELS[SIZES[0]]], results[LABELS[SIZES[-1]]]
    plan = large["plan"]
    print(f"--- EXPLAIN (ANALYZE, BUFFERS) of candidate_rates at 100k: {requests[large['busiest']]}")
    print(plan)
    for label, figures in results.items():
        print(f"--- plan outline at {label} (same request) ---")
        print(plan_outline(figures["plan"]))
    print("---")
    for label, counts in rows.items():
        report(f"rows_{label}", " ".join(f"{table}={count}" for table, count in counts.items()))
    report("build_plan_s", f"{builds['plan']:.1f}")
    for label in results:
        report(f"build_load_s_{label}", f"{builds[f'load {label}']:.1f}")
    report("build_total_s", f"{sum(builds.values()):.1f}")
    for label, figures in results.items():
        report(f"match_candidates_mean_{label}", f"{figures['candidates']:.1f}")
        report(f"match_serving_haulers_mean_{label}", f"{figures['serving']:.1f}")
        report(f"market_zips_served_{label}", figures["zips"])
        report(f"market_haulers_per_served_zip_{label}", f"{figures['density']:.1f}")
        report(f"match_p50_ms_{label}", f"{figures['p50_ms']:.3f}")
        report(f"match_p90_ms_{label}", f"{figures['p90_ms']:.3f}")
        report(f"match_sql_p50_ms_{label}", f"{figures['sql_p50_ms']:.3f}")
        report(f"match_uses_zip_index_{label}", int(uses_zip_index(figures["plan"])))
        report(f"match_zip_first_{label}", int(zip_first(figures["plan"])))
    same = all(figures["rankings"] == small["rankings"] for figures in results.values())
    report("match_same_rankings", int(same))
    report("match_sql_ratio_100k_over_1k", f"{large['sql_p50_ms'] / small['sql_p50_ms']:.2f}")
    report("match_ratio_100k_over_1k", f"{large['p50_ms'] / small['p50_ms']:.2f}")
    report("match_queries", max(figures["queries"] for figures in results.values()))
    report("match_uses_zip_index", int(uses_zip_index(plan)))
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    # A market whose requests find nobody times an empty query, not matching: that is a broken bench.
    if min(figures["candidates"] for figures in results.values()) < MIN_HAULERS_PER_QUERY_ZIP / 10:
        print("the requests found (almost) no candidates: the bench market no longer matches", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
