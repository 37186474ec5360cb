"""`make bench`: how many fill readings a second the sensor and integration APIs take in, on PostgreSQL.

One sensor posts BATCHES batches of BATCH_SIZE readings to POST /api/v1/sensors/readings/ through
django.test.Client with its X-Device-Token header, so each timed request pays for everything a real one
does past the socket: middleware, authentication (the token's hash looked up), JSON parsing, per-reading
validation, the duplicate check and the bulk insert with the device's latest reading, committed. The
readings are new (a two-minute grid over the last 28 days, below the collect threshold), as a fleet
catching up would send them.

Then a network server posts MULTI_BATCHES batches of MULTI_BATCH_SIZE readings from FLEET devices (each
device's next readings, named by external id) to POST /api/v1/integrations/readings/ with its
X-Integration-Key: the key looked up, the rate limit counted in the cache, the devices found by external
id, every reading checked, stored and each device's row moved to its latest reading.

The rules hand-off is queued after commit, as in production; here the queue is Celery's in-memory
transport, so the market's rules (another process's work) are not timed.

Prints readings/s (a batch's readings over the median batch time) and milliseconds per batch. It
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

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import STARTED, progress, report, throwaway_database  # noqa: E402
from customers.models import Customer, ServiceLocation  # noqa: E402
from sensors import integrations  # noqa: E402
from sensors import services as sensor_services  # noqa: E402
from sensors.models import Device, Reading, hash_token, new_token  # noqa: E402

BENCH_DATABASE = "haulmatch_bench_sensors"
URL = "/api/v1/sensors/readings/"
MULTI_URL = "/api/v1/integrations/readings/"
BATCHES = 40
BATCH_SIZE = 500
FLEET = 1_000
MULTI_BATCHES = 12
MULTI_BATCH_SIZE = 5_000
STEP = dt.timedelta(minutes=2)


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
        by=None, location=location, serial=serial, waste_stream="trash", container="dumpster_4yd"
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


def make_fleet(location) -> list[str]:
    """FLEET devices a network server knows by external id; their tokens are never used."""
    Device.objects.bulk_create(
        Device(
            serial=f"BENCH-FLEET-{n:04d}",
            external_id=f"eui-bench-{n:04d}",
            location=location,
            waste_stream="trash",
            container="dumpster_4yd",
            token_hash=hash_token(new_token()),
            token_hint="....",
        )
        for n in range(FLEET)
    )
    return [f"eui-bench-{n:04d}" for n in range(FLEET)]


def multi_bodies(start: dt.datetime, external_ids: list[str]) -> list[bytes]:
    """MULTI_BATCHES bodies of MULTI_BATCH_SIZE readings: each device's next few readings, in device order."""
    per_device = MULTI_BATCH_SIZE // len(external_ids)
    encoded = []
    for batch in range(MULTI_BATCHES):
        readings = []
        for device, external_id in enumerate(external_ids):
            for k in range(per_device):
                n = batch * per_device + k
                readings.append(
                    {
                        "device": external_id,
                        "fill_percent": 5 + (n + device) % 70,
                        "measured_at": (start + STEP * n).isoformat(),
                        "battery_percent": 90 - n // 2_000,
                        "temperature_c": round(18 + (n % 100) / 10, 1),
                    }
                )
        encoded.append(json.dumps({"readings": readings}).encode())
    return encoded


def timed(client: Client, url: str, payloads: list[bytes]) -> tuple[list[float], int]:
    seconds, accepted = [], 0
    for payload in payloads:
        began = time.perf_counter()
        body = post(client, payload, url)
        seconds.append(time.perf_counter() - began)
        accepted += body["accepted"]
    return seconds, accepted


def post(client: Client, body: bytes, url: str = URL) -> dict:
    response = client.post(url, body, content_type="application/json")
    if response.status_code != 201:
        raise SystemExit(f"ingest answered {response.status_code}: {response.content[:300]!r}")
    return response.json()


def main() -> int:
    # Rules are queued, not run here (see the module docstring), whatever REDIS_URL says.
    with throwaway_database(BENCH_DATABASE):
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
        seconds, accepted = timed(client, URL, payloads)
        stored = Reading.objects.filter(device__serial="BENCH-0001").count()

        location = Device.objects.get(serial="BENCH-0001").location
        external_ids = make_fleet(location)
        _, key = integrations.create_integration(name="Bench network")
        network = Client(HTTP_X_INTEGRATION_KEY=key)
        multi_start = timezone.now() - STEP * MULTI_BATCHES * (MULTI_BATCH_SIZE // FLEET) - dt.timedelta(hours=1)
        warm_up = multi_bodies(multi_start - dt.timedelta(days=1), external_ids)[0]
        multi_payloads = multi_bodies(multi_start, external_ids)
        post(network, warm_up, MULTI_URL)
        with CaptureQueriesContext(connection) as captured:
            post(network, multi_payloads[0], MULTI_URL)
        multi_queries = len(captured.captured_queries)
        progress(f"timing {MULTI_BATCHES - 1} batches of {MULTI_BATCH_SIZE} readings from {FLEET} devices")
        multi_seconds, multi_accepted = timed(network, MULTI_URL, multi_payloads[1:])
        multi_stored = Reading.objects.filter(device__external_id__startswith="eui-bench-").count()
        newest = Device.objects.filter(external_id=external_ids[-1]).values_list("last_reading_at", flat=True).get()
        expected_newest = multi_start + STEP * (MULTI_BATCHES * (MULTI_BATCH_SIZE // FLEET) - 1)

    if accepted != stored or stored != BATCHES * BATCH_SIZE:
        print(f"expected {BATCHES * BATCH_SIZE} readings stored, got {stored} ({accepted} accepted)", file=sys.stderr)
        return 1
    expected_multi = (MULTI_BATCHES + 1) * MULTI_BATCH_SIZE
    if multi_accepted != (MULTI_BATCHES - 1) * MULTI_BATCH_SIZE or multi_stored != expected_multi:
        print(f"expected {expected_multi} fleet readings stored, got {multi_stored}", file=sys.stderr)
        return 1
    if abs((newest - expected_newest).total_seconds()) > 1:
        print(f"the device row says its last reading was {newest}, not {expected_newest}", file=sys.stderr)
        return 1
    median = statistics.median(seconds)
    report("sensor_ingest_readings_per_s", f"{BATCH_SIZE / median:.0f}")
    report("sensor_ingest_p50_ms_per_500", f"{median * 1000:.1f}")
    report("sensor_ingest_p90_ms_per_500", f"{sorted(seconds)[int(len(seconds) * 0.9)] * 1000:.1f}")
    report("sensor_ingest_queries_per_batch", queries)
    report("sensor_ingest_readings_stored", stored)
    multi_median = statistics.median(multi_seconds)
    report("sensor_ingest_multi_readings_per_s", f"{MULTI_BATCH_SIZE / multi_median:.0f}")
    report("sensor_ingest_multi_p50_ms_per_5000", f"{multi_median * 1000:.1f}")
    report("sensor_ingest_multi_queries_per_batch", multi_queries)
    progress(f"done in {time.perf_counter() - STARTED:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
