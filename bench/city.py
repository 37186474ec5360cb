"""`python -m bench.city`: a city of 1,000 smart bins over 8 weeks, collected by three policies on the same data.

The city, its fill and its sensors are marketplace/demo/city.py's (seeded: the same run every time); the
policies and the daily routing are marketplace/demo/city_policies.py's: fixed (every bin weekly on its
weekday), threshold (today's rules), forecast + route (sensors/rules.py, as marketplace/bins.py applies
them: each collection placed on a working day, a bin due a day or two later and at its mark joining a stop
next to it a day early, the bins' forecasts fitted from their noisy readings), and, as a comment, the
forecast rules on top of the weekly plans. Each working day, each of the four haulers'
collections is solved by routing.solver.solve on straight lines x ROUTING_CIRCUITY at ROUTING_SPEED_KMH (the
production backend without a road network), for at most SOLVE_CAP_S seconds (production_time_limit_s
below it): 4 policies x 40 days x 4 haulers = 640 solves, which keeps the run near five minutes on two cores.

BENCH city_collections_ratio / city_km_ratio: forecast + route over fixed (goals <= 0.6, <= 0.7);
city_overflow_pct: bin-days the forecast policy let a bin reach 100%, of all bin-days (goal <= 0.5);
city_fill_at_collection_pct: its mean true fill when a bin was emptied (goal >= 75). No database is used.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from bench.common import STARTED, progress, report  # noqa: E402
from marketplace.demo import city as city_model  # noqa: E402
from marketplace.demo import city_policies  # noqa: E402
from routing.distance import StraightLine  # noqa: E402
from routing.solver import production_time_limit_s  # noqa: E402

WEEKS = 8
SOLVE_CAP_S = 0.3
LABELS = {
    "fixed": "fixed weekly",
    "threshold": "threshold (today)",
    "forecast": "forecast + route",
    "forecast_plan": "forecast on the weekly plans",
}


def main() -> int:
    days = city_model.WARM_UP_DAYS + WEEKS * 7
    city = city_model.make_city()
    increments = city_model.fill_increments(city, days=days)
    noise = city_model.sensor_noise(city, days=days)
    weekly = np.array([item.weekly_fill for item in city])
    print(
        f"# {len(city)} bins in {len({item.zip_code for item in city})} Austin ZIPs, "
        f"{sum(item.compactor for item in city)} compactors; weekly fill median {np.median(weekly):.0f}%, "
        f"mean {weekly.mean():.0f}%, {100 * (weekly > 100).mean():.0f}% of bins over 100% a week"
    )
    backend = StraightLine(circuity=settings.ROUTING_CIRCUITY, speed_kmh=settings.ROUTING_SPEED_KMH)

    def limit(stops: int) -> float:
        return min(SOLVE_CAP_S, production_time_limit_s(stops))

    outcomes = {}
    for policy in city_policies.POLICIES:
        progress(f"{LABELS[policy]}: {WEEKS} weeks")
        outcomes[policy] = city_policies.simulate(policy, city, increments, noise, time_limit=limit, backend=backend)
    for policy, outcome in outcomes.items():
        stops = outcome.stops_per_day
        print(
            f"# {LABELS[policy]}: {outcome.collections} collections, {outcome.km:.0f} km, "
            f"{outcome.overflow_bin_days} overflow bin-days of {outcome.bin_days} ({outcome.overflow_pct:.2f}%), "
            f"mean fill at collection {outcome.mean_fill:.1f}%, {min(stops)}-{max(stops)} stops a day, "
            f"{outcome.unrouted} stops moved to the next day, {outcome.overloaded_trips} trips over capacity, "
            f"solving {outcome.solve_s:.0f} s"
        )
    fixed, chosen = outcomes["fixed"], outcomes["forecast"]
    floor = city_policies.unavoidable_overflow_bin_days(city, increments)
    print(
        f"# {floor} overflow bin-days ({100 * floor / chosen.bin_days:.2f}%) no Monday-Friday collection could "
        "prevent: bins the weekend alone fills past 100% between Friday's window end and Monday's window start"
    )
    under = 100 * np.mean(np.array(fixed.fills) < 30)
    print(f"# on the fixed weekly round {under:.0f}% of the visits found the bin under 30% full")
    report("city_collections_ratio", f"{chosen.collections / fixed.collections:.3f}")
    report("city_km_ratio", f"{chosen.km / fixed.km:.3f}")
    report("city_overflow_pct", f"{chosen.overflow_pct:.2f}")
    report("city_fill_at_collection_pct", f"{chosen.mean_fill:.1f}")
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
