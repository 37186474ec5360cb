"""`make bench`: does a quote cost the same when the market has ten times the pickups and offers, on stale statistics?

A quote runs matching, and matching counts each candidate's load on the day: its scheduled and done pickups and
the pending offers it holds. Those counts once joined offers to pickups by the pickup's date, and PostgreSQL
planned that join from its statistics: after a bulk load nobody had ANALYZEd, it ran a nested loop over every
pickup of the date for each pending offer (74 ms instead of 1 ms). Production tables grow between autovacuum
runs, so a count must not need fresh statistics to stay fast.

The bench builds one metro market (HAULERS haulers serving the same ZIPs, two trucks each) and its book around
the quoted day: at 1x, 580 pickups over a fortnight and 1,700 offers (the fan-out's pending offers of pickups
still offered, an accepted and declined ones of the booked, expired ones of those being re-offered). With
autovacuum off for every table it ANALYZEs once, times the quote (services.create_quote, as the quote POST
calls it: median of REPEATS after a warm-up), then bulk-inserts nine times as much again without ANALYZE and
times the same quote (and, first, the 1x quote before any ANALYZE, as a fresh demo runs until autovacuum's
first pass). BENCH quote_growth_ratio_10x = the 10x median / the 1x median (goal <= 1.2). It then
EXPLAINs (ANALYZE, BUFFERS) every query of the quote's matching at 10x on those stale statistics (printed),
flags whether the day's pending-offer count reads the offer_pending_day index, and, for reference, times
the 10x quote again after ANALYZE (and flags the index again). On stale statistics the planner may read the
other index of pending offers (offer_pending_answer_by, every open offer) instead: also bounded by what is
open, not by the history; the services tests pin both plans. It works in a throwaway database beside DATABASE_URL's
(`haulmatch_bench_quote_growth`) and drops it.
"""

import datetime as dt
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import STARTED, progress, report, throwaway_database  # noqa: E402
from core import geo  # noqa: E402
from customers.models import Customer, ServiceLocation  # noqa: E402
from haulers.models import Credential, Hauler, Rate, ServiceZip, Truck  # noqa: E402
from marketplace import matching, services  # noqa: E402
from marketplace.models import Offer, Pickup  # noqa: E402

BENCH_DATABASE = "haulmatch_bench_quote_growth"
HAULERS, LOCATIONS, SEED = 30, 60, 2026
PICKUPS, OFFERS = 580, 1_700  # the 1x market, as measured when the defect was found
REPEATS, WARM_UP = 40, 5
CONTAINERS = ["dumpster_2yd", "dumpster_4yd", "dumpster_6yd", "cart_96gal"]
WINDOWS = [(dt.time(7), dt.time(17)), (dt.time(7), dt.time(11)), (dt.time(11), dt.time(15))]
INDEX = "offer_pending_day"


def build_market(zips: list[geo.ZipInfo]) -> tuple[Customer, list[ServiceLocation], list[int]]:
    """The haulers (each serving every ZIP, with rates, credentials and two trucks) and one business's sites."""
    today, now = dt.date.today(), timezone.now()
    codes = [info.zip_code for info in zips]
    haulers = []
    for number in range(1, HAULERS + 1):
        depot = zips[number % len(zips)]
        hauler = Hauler.objects.create(
            name=f"Bench Hauler {number:02d}",
            status="active",
            depot_zip=depot.zip_code,
            depot_latitude=depot.latitude,
            depot_longitude=depot.longitude,
            working_days=0b1111111,
            verified_at=now,
        )
        ServiceZip.objects.bulk_create([ServiceZip(hauler=hauler, zip_code=code) for code in codes])
        Rate.objects.bulk_create(
            [
                Rate(hauler=hauler, waste_stream="trash", container=c, price_cents=6_000 + 50 * number)
                for c in CONTAINERS
            ]
        )
        Credential.objects.bulk_create(
            Credential(
                hauler=hauler,
                kind=kind,
                number=f"{kind}-{number}",
                issuer="Bench",
                valid_from=today,
                expires_on=today + dt.timedelta(days=400),
                verified_at=now,
            )
            for kind in Credential.Kind.values
        )
        Truck.objects.bulk_create(
            Truck(
                hauler=hauler,
                name=f"Truck {n}",
                containers=CONTAINERS,
                capacity_per_trip=30,
                stops_per_shift=200,
                shift_start=dt.time(6),
                shift_end=dt.time(18),
                depot_latitude=depot.latitude,
                depot_longitude=depot.longitude,
            )
            for n in (1, 2)
        )
        haulers.append(hauler.pk)
    customer = Customer.objects.create(name="Bench Businesses", billing_email="ap@bench.invalid")
    locations = ServiceLocation.objects.bulk_create(
        ServiceLocation(
            customer=customer,
            name=f"Site {n}",
            street=f"{n} Bench St",
            city=info.city,
            state=info.state,
            zip_code=info.zip_code,
            latitude=info.latitude,
            longitude=info.longitude,
            timezone=info.timezone,
        )
        for n, info in enumerate(zips[i % len(zips)] for i in range(LOCATIONS))
    )
    return customer, locations, haulers


def add_book(rng, *, customer, locations, haulers, day: dt.date, pickups: int, offers: int, days=(-7, 7)) -> None:
    """`pickups` pickups on the days `days` around `day` and about `offers` offers of them, in bulk.

    Past days hold done work (and what no hauler took, its offers expired); coming days hold bookings,
    pickups on offer with their pending offers, and ones being offered again.
    """
    today, answer_by = dt.date.today(), timezone.now() + dt.timedelta(hours=4)
    rows, plans = [], []
    for _ in range(pickups):
        date = day + dt.timedelta(days=rng.randint(*days))
        start, end = rng.choice(WINDOWS)
        odds = rng.random()
        status = "offered" if odds < 0.35 else "requested" if odds < 0.45 else "scheduled"
        if date < today:
            status = "completed" if status == "scheduled" else "unmatched"
        hauler = rng.choice(haulers) if status in ("scheduled", "completed") else None
        rows.append(
            Pickup(
                customer=customer,
                location=rng.choice(locations),
                hauler_id=hauler,
                waste_stream="trash",
                container=rng.choice(CONTAINERS),
                quantity=1,
                service_date=date,
                window_start=start,
                window_end=end,
                status=status,
                price_cents=9_000,
                payout_cents=7_000,
            )
        )
        plans.append(hauler)
    made = Pickup.objects.bulk_create(rows, batch_size=2_000)
    per_pickup = offers / pickups
    offer_rows = []
    for pickup, hauler in zip(made, plans, strict=True):
        count = max(1, round(rng.gauss(per_pickup, 0.7)))
        others = rng.sample([h for h in haulers if h != hauler], min(count, len(haulers) - 1))
        if pickup.status == "offered":
            statuses = ["pending"] * len(others)
        elif pickup.status in ("requested", "unmatched"):
            statuses = ["expired"] * len(others)
        else:
            others, statuses = [hauler, *others[1:]], ["accepted"] + ["declined"] * (len(others) - 1)
        offer_rows += [
            Offer(
                pickup=pickup,
                hauler_id=h,
                status=s,
                payout_cents=7_000,
                answer_by=answer_by,
                service_date=pickup.service_date,
            )
            for h, s in zip(others, statuses, strict=True)
        ]
    Offer.objects.bulk_create(offer_rows, batch_size=5_000)


def quote_ms(customer, location, day: dt.date) -> float:
    """Median service time of the quote, in ms (warm-up first)."""
    times = []
    for n in range(WARM_UP + REPEATS):
        started = time.perf_counter()
        services.create_quote(
            customer=customer,
            location=location,
            waste_stream="trash",
            container="dumpster_4yd",
            quantity=1,
            service_date=day,
        )
        if n >= WARM_UP:
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def explain_matching(location, day: dt.date) -> list[tuple[str, str]]:
    """(SQL, EXPLAIN (ANALYZE, BUFFERS)) of every query matching runs for the quote."""
    request = matching.Request.at(
        location, waste_stream="trash", container="dumpster_4yd", quantity=1, service_date=day
    )
    with CaptureQueriesContext(connection) as captured:
        matching.ranked_haulers(request)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plans.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
    return plans


def counts() -> str:
    return f"{Pickup.objects.count():,} pickups, {Offer.objects.count():,} offers"


def measure(shape: str) -> dict:
    """One market from scratch: the quote at 1x (never ANALYZEd, then ANALYZEd), then at 10x grown by `shape`."""
    figures = {}
    with throwaway_database(BENCH_DATABASE):
        with connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            for (table,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
        rng = random.Random(SEED)
        centre = geo.lookup("78701")
        zips = [info for code in geo.zips_within("78701", 8) if (info := geo.lookup(code)) is not None]
        zips.sort(key=lambda info: info.zip_code != centre.zip_code)  # the quoted site is downtown
        customer, locations, haulers = build_market(zips)
        day = dt.date.today() + dt.timedelta(days=7)
        book = {"customer": customer, "locations": locations, "haulers": haulers, "day": day}
        add_book(rng, pickups=PICKUPS, offers=OFFERS, **book)
        progress(f"{shape} 1x: {counts()}, never ANALYZEd (a fresh demo before autovacuum's first pass)")
        figures["never"] = quote_ms(customer, locations[0], day)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        progress(f"{shape} 1x: ANALYZEd; timing {REPEATS} quotes")
        figures["one"] = quote_ms(customer, locations[0], day)
        # history: the market's next eighteen weeks gone by (done work and its answered offers), the coming
        # fortnight as before; busier: the same fortnight with ten times the work on each hauler's days.
        growth = {"days": (-7 - 18 * 7, -8)} if shape == "history" else {}
        add_book(rng, pickups=PICKUPS * 9, offers=OFFERS * 9, **book, **growth)
        progress(f"{shape} 10x: {counts()}, statistics from 1x; timing {REPEATS} quotes")
        figures["ten"] = quote_ms(customer, locations[0], day)
        plans = explain_matching(locations[0], day)
        offered = [plan for sql, plan in plans if "marketplace_offer" in sql and "UNION" in sql]
        for sql, plan in plans:
            print(
                f"--- EXPLAIN (ANALYZE, BUFFERS), {shape} 10x, stale statistics:\n{sql[:300]}...\n{plan}",
                file=sys.stderr,
            )
        figures["index"] = int(bool(offered) and all(INDEX in plan for plan in offered))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        progress(f"{shape} 10x ANALYZEd; timing the quote again")
        figures["fresh"] = quote_ms(customer, locations[0], day)
        plans = explain_matching(locations[0], day)
        offered = [plan for sql, plan in plans if "marketplace_offer" in sql and "UNION" in sql]
        figures["index_analyzed"] = int(bool(offered) and all(INDEX in plan for plan in offered))
    return figures


def main() -> int:
    history, busier = measure("history"), measure("busier")
    report("quote_growth_ms_1x_never_analyzed", f"{history['never']:.2f}")
    report("quote_growth_ms_1x", f"{history['one']:.2f}")
    report("quote_growth_ms_10x", f"{history['ten']:.2f}")
    report("quote_growth_ms_10x_analyzed", f"{history['fresh']:.2f}")
    report("quote_growth_ratio_10x", f"{history['ten'] / history['one']:.2f}")
    report("quote_growth_uses_offer_day_index", history["index"])
    report("quote_growth_uses_offer_day_index_analyzed", history["index_analyzed"])
    report("quote_growth_ms_10x_busier", f"{busier['ten']:.2f}")
    report("quote_growth_ms_10x_busier_analyzed", f"{busier['fresh']:.2f}")
    report("quote_growth_ratio_10x_busier", f"{busier['ten'] / busier['one']:.2f}")
    report("quote_growth_uses_offer_day_index_busier", busier["index"])
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
