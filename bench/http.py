"""`make bench`: the product over HTTP, as production serves it, measured from outside.

gunicorn from deploy/gunicorn.conf.py (its defaults: sync workers, 2 per core plus 1; GUNICORN_* in the
environment change them; workers are not replaced after max_requests unless GUNICORN_MAX_REQUESTS is set, see
below) with production settings (DJANGO_ENV=production, DEBUG off, the manifest static files; only the https
redirect is off, on loopback with no proxy in front), a real Celery worker on Redis,
and PostgreSQL: a throwaway database beside DATABASE_URL's (`haulmatch_bench_http`), seeded with the Austin
demo, a business and a hauler signed in, then ANALYZE.

1. Closed loop, side by side: wrk (Debian's; installed with apt when missing) drives `/healthz/`, the API
   pickup detail, quote POST and pickups list, the business dashboard and the hauler jobs page (session
   cookies), each for ROUND_S, in ROUNDS rounds. BENCH http_rps_<name> is the median of the rounds (the
   log has min / median / max); http_ratio_<name> is the endpoint's rate ÷ healthz's in the same round,
   median over the rounds.
2. Open loop (bench/openloop.py), through nginx from production's site file (bench/http_nginx.py: plain http on
   loopback), as production's clients reach gunicorn: the mix of 30% quotes, 10% bookings, 35% reads (the four
   read endpoints above in turn), 10% hauler accepts of pending offers, 15% sensor batches of 10 readings, at
   rising rates for MIX_S each; p50/p95/p99 (ms, from each request's due time), failures (no answer within 20 s,
   or a 5xx: the 503s of shed load count as failures here) and 4xx per rate. BENCH mix_max_rps_p95_300ms is the
   highest rate with p95 under 300 ms and no failure. At twice that rate: mix_overload_max_ms, the slowest
   answer of any kind (20,000 = the client gave up), mix_overload_unavailable the 503s (nginx's at once past its
   max_conns, the app's for a request that waited too long: core/load_shed.py), mix_overload_unavailable_max_ms
   the slowest of them, mix_overload_no_retry_after those without a Retry-After, mix_overload_served_p95_ms the
   p95 of the answers the server did the work for. BENCH_HTTP_MIX_DIRECT=1 also runs each rate straight to
   gunicorn, before it through nginx (mix_direct_* lines): the two side by side, without and with the shedding.

Before the mix a short untimed run warms every worker (the closed loop does it when it runs). Between mix rates
the bench waits (WORKER_SETTLE_S at most) until the Celery worker has taken every task the rate enqueued, then until
gunicorn's `/healthz/` answers quickly again, asked directly, not through nginx, so one rate's queues do not count
against the next. About 4 minutes on 2 cores.
"""

import asyncio
import datetime as dt
import json
import os
import re
import runpy
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from itertools import cycle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.mkdtemp(prefix="haulmatch-bench-http-"))
# The settings production runs with, shared by this process (so sessions it signs are valid) and the servers.
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",  # loopback, no nginx in front to end TLS
    "SITE_URL": "http://127.0.0.1",
    "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
    "STATIC_ROOT": str(WORK / "static"),
    "MEDIA_ROOT": str(WORK / "media"),
    "EMAIL_URL": "consolemail://",
    "STAFF_ALERT_EMAILS": "",
    "LOG_FORMAT": "json",
    "CELERY_QUEUE": f"bench-http-{uuid.uuid4().hex[:12]}",  # a queue of its own on a shared Redis
}
for name in [name for name in os.environ if name.startswith(("STRIPE_", "SENTRY_", "DJANGO_"))]:
    del os.environ[name]  # no payments (booking needs no card then) and no error reporting from a bench
os.environ.update(PRODUCTION_ENV)
# Workers are not replaced after max_requests here unless GUNICORN_MAX_REQUESTS says so: without a preloaded app a
# replacement imports Django again, and at healthz's thousands a second that import, not the request, is what
# wrk would measure (measured: healthz 2,300/s without replacement, 530/s replacing after 1,000 requests).
os.environ.setdefault("GUNICORN_MAX_REQUESTS", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")

import django  # noqa: E402
import redis  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench import http_market, http_nginx, openloop  # noqa: E402
from bench.common import progress, report, throwaway_database  # noqa: E402
from bench.cpu_share import share_cpu_as_systemd, worker_nice  # noqa: E402

# Its own name where two benches share a PostgreSQL (each would drop the other's database at its start).
BENCH_DATABASE = os.environ.get("BENCH_HTTP_DATABASE") or "haulmatch_bench_http"
HOST = "127.0.0.1"
ROUNDS, ROUND_S, CONNECTIONS = 3, 5, 8
MIX_RATES = [20, 40, 60, 80, 100, 120, 150]
MIX_S = 8
WARM_RATE, WARM_S = 20, 3
# Between rates, at most this long for the worker to take what the last rate enqueued (the 20/s rate's took 10-20 s).
WORKER_SETTLE_S = 15
P95_GOAL_MS = 300
# BENCH_HTTP_SECTIONS=closed or =mix runs one of the two (while working on one side of it); both by default.
SECTIONS = set((os.environ.get("BENCH_HTTP_SECTIONS") or "closed,mix").split(","))
# BENCH_HTTP_MIX_DIRECT=1: each mix rate straight to gunicorn too (no nginx, so no shedding), before through nginx.
MIX_DIRECT = bool(os.environ.get("BENCH_HTTP_MIX_DIRECT"))
if os.environ.get("BENCH_HTTP_QUICK"):  # a check that the bench runs end to end, in a minute; no figures worth reading
    ROUNDS, ROUND_S, MIX_RATES, MIX_S, WARM_S = 1, 1, [10], 2, 1
# One request in twenty: quotes 6, bookings 2, reads 7, accepts 2, sensor batches 3 (30/10/35/10/15%).
MIX = ["quote", "read", "batch", "quote", "read", "accept", "quote", "read", "booking", "read",
       "quote", "batch", "read", "quote", "accept", "read", "quote", "booking", "read", "batch"]  # fmt: skip


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def database_url() -> str:
    config = connection.settings_dict
    password = f":{config['PASSWORD']}" if config.get("PASSWORD") else ""
    user = f"{config['USER']}{password}@" if config.get("USER") else ""
    port = f":{config['PORT']}" if config.get("PORT") else ""
    return f"postgres://{user}{config.get('HOST') or HOST}{port}/{config['NAME']}"


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        progress("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        found = shutil.which("wrk")
    if found is None:
        print("the HTTP bench needs wrk: apt-get install wrk", file=sys.stderr)
        raise SystemExit(2)
    return found


class Server:
    """gunicorn and a Celery worker on the bench database, their output in files."""

    def __init__(self, environment: dict):
        self.port = free_port()
        environment = environment | {"GUNICORN_BIND": f"{HOST}:{self.port}"}
        self.logs = []
        self.processes = []
        for name, command in (
            ("web", [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi"]),
            # As deploy/systemd/haulmatch-worker.service runs it (its Nice= and CPUWeight=), with
            # haulmatch.env.example's concurrency.
            ("worker", ["nice", "-n", str(worker_nice()), sys.executable, "-m", "celery", "-A", "config", "worker",
                        "--concurrency=2", "--max-tasks-per-child=500", "--without-gossip", "--without-mingle",
                        "--loglevel=WARNING"]),
        ):  # fmt: skip
            log = open(WORK / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
            self.logs.append(log)
            self.processes.append(
                subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            )  # fmt: skip
        self.priority = share_cpu_as_systemd(self.processes[1].pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                break
            try:
                if get("/healthz/", self.port)[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        print((WORK / "web.log").read_text()[-3000:], file=sys.stderr)
        raise SystemExit("gunicorn did not start")

    def workers(self) -> tuple[int, int]:
        """gunicorn's web workers (deploy/gunicorn.conf.py decides, from the environment) and how many it booted:
        past that number, workers it replaced after their max_requests."""
        config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
        return config["workers"], (WORK / "web.log").read_text().count("Booting worker")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()


def get(
    path: str, port: int, headers: dict | None = None, timeout: float = 5, method: str = "GET", body: str | None = None
) -> tuple[int, bytes, float]:
    data = body.encode() if body is not None else None
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers or {}, method=method, data=data)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read(), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, error.read(), time.perf_counter() - started


def endpoints(market: http_market.Market) -> dict[str, dict]:
    """The closed-loop endpoints: method, path, headers, body."""
    business = {"Authorization": f"Token {market.business_token}"}
    quote = {
        "location": market.location_id,
        "waste_stream": http_market.STREAM,
        "container": http_market.CONTAINER,
        "quantity": 1,
        "service_date": market.dates[-1].isoformat(),
    }
    return {
        "healthz": {"path": "/healthz/"},
        "pickup_detail": {"path": f"/api/v1/pickups/{market.pickup_ids[0]}/", "headers": business},
        "quote_post": {
            "path": "/api/v1/quotes/",
            "method": "POST",
            "body": json.dumps(quote),
            "headers": business | {"Content-Type": "application/json"},
        },
        "pickups": {"path": "/api/v1/pickups/", "headers": business},
        "dashboard": {"path": "/dashboard/", "headers": {"Cookie": market.business_cookie}},
        "hauler_jobs": {"path": "/hauler/jobs/", "headers": {"Cookie": market.hauler_cookie}},
    }


def lua(endpoint: dict) -> str:
    lines = [f"wrk.method = {json.dumps(endpoint.get('method', 'GET'))}"]
    if "body" in endpoint:
        lines.append(f"wrk.body = {json.dumps(endpoint['body'])}")
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in endpoint.get("headers", {}).items()]
    return "\n".join(lines) + "\n"


def wrk(binary: str, port: int, name: str, endpoint: dict, seconds: float) -> float:
    """Requests a second wrk got answered, closed loop; a non-2xx answer stops the bench (it would flatter it)."""
    script = WORK / f"{name}.lua"
    script.write_text(lua(endpoint))
    output = subprocess.run(
        [binary, "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         f"http://{HOST}:{port}{endpoint['path']}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if "Non-2xx" in output or "Socket errors" in output:
        raise SystemExit(f"wrk on {name} got errors:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def closed_loop(binary: str, port: int, market: http_market.Market) -> None:
    targets = endpoints(market)
    for name, endpoint in targets.items():
        status, body, _ = get(endpoint["path"], port, endpoint.get("headers"), method=endpoint.get("method", "GET"),
                              body=endpoint.get("body"))  # fmt: skip
        if status not in (200, 201):
            raise SystemExit(f"{name} answered {status} before the bench: {body[:300]!r}")
        wrk(binary, port, name, endpoint, 1)  # warm-up: connections, caches, the workers' first requests
    rates = {name: [] for name in targets}
    for number in range(1, ROUNDS + 1):
        for name, endpoint in targets.items():
            rates[name].append(wrk(binary, port, name, endpoint, ROUND_S))
        progress(f"round {number}: " + ", ".join(f"{name} {rates[name][-1]:,.0f}/s" for name in targets))
    for name, values in rates.items():
        progress(f"{name}: min {min(values):,.0f}, median {statistics.median(values):,.0f}, max {max(values):,.0f}/s")
        report(f"http_rps_{name}", f"{statistics.median(values):.0f}")
    for name in ("pickup_detail", "quote_post", "pickups", "dashboard", "hauler_jobs"):
        ratios = [value / healthz for value, healthz in zip(rates[name], rates["healthz"], strict=True)]
        report(f"http_ratio_{name}", f"{statistics.median(ratios):.3f}")


class Mix:
    """Builds the mix's requests in order; bookable quotes and acceptable offers come from pools."""

    def __init__(self, market: http_market.Market):
        self.market, self.host = market, HOST
        self.business = {"Authorization": f"Token {market.business_token}", "Content-Type": "application/json"}
        self.hauler = {"Authorization": f"Token {market.hauler_token}"}
        self.quotes = list(market.quote_ids)
        self.offers: list[int] = []
        self.taken: set[int] = set()
        self.dates = cycle(market.dates)
        self.reads = cycle(["detail", "list", "dashboard", "jobs"])
        self.details = cycle(market.pickup_ids)
        self.batches = 0
        self.missing = {"booking": 0, "accept": 0}

    def refill(self) -> None:
        self.offers = http_market.pending_offer_ids(hauler_id=self.market.hauler_id, exclude=self.taken)

    def request(self, method: str, path: str, headers: dict, body: dict | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else b""
        return openloop.http_request(method, path, host=self.host, headers=headers, body=data)

    def make(self, index: int) -> tuple[str, bytes]:
        kind = MIX[index % len(MIX)]
        if (kind == "booking" and not self.quotes) or (kind == "accept" and not self.offers):
            self.missing[kind] += 1
            kind = "quote" if kind == "booking" else "read"
        if kind == "quote":
            body = {"location": self.market.location_id, "waste_stream": http_market.STREAM,
                    "container": http_market.CONTAINER, "quantity": 1 + index % 2,
                    "service_date": next(self.dates).isoformat()}  # fmt: skip
            return kind, self.request("POST", "/api/v1/quotes/", self.business, body)
        if kind == "booking":
            return kind, self.request("POST", "/api/v1/pickups/", self.business, {"quote": self.quotes.pop()})
        if kind == "accept":
            offer = self.offers.pop()
            self.taken.add(offer)
            return kind, self.request("POST", f"/api/v1/hauler/offers/{offer}/accept/", self.hauler)
        if kind == "batch":
            self.batches += 1
            # Each batch's own instant, a millisecond apart per device, so no reading repeats an earlier one.
            at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=60)
            devices = self.market.devices
            readings = [
                {"device": devices[(self.batches * 10 + n) % len(devices)], "fill_percent": (self.batches + n) % 100,
                 "measured_at": (at + dt.timedelta(milliseconds=n + (self.batches % 1000) * 10)).isoformat()}
                for n in range(10)
            ]  # fmt: skip
            headers = {"X-Integration-Key": self.market.integration_key, "Content-Type": "application/json"}
            return kind, self.request("POST", "/api/v1/integrations/readings/", headers, {"readings": readings})
        read = next(self.reads)
        if read == "detail":
            return kind, self.request("GET", f"/api/v1/pickups/{next(self.details)}/", self.business)
        if read == "list":
            return kind, self.request("GET", "/api/v1/pickups/", self.business)
        cookie = self.market.business_cookie if read == "dashboard" else self.market.hauler_cookie
        return kind, self.request("GET", "/dashboard/" if read == "dashboard" else "/hauler/jobs/", {"Cookie": cookie})

    def harvest(self, outcomes: list[openloop.Outcome]) -> None:
        for outcome in outcomes:
            if outcome.kind == "quote" and outcome.status == 201:
                self.quotes.append(json.loads(outcome.body)["id"])


def queued_tasks() -> str:
    """The tasks the answers enqueued (dispatches, re-plans, notices, alarm checks) that the worker has not taken."""
    messages = redis.Redis.from_url(PRODUCTION_ENV["REDIS_URL"]).lrange(PRODUCTION_ENV["CELERY_QUEUE"], 0, -1)
    names = Counter(json.loads(message).get("headers", {}).get("task", "?") for message in messages)
    return f"{len(messages)} tasks queued for the worker" + "".join(
        f"{', ' if n else ': '}{name.removeprefix('marketplace.')} {count}"
        for n, (name, count) in enumerate(names.most_common(4))
    )


def settle(port: int, limit_s: float = 60) -> None:
    """Wait until the worker has taken every task the last rate enqueued, and /healthz/ answers within 50 ms twice
    running: the last rate's queues have been served. (A rate's notices and dispatches keep the worker busy for
    10-20 s after it at 20/s; left to the next rate, they piled up to 1,400 tasks over the rates, each rate
    measured against the leftovers of all before it.)"""
    deadline, quick = time.monotonic() + limit_s, 0
    queue = redis.Redis.from_url(PRODUCTION_ENV["REDIS_URL"])
    worker_deadline = time.monotonic() + WORKER_SETTLE_S
    while time.monotonic() < worker_deadline and queue.llen(PRODUCTION_ENV["CELERY_QUEUE"]):
        time.sleep(0.5)
    while time.monotonic() < deadline and quick < 2:
        try:
            quick = quick + 1 if get("/healthz/", port, timeout=10)[2] < 0.05 else 0
        except OSError:
            quick = 0
        time.sleep(0.5)


def drive(mix: Mix, port: int, rate: int, seconds: float) -> list[openloop.Outcome]:
    mix.refill()
    mix.host = f"{HOST}:{port}"
    outcomes = asyncio.run(openloop.drive(host=HOST, port=port, rate=rate, duration=seconds, make=mix.make))
    mix.harvest(outcomes)
    return outcomes


def run_rate(mix: Mix, port: int, web_port: int, rate: int, prefix: str, label: str | None = None) -> dict:
    """One rate of the mix against `port` (nginx's, or gunicorn's with prefix mix_direct), then a settled server."""
    outcomes = drive(mix, port, rate, MIX_S)
    figures = openloop.summary(outcomes)
    kinds = sorted({outcome.kind for outcome in outcomes})
    by_kind = {kind: openloop.summary([o for o in outcomes if o.kind == kind]) for kind in kinds}
    shed = (
        f", 503s in p50 {figures['unavailable_p50']:.0f} / max {figures['unavailable_max']:.0f} ms"
        f" ({figures['unavailable_without_retry_after']} without Retry-After)"
        if figures["unavailable"] else ""
    )  # fmt: skip
    progress(
        f"{prefix} {rate}/s: p50 {figures['p50']:.0f} ms, p95 {figures['p95']:.0f} ms, p99 {figures['p99']:.0f} ms, "
        f"max {figures['max']:.0f} ms; {figures['failures']} failed ({figures['no_answer']} unanswered, "
        f"{figures['unavailable']} 503{shed}), {figures['rejected']} 4xx; served p95 {figures['served_p95']:.0f} ms;"
        " p95/max by kind: " + ", ".join(f"{k} {by_kind[k]['p95']:.0f}/{by_kind[k]['max']:.0f}" for k in kinds)
    )
    progress(f"{prefix} {rate}/s: {queued_tasks()}")
    label = label or str(rate)
    for name in ("p50", "p95", "p99"):
        report(f"{prefix}_{name}_ms_{label}", f"{figures[name]:.0f}")
    report(f"{prefix}_failures_{label}", figures["failures"])
    settle(web_port)
    return figures


def open_loop(ports: dict[str, int], web_port: int, market: http_market.Market) -> None:
    """The mix at rising rates against each of `ports` (prefix -> port) in turn at every rate, then twice the
    highest rate each kept under the goal."""
    mix = Mix(market)
    for port in ports.values():  # untimed: every worker's first requests (imports, templates, connections)
        drive(mix, port, WARM_RATE, WARM_S)
        settle(web_port)
    best = dict.fromkeys(ports, 0)
    going = set(ports)
    for rate in MIX_RATES:
        for prefix, port in ports.items():
            if prefix not in going:
                continue
            figures = run_rate(mix, port, web_port, rate, prefix)
            if figures["p95"] < P95_GOAL_MS and figures["failures"] == 0:
                best[prefix] = rate
            # Saturated: higher rates only add queue, or only more 503s.
            elif figures["p95"] > 4 * P95_GOAL_MS or figures["failures"] > figures["requests"] / 10:
                going.discard(prefix)
    for prefix, port in ports.items():
        report(f"{prefix}_max_rps_p95_300ms", best[prefix])
        overload = 2 * (best[prefix] or MIX_RATES[0])
        figures = run_rate(mix, port, web_port, overload, prefix, label="overload")
        report(f"{prefix}_overload_rps", overload)
        report(f"{prefix}_overload_max_ms", f"{figures['max']:.0f}")
        report(f"{prefix}_overload_unavailable", figures["unavailable"])
        report(f"{prefix}_overload_unavailable_max_ms", f"{figures['unavailable_max']:.0f}")
        report(f"{prefix}_overload_no_retry_after", figures["unavailable_without_retry_after"])
        report(f"{prefix}_overload_no_answer", figures["no_answer"])
        report(f"{prefix}_overload_served_p95_ms", f"{figures['served_p95']:.0f}")
    progress(f"pools: {len(mix.quotes)} quotes and {len(mix.offers)} offers left; fell back {mix.missing}")


def main() -> None:
    binary = require_wrk()
    with throwaway_database(BENCH_DATABASE):
        progress("seeding the Austin demo, bookings and sensors")
        market = http_market.seed(quotes_per_day=10, booked_per_day=6, accepted_per_day=1)
        progress(f"seeded: {len(market.dates)} days, {http_market.counts()}")
        environment = {
            **{name: value for name, value in os.environ.items() if not name.startswith(("STRIPE_", "SENTRY_"))},
            **PRODUCTION_ENV,
            "DATABASE_URL": database_url(),
        }
        progress("collecting static files (the manifest the pages need in production)")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0",
             "-i", "drf_spectacular_sidecar", "-i", "rest_framework", "-i", "admin", "-i", "*.map"],
            cwd=ROOT, env=environment, check=True,
        )  # fmt: skip
        connection.close()  # the servers' connections only, while they run
        server = Server(environment)
        try:
            progress(
                f"gunicorn on {HOST}:{server.port} (deploy/gunicorn.conf.py), a worker on {PRODUCTION_ENV['REDIS_URL']}"
                f" ({server.priority})"
            )
            if "closed" in SECTIONS:
                closed_loop(binary, server.port, market)
            workers, booted = server.workers()
            progress(f"gunicorn: {workers} workers on {os.cpu_count()} cores, {booted - workers} replaced so far")
            if "mix" in SECTIONS:
                proxy = http_nginx.Nginx(web_port=server.port, port=free_port(), folder=WORK / "nginx")
                try:
                    progress(
                        f"nginx on {HOST}:{proxy.port} (deploy/nginx/haulmatch.conf, plain http), "
                        f"{http_nginx.max_conns()} requests at once to gunicorn"
                    )
                    ports = {"mix_direct": server.port} if MIX_DIRECT else {}
                    open_loop(ports | {"mix": proxy.port}, server.port, market)
                finally:
                    proxy.stop()
            progress(f"after the mix: {http_market.counts()}")
            worker_log = (WORK / "worker.log").read_text()  # Celery's own words when a task runs out of time
            progress(f"worker: {worker_log.count('Soft time limit (')} tasks past their soft time limit, "
                     f"{worker_log.count('Hard time limit (')} killed at the hard one")  # fmt: skip
        finally:
            server.stop()
            connection.close()
            # What the worker left of the bench's own queue (nothing, unless it was stopped mid-task).
            redis.Redis.from_url(PRODUCTION_ENV["REDIS_URL"]).delete(PRODUCTION_ENV["CELERY_QUEUE"])
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
