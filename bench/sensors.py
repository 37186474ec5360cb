"""`make bench`: how many fill readings a second the sensor API takes in, on PostgreSQL.

One sensor posts BATCHES batches of BATCH_SIZE readings to POST /api/v1/sensors/readings/ through
django.test.Client with its X-Device-Token header, so each timed request pays for everything a real one
does past the socket: middleware, authentication (the token's hash looked up), JSON parsing, per-reading
validation, the duplicate check and the bulk insert, committed. The readings are new (a two-minute grid
over the last 28 days, below the collect threshold), as a fleet catching up would send them.

The rules hand-off is queued after commit, as in production; here the queue is Celery's in-memory
transport, so the market's rules (another process's work) are not timed.

Prints readings/s (BATCH_SIZE over the median batch time) and the median milliseconds per batch. It
never touches the data in DATABASE_URL's database: Django's test-database machinery creates
`haulmatch_bench_sensors` beside it (dropping a leftover one), migrates it, and drops it at the end.
"""

import datetime as dt
import json
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.celery import app as celery_app  # noqa: E402
from customers.models import Customer, ServiceLocation  # noqa: E402
from sensors import services as sensor_services  # noqa: E402
from sensors.models import Reading  # noqa: E402

BENCH_DATABASE = "haulmatch_bench_sensors"
URL = "/api/v1/sensors/readings/"
BATCHES = 40
BATCH_SIZE = 500
STEP = dt.timedelta(minutes=2)
STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def report(name: str, value) -> None:
    print(f"BENCH {name} {value}", flush=True)


def make_device(serial: str):
    customer = Customer.objects.get_or_create(name="Bench Café")[0]
    location = ServiceLocation.objects.get_or_create(
        customer=customer,
        name="Bench kitchen",
        defaults={
            "street": "600 Congress Ave",
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
            "latitude": "30.268900",
            "longitude": "-97.742300",
            "timezone": "America/Chicago",
        },
    )[0]
    return sensor_services.register_device(
        location=location, serial=serial, waste_stream="trash", container="dumpster_4yd"
    )


def bodies(start: dt.datetime) -> list[bytes]:
    """BATCHES request bodies of BATCH_SIZE new readings, oldest first, encoded before the clock starts."""
    encoded = []
    for batch in range(BATCHES):
        readings = []
        for n in range(batch * BATCH_SIZE, (batch + 1) * BATCH_SIZE):
            readings.append(
                {
                    "fill_percent": 5 + n % 70,  # below the collect threshold: the rules would find nothing to do
                    "measured_at": (start + STEP * n).isoformat(),
                    "battery_percent": 90 - n // 2_000,
                    "temperature_c": round(18 + (n % 100) / 10, 1),
                }
            )
        encoded.append(json.dumps({"readings": readings}).encode())
    return encoded


def post(client: Client, body: bytes) -> dict:
    response = client.post(URL, body, content_type="application/json")
    if response.status_code != 201:
        raise SystemExit(f"ingest answered {response.status_code}: {response.content[:300]!r}")
    return response.json()


def main() -> int:
    if connection.vendor != "postgresql":
        print("make bench needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    if connection.settings_dict["NAME"] == BENCH_DATABASE:
        print(f"DATABASE_URL must not name {BENCH_DATABASE}, the bench's own throwaway database", file=sys.stderr)
        return 2
    settings.DEBUG = False  # no query log on the timed path
    # Rules are queued, not run here (see the module docstring), whatever REDIS_URL says.
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"
    connection.settings_dict["TEST"]["NAME"] = BENCH_DATABASE
    progress(f"creating and migrating {BENCH_DATABASE}")
    old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
    try:
        span = STEP * BATCHES * BATCH_SIZE
        start = timezone.now() - span - dt.timedelta(hours=1)
        assert span < sensor_services.MAX_AGE, "the readings must all be recent enough to be accepted"
        _, warm_token = make_device("BENCH-WARM-UP")
        _, token = make_device("BENCH-0001")
        payloads = bodies(start)
        warm = Client(HTTP_X_DEVICE_TOKEN=warm_token)
        client = Client(HTTP_X_DEVICE_TOKEN=token)
        post(warm, payloads[0])  # imports, URL resolver, connection, plan caches
        with CaptureQueriesContext(connection) as captured:
            post(warm, payloads[1])
        queries = len(captured.captured_queries)
        progress(f"timing {BATCHES} batches of {BATCH_SIZE} readings")
        seconds, accepted = [], 0
        for payload in payloads:
            began = time.perf_counter()
            body = post(client, payload)
            seconds.append(time.perf_counter() - began)
            accepted += body["accepted"]
        stored = Reading.objects.filter(device__serial="BENCH-0001").count()
    finally:
        progress(f"dropping {BENCH_DATABASE}")
        teardown_databases(old_config, verbosity=0)

    if accepted != stored or stored != BATCHES * BATCH_SIZE:
        print(f"expected {BATCHES * BATCH_SIZE} readings stored, got {stored} ({accepted} accepted)", file=sys.stderr)
        return 1
    median = statistics.median(seconds)
    report("sensor_ingest_readings_per_s", f"{BATCH_SIZE / median:.0f}")
    report("sensor_ingest_p50_ms_per_500", f"{median * 1000:.1f}")
    report("sensor_ingest_p90_ms_per_500", f"{sorted(seconds)[int(len(seconds) * 0.9)] * 1000:.1f}")
    report("sensor_ingest_queries_per_batch", queries)
    report("sensor_ingest_readings_stored", stored)
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
