"""`make bench`: how long the operations map takes with a city of 1,000 bins, and what its query costs at 10,000.

A city of BINS bins at as many locations across Austin's ZIPs, owned by BUSINESSES businesses, each with two
weeks of readings two hours apart (a fill rate of its own, noise, emptied when it nears full) from which
sensors.state.refresh puts the latest reading and the forecast on the device row, as ingest does. Six in ten
bins have an open visit booked in the next week; one in twenty has an open alarm.

Timed through django.test.Client, signed in as staff (who see every bin): the map page and the JSON its map
loads, one after the other as a browser does, ROUNDS times after a warm-up. Prints the median milliseconds
of the pair, each one's median, the queries the pair runs (the same at 10 and 1,000 bins, pinned in
tests/marketplace/web/test_operations.py) and the JSON's size. Then it grows the city to GROWN bins (state on
the row, no readings), times the pair again, and prints PostgreSQL's plan for the map's query (EXPLAIN
ANALYZE) to stderr.

It never touches the data in DATABASE_URL's database: Django's test-database machinery creates
`haulmatch_bench_ops_map` beside it (dropping a leftover one), migrates it, and drops it at the end.
"""

import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import STARTED, progress, report, throwaway_database  # noqa: E402
from core import geo  # noqa: E402
from core.models import User  # noqa: E402
from customers.models import Customer, ServiceLocation  # noqa: E402
from marketplace import operations  # noqa: E402
from marketplace.models import Pickup  # noqa: E402
from sensors import state  # noqa: E402
from sensors.models import Alarm, Device, Reading, hash_token  # noqa: E402

BENCH_DATABASE = "haulmatch_bench_ops_map"
BINS = 1_000
GROWN = 10_000
BUSINESSES = 10
ROUNDS = 15
DAYS = 14
STEP = dt.timedelta(hours=2)
STREAMS = ["trash", "trash", "recycling", "cardboard", "organics"]
CONTAINERS = ["cart_96gal", "dumpster_2yd", "dumpster_4yd", "dumpster_6yd", "dumpster_8yd"]
ALARM_KINDS = [Alarm.Kind.OFFLINE, Alarm.Kind.BATTERY_LOW, Alarm.Kind.OVERFLOW_RISK, Alarm.Kind.TILT]


def austin() -> list[geo.ZipInfo]:
    return [info for code in geo.zips_within("78701", 12) if (info := geo.lookup(code)) is not None]


def add_bins(rng: random.Random, count: int, *, start: int, now: dt.datetime, readings: bool) -> list[int]:
    """`count` bins at new locations, with readings (and the row refreshed from them) or with state on the row."""
    zips = austin()
    customers = list(Customer.objects.order_by("pk"))
    locations = []
    for number in range(start, start + count):
        info = rng.choice(zips)
        locations.append(
            ServiceLocation(
                customer=customers[number % len(customers)],
                name=f"Site {number}",
                street=f"{100 + number} Main St",
                city=info.city,
                state=info.state,
                zip_code=info.zip_code,
                latitude=info.latitude + Decimal(round(rng.uniform(-0.01, 0.01), 6)),
                longitude=info.longitude + Decimal(round(rng.uniform(-0.01, 0.01), 6)),
                timezone=info.timezone,
            )
        )
    locations = ServiceLocation.objects.bulk_create(locations, batch_size=2_000)
    devices = Device.objects.bulk_create(
        [
            Device(
                serial=f"CITY-{number:06d}",
                location=location,
                waste_stream=rng.choice(STREAMS),
                container=rng.choice(CONTAINERS),
                token_hash=hash_token(f"city-{number}"),
                token_hint=f"{number % 10_000:04d}",
            )
            for number, location in enumerate(locations, start=start)
        ],
        batch_size=2_000,
    )
    steps = int(dt.timedelta(days=DAYS) / STEP)
    rows = []
    for device in devices:
        rate = rng.uniform(2, 25)  # points a day
        fill = rng.uniform(0, 60)
        silent = rng.random() < 0.03  # stopped reporting a day ago
        last_at = None
        for step in range(steps + 1):
            at = now - STEP * (steps - step)
            if silent and at > now - dt.timedelta(days=1):
                break
            last_at = at
            fill += rate * STEP / dt.timedelta(days=1)
            if fill > rng.uniform(85, 105):
                fill = rng.uniform(0, 8)  # emptied
            if readings:
                reported = max(0, min(100, round(fill + rng.gauss(0, 2))))
                battery = 90 - step // 60 if step % 12 == 0 else None
                rows.append(Reading(device=device, measured_at=at, fill_percent=reported, battery_percent=battery))
        if not readings:
            device.last_reading_at, device.last_fill_percent = last_at, min(100, round(fill))
            device.fill_rate_per_day = rate
            device.full_at = last_at + dt.timedelta(days=max(0.0, 100 - fill) / rate)
    if readings:
        Reading.objects.bulk_create(rows, batch_size=5_000)
        state.refresh([device.pk for device in devices], now=now)
    else:
        Device.objects.bulk_update(
            devices, ["last_reading_at", "last_fill_percent", "fill_rate_per_day", "full_at"], batch_size=2_000
        )
    today = timezone.localdate()
    Pickup.objects.bulk_create(
        [
            Pickup(
                customer_id=device.location.customer_id,
                location=device.location,
                waste_stream=device.waste_stream,
                container=device.container,
                quantity=1,
                service_date=today + dt.timedelta(days=rng.randint(1, 7)),
                status=Pickup.Status.REQUESTED,
                price_cents=9_000,
                payout_cents=7_000,
            )
            for device in devices
            if rng.random() < 0.6
        ],
        batch_size=2_000,
    )
    Alarm.objects.bulk_create(
        [
            Alarm(device=device, kind=rng.choice(ALARM_KINDS), detail="Bench alarm.", opened_at=now)
            for device in devices
            if rng.random() < 0.05
        ]
    )
    return [device.pk for device in devices]


def load_the_map(client: Client) -> tuple[float, float, int]:
    """The page, then the JSON its map loads: (page seconds, data seconds, bytes of JSON)."""
    began = time.perf_counter()
    page = client.get("/operations/")
    middle = time.perf_counter()
    data = client.get("/operations/bins.json")
    ended = time.perf_counter()
    if page.status_code != 200 or data.status_code != 200:
        raise SystemExit(f"the map answered {page.status_code} and {data.status_code}")
    return middle - began, ended - middle, len(data.content)


def time_the_map(client: Client, bins: int) -> tuple[float, float, float, int]:
    load_the_map(client)  # imports, templates, plan caches
    pages, datas, size = [], [], 0
    for _ in range(ROUNDS):
        page, data, size = load_the_map(client)
        pages.append(page)
        datas.append(data)
    shown = len(client.get("/operations/bins.json").json()["bins"])
    if shown != bins:
        raise SystemExit(f"the map shows {shown} bins, not {bins}")
    pair = statistics.median(page + data for page, data in zip(pages, datas, strict=True))
    return pair * 1000, statistics.median(pages) * 1000, statistics.median(datas) * 1000, size


def main() -> int:
    with throwaway_database(BENCH_DATABASE):
        rng = random.Random(14)
        now = timezone.now()
        Customer.objects.bulk_create(Customer(name=f"Bench business {n}") for n in range(BUSINESSES))
        progress(f"seeding {BINS} bins with {DAYS} days of readings")
        add_bins(rng, BINS, start=0, now=now, readings=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        staff = User.objects.create_user(email="ops@example.com", password="bench-only", is_staff=True)
        client = Client()
        client.force_login(staff)
        with CaptureQueriesContext(connection) as captured:
            load_the_map(client)
        queries = len(captured.captured_queries)
        progress(f"timing the map {ROUNDS} times")
        pair, page, data, size = time_the_map(client, BINS)
        report("ops_map_ms_1000", f"{pair:.1f}")
        report("ops_map_page_ms_1000", f"{page:.1f}")
        report("ops_map_data_ms_1000", f"{data:.1f}")
        report("ops_map_queries", queries)
        report("ops_map_json_kb_1000", f"{size / 1024:.1f}")

        progress(f"growing the city to {GROWN} bins")
        add_bins(rng, GROWN - BINS, start=BINS, now=now, readings=False)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        with CaptureQueriesContext(connection) as captured:
            load_the_map(client)
        grown_queries = len(captured.captured_queries)
        pair, page, data, size = time_the_map(client, GROWN)
        report("ops_map_ms_10000", f"{pair:.1f}")
        report("ops_map_queries_10000", grown_queries)
        plan = operations.bin_rows(customer=None, now=timezone.now()).explain(analyze=True)
        print(f"The map's query at {GROWN} bins (EXPLAIN ANALYZE):\n{plan}", file=sys.stderr)
        business = Customer.objects.order_by("pk").first()
        plan = operations.bin_rows(customer=business, now=timezone.now()).explain(analyze=True)
        print(f"One business's bins ({GROWN // BUSINESSES}) (EXPLAIN ANALYZE):\n{plan}", file=sys.stderr)
    if grown_queries != queries:
        print(f"the map ran {queries} queries at {BINS} bins but {grown_queries} at {GROWN}", file=sys.stderr)
        return 1
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
