"""`make bench`: what ranking by reliability costs matching, side by side on one market, on PostgreSQL.

The market and requests are bench/matching.py's launch region (1,000 haulers over three metros, scores drawn
from 0.55 to 1.00, 200 busy street ZIPs of at least 30 haulers each; BENCH_SCORE_HAULERS loads more of the
same country). Each request is matched twice in a row, in alternating order: with the score in the ranking
(the default rule: payout x (1 + MATCH_RELIABILITY_WEIGHT x (1 - score)), haulers under MATCH_MIN_RELIABILITY
left out while others are eligible) and without it (weight and minimum 0: the old rule, payout then score).
Both run the same three queries (the candidates, their trucks, their day's jobs): the score is a column the
candidate query reads either way, so the ratio is what the ranking itself adds.

    match_with_score_ratio          p50 with / p50 without (goal <= 1.1)
    match_with_score_p50_ms         and each p50
    match_without_score_p50_ms
    match_score_changed_first_pct   requests whose first-ranked hauler the score changed
    match_score_queries             queries per match with the score (the same shape as without)
"""

import datetime as dt
import os
import statistics
import sys
import time
from contextlib import contextmanager
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import market  # noqa: E402
from bench.common import STARTED, progress, report, throwaway_database  # noqa: E402
from bench.load import Loader  # noqa: E402
from bench.matching import MIN_HAULERS_PER_QUERY_ZIP, QUERIES, requests_for, vacuum_analyze  # noqa: E402
from marketplace import matching  # noqa: E402

BENCH_DATABASE = "haulmatch_bench_score"
HAULERS = int(os.environ.get("BENCH_SCORE_HAULERS", "1000"))
REPEATS = 7


@contextmanager
def without_score():
    """The old rule: no weight, no minimum (settings read at each match, so this switches it)."""
    saved = settings.MATCH_RELIABILITY_WEIGHT, settings.MATCH_MIN_RELIABILITY
    settings.MATCH_RELIABILITY_WEIGHT, settings.MATCH_MIN_RELIABILITY = Decimal(0), Decimal(0)
    try:
        yield
    finally:
        settings.MATCH_RELIABILITY_WEIGHT, settings.MATCH_MIN_RELIABILITY = saved


def timed(request) -> float:
    start = time.perf_counter()
    matching.ranked_haulers(request)
    return time.perf_counter() - start


def measure(requests) -> dict:
    for request in requests:  # warm up both paths (the compiled statements, the caches)
        matching.ranked_haulers(request)
        with without_score():
            matching.ranked_haulers(request)
    changed, queries = 0, []
    for request in requests:
        with CaptureQueriesContext(connection) as captured:
            scored = matching.ranked_haulers(request)
        queries.append(len(captured.captured_queries))
        with without_score():
            plain = matching.ranked_haulers(request)
        changed += bool(scored and plain and scored[0].hauler_id != plain[0].hauler_id)
    scored_times, plain_times = [], []
    for repeat in range(REPEATS):
        for index, request in enumerate(requests):
            first_scored = (repeat + index) % 2 == 0  # alternate which goes first
            if first_scored:
                scored_times.append(timed(request))
            with without_score():
                plain_times.append(timed(request))
            if not first_scored:
                scored_times.append(timed(request))
    return {
        "with_ms": statistics.median(scored_times) * 1000,
        "without_ms": statistics.median(plain_times) * 1000,
        "changed_pct": 100 * changed / len(requests),
        "queries": max(queries),
        "candidates": statistics.mean(len(matching.ranked_haulers(request)) for request in requests),
    }


def main() -> int:
    with throwaway_database(BENCH_DATABASE):
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        today = timezone.localdate()
        service_date = today + dt.timedelta(days=7)
        progress("planning the country (bench/market.py)")
        country = market.plan(total=100_000, small=1_000, service_date=service_date)
        zip_codes = market.query_zips(country, count=QUERIES, min_haulers=MIN_HAULERS_PER_QUERY_ZIP)
        requests = requests_for(zip_codes, service_date)
        progress(f"loading {HAULERS} haulers")
        Loader(service_date=service_date, today=today).load(country.haulers[:HAULERS])
        vacuum_analyze()
        progress(f"timing {len(requests)} requests x {REPEATS}, with and without the score side by side")
        figures = measure(requests)
    report("match_with_score_p50_ms", f"{figures['with_ms']:.3f}")
    report("match_without_score_p50_ms", f"{figures['without_ms']:.3f}")
    report("match_with_score_ratio", f"{figures['with_ms'] / figures['without_ms']:.3f}")
    report("match_score_changed_first_pct", f"{figures['changed_pct']:.1f}")
    report("match_score_queries", figures["queries"])
    report("match_score_candidates_mean", f"{figures['candidates']:.1f}")
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    if figures["candidates"] < MIN_HAULERS_PER_QUERY_ZIP / 10:
        print("the requests found (almost) no candidates: the bench market no longer matches", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
