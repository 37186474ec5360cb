"""Production as it runs: nginx, gunicorn, a worker and the one beat, started from deploy/, on loopback.

Each process is started from its file in deploy/ (the systemd unit's ExecStart, the nginx site, the
gunicorn config, the env file template) with only paths, ports and the test's database and Redis put
in. Then a business books, a hauler accepts and completes a pickup, all through nginx over TLS; and a burst of
bookings past nginx's max_conns, with gunicorn's workers held, gets fast 503s with Retry-After and books nothing.
"""

import concurrent.futures
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from tests import factories
from tests.marketplace.api.conftest import in_days
from tests.services.worker import database_url_for_subprocess
from tests.stripe_stand_in import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
# The PNG signature is all the upload check reads.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def replaced(text: str, replacements: dict[str, str]) -> str:
    """`text` with each placeholder replaced; a placeholder no longer in the file fails the test (no silent drift)."""
    for placeholder, value in replacements.items():
        assert placeholder in text, f"{placeholder!r} is no longer in the deploy file"
        text = text.replace(placeholder, value)
    return text


def exec_start(unit: str, replacements: dict[str, str]) -> list[str]:
    """The unit's ExecStart command, with the install paths of this checkout."""
    (line,) = [line for line in (DEPLOY / "systemd" / unit).read_text().splitlines() if line.startswith("ExecStart=")]
    command = replaced(line.removeprefix("ExecStart="), {"/srv/haulmatch/.venv/bin/": f"{BIN}/", **replacements})
    return shlex.split(command)


def env_template() -> dict[str, str]:
    """deploy/haulmatch.env.example as a dict (every setting it lists, placeholders included)."""
    pairs = (line.split("=", 1) for line in (DEPLOY / "haulmatch.env.example").read_text().splitlines())
    return {name: value for name, value in (pair for pair in pairs if len(pair) == 2) if not name.startswith("#")}


class Process:
    """One long-running process with its output in a file."""

    def __init__(self, name: str, command: list[str], *, env: dict, log_dir: Path):
        self.name, self.command = name, command
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def text(self) -> str:
        return self.log_path.read_text()

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.text().splitlines() if line.startswith("{")]

    def wait_for(self, found, what: str, timeout: float = 60, then=lambda: ""):
        """Poll until found() is truthy; fail with the log (and then()) if the process exits or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = found()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited ({self.process.returncode}) before {what}:\n{self.text()[-4000:]}")
            time.sleep(0.25)
        pytest.fail(f"{self.name}: no {what} within {timeout}s ({then()}):\n{self.text()[-4000:]}")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "tls.pem", folder / "tls.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def nginx_config(folder: Path, *, web_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx/haulmatch.conf on loopback ports with a throwaway certificate, inside a minimal nginx.conf."""
    certificate, key = self_signed_certificate(folder)
    site = replaced(
        (DEPLOY / "nginx" / "haulmatch.conf").read_text(),
        {
            "server 127.0.0.1:8000 ": f"server 127.0.0.1:{web_port} ",
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "/etc/ssl/certs/haulmatch.example.com.pem": str(certificate),
            "/etc/ssl/private/haulmatch.example.com.key": str(key),
            "/var/log/nginx/haulmatch.access.log": str(folder / "access.log"),
        },
    )
    (folder / "haulmatch.conf").write_text(site)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")  # the test's folders are private to the user running it
        + f"worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log stderr warn;\n"
        + "events { worker_connections 256; }\n"  # room for a burst past max_conns (two connections a request)
        + f"http {{\n{temp}\n    include {folder / 'haulmatch.conf'};\n}}\n"
    )
    return main


@pytest.fixture
def stack(postgres, redis_url, tmp_path):
    """nginx + gunicorn + worker + beat from deploy/, against this run's database and Redis; yields a dict."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        unavailable("the production stack test needs nginx (apt-get install nginx)")
    if shutil.which("openssl") is None:
        unavailable("the production stack test needs openssl for a throwaway certificate")
    web_port, http_port, https_port = free_port(), free_port(), free_port()
    for folder in ("nginx", "run", "media", "static", "logs"):
        (tmp_path / folder).mkdir()
    settings_env = env_template() | {
        "SECRET_KEY": "production-stack-" + uuid.uuid4().hex + uuid.uuid4().hex,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{https_port}",
        "SITE_URL": f"https://127.0.0.1:{https_port}",
        "DATABASE_URL": database_url_for_subprocess(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "EMAIL_URL": "consolemail://",
        "STAFF_ALERT_EMAILS": "",
        "METRICS_TOKEN": METRICS_TOKEN,
        "GUNICORN_BIND": f"127.0.0.1:{web_port}",
        "GUNICORN_WORKERS": "2",
        "LOAD_SHED_WAIT_SECONDS": "1",
        "CELERY_CONCURRENCY": "1",
    }
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "SENTRY_"))},
        **settings_env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # A queue of this test's own: a run elsewhere on the same Redis cannot take its tasks.
        "CELERY_QUEUE": f"stack-{uuid.uuid4().hex[:12]}",
    }
    subprocess.run(
        # What the pages use; the API docs' bundles, the admin's and source maps add a minute of compression.
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0",
         "-i", "drf_spectacular_sidecar", "-i", "rest_framework", "-i", "admin", "-i", "*.map"],
        cwd=ROOT, env=environment, check=True,
    )  # fmt: skip
    logs = tmp_path / "logs"
    pidfile = {"/run/haulmatch-beat/": f"{tmp_path / 'run'}/"}
    # Before any process starts: a deploy file that no longer matches fails here, leaving nothing running.
    config = nginx_config(tmp_path / "nginx", web_port=web_port, http_port=http_port, https_port=https_port)
    processes = {
        "web": Process("web", exec_start("haulmatch-web.service", {}), env=environment, log_dir=logs),
        "worker": Process(
            "worker",
            exec_start("haulmatch-worker.service", {"${CELERY_CONCURRENCY}": "1"}),
            env=environment,
            log_dir=logs,
        ),
        "beat": Process("beat", exec_start("haulmatch-beat.service", pidfile), env=environment, log_dir=logs),
    }
    processes["nginx"] = Process(
        "nginx", [nginx, "-p", str(tmp_path / "nginx"), "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
        env=environment, log_dir=logs,
    )  # fmt: skip
    try:
        processes["web"].wait_for(lambda: "Booting worker" in processes["web"].text(), "gunicorn worker")
        processes["worker"].wait_for(lambda: " ready." in processes["worker"].text(), "worker ready")
        base = f"https://127.0.0.1:{https_port}"
        session = requests.Session()
        session.verify = str(tmp_path / "nginx" / "tls.pem")
        session.trust_env = False  # REQUESTS_CA_BUNDLE and the like would override verify (and add proxies)

        last = []

        def answering():
            try:
                response = session.get(f"{base}/healthz/", timeout=5)
            except requests.ConnectionError as error:
                last[:] = [error]
                return False
            last[:] = [response.status_code, response.text[:500]]
            return response.status_code == 200

        processes["nginx"].wait_for(answering, "answer through nginx", then=lambda: f"last: {last}")
        yield {
            "base": base, "http": f"http://127.0.0.1:{http_port}", "session": session, "processes": processes,
            "environment": environment, "beat_command": processes["beat"].command,
        }  # fmt: skip
    finally:
        for process in processes.values():  # all asked to stop at once, then waited for
            process.terminate()
        for process in processes.values():
            process.stop()


@pytest.fixture
def people(customer_owner, location, in_area_hauler):
    """A business with a location downtown and a hauler serving it, each with an API token."""
    hauler_user = factories.HaulerMembershipFactory(hauler=in_area_hauler).user  # an owner
    return {
        "business": {"Authorization": f"Token {Token.objects.get_or_create(user=customer_owner)[0].key}"},
        "hauler": {"Authorization": f"Token {Token.objects.get_or_create(user=hauler_user)[0].key}"},
        "location": location,
    }


def request_lines(process: Process, request_id: str) -> list[dict]:
    return [line for line in process.json_lines() if line.get("request_id") == request_id]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_pickup_is_booked_accepted_and_completed_through_nginx(stack, people):
    base, session, processes = stack["base"], stack["session"], stack["processes"]
    business, hauler = people["business"], people["hauler"]

    # nginx ends TLS: http is sent to https, and the app sees https (HSTS, no redirect loop).
    redirect = session.get(f"{stack['http']}/healthz/", allow_redirects=False, timeout=5)
    assert redirect.status_code == 301 and redirect.headers["Location"].startswith("https://")
    health = session.get(f"{base}/healthz/", timeout=5)
    assert "max-age=31536000" in health.headers["Strict-Transport-Security"]

    quote = session.post(
        f"{base}/api/v1/quotes/",
        json={"location": people["location"].pk, "waste_stream": "trash", "container": "dumpster_4yd",
              "quantity": 1, "service_date": in_days(1).isoformat()},
        headers=business, timeout=10,
    )  # fmt: skip
    assert quote.status_code == 201, quote.text
    # A client's own X-Forwarded-For is kept but not believed: the rate limits count nginx's entry.
    booking = session.post(
        f"{base}/api/v1/pickups/", json={"quote": quote.json()["id"]},
        headers={**business, "X-Forwarded-For": "6.6.6.6", "X-Request-ID": "forged-by-the-client"}, timeout=10,
    )  # fmt: skip
    assert booking.status_code == 201, booking.text
    pickup_id = booking.json()["id"]
    request_id = booking.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, not the client's

    (logged,) = [line for line in request_lines(processes["web"], request_id) if line["logger"] == "haulmatch.request"]
    assert (logged["method"], logged["path"], logged["status"], logged["client"]) == (
        "POST", "/api/v1/pickups/", 201, "127.0.0.1"
    )  # fmt: skip

    # The booking's dispatch runs in the worker, under the booking's request id, and offers the job.
    dispatched = processes["worker"].wait_for(
        lambda: [
            line for line in request_lines(processes["worker"], request_id)
            if "marketplace.dispatch_pickup" in line["message"] and "succeeded" in line["message"]
        ],
        "dispatch task logged under the booking's request id",
    )  # fmt: skip
    assert dispatched[0]["level"] == "INFO"

    def pending_offer():
        offers = session.get(f"{base}/api/v1/hauler/offers/", headers=hauler, timeout=10).json()["results"]
        return [offer for offer in offers if offer["pickup"] == pickup_id]

    (offer,) = processes["worker"].wait_for(pending_offer, "offer to the hauler")
    accepted = session.post(f"{base}/api/v1/hauler/offers/{offer['id']}/accept/", headers=hauler, timeout=10)
    assert accepted.status_code == 200, accepted.text

    # A photo over the 10 MB limit gets the app's readable 400: nginx lets it through to say so.
    too_big = session.post(
        f"{base}/api/v1/hauler/jobs/{pickup_id}/complete/",
        files={"photo": ("photo.png", PNG + b"\x00" * (10 * 1024 * 1024 + 1), "image/png")},
        headers=hauler, timeout=30,
    )  # fmt: skip
    assert too_big.status_code == 400, too_big.text[:300]
    assert "10 MB" in str(too_big.json())

    done = session.post(
        f"{base}/api/v1/hauler/jobs/{pickup_id}/complete/",
        files={"photo": ("photo.png", PNG, "image/png")},
        data={"weight": "120", "weight_unit": "kg", "early_reason": "Booked for a later day, done today"},
        headers=hauler, timeout=10,
    )  # fmt: skip
    assert done.status_code == 200, done.text
    seen = session.get(f"{base}/api/v1/pickups/{pickup_id}/", headers=business, timeout=10).json()
    assert seen["status"] == "completed"

    # Pages work with DEBUG off: hashed static files from whitenoise, cached for good.
    login = session.get(f"{base}/accounts/login/", timeout=10)
    assert login.status_code == 200
    stylesheet = re.search(r'href="(/static/site\.[0-9a-f]{12}\.css)"', login.text).group(1)
    css = session.get(f"{base}{stylesheet}", timeout=10)
    assert css.status_code == 200 and "immutable" in css.headers["Cache-Control"]

    # The market's figures, scraped through nginx with the token; without it there is nothing there.
    assert session.get(f"{base}/metrics/", timeout=10).status_code == 404
    figures = session.get(f"{base}/metrics/", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    assert "haulmatch_bookings_total 1.0" in figures
    assert "haulmatch_offer_accepts_total 1.0" in figures
    assert 'haulmatch_pickups{status="completed"} 1.0' in figures
    assert "haulmatch_broker_up 1.0" in figures
    assert re.search(r'haulmatch_queue_depth\{queue="stack-[0-9a-f]+"\} \d', figures)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_exactly_one_beat_runs_and_its_sweeps_reach_the_worker(stack):
    from django_celery_beat.models import PeriodicTask

    processes = stack["processes"]
    beat = processes["beat"]
    beat.wait_for(lambda: PeriodicTask.objects.filter(name="expire-offers").exists(), "schedule in the database")

    # A second beat on the machine is refused by the unit's pid file; the first goes on.
    second = subprocess.run(
        stack["beat_command"], cwd=ROOT, env=stack["environment"], capture_output=True, text=True, timeout=60
    )
    assert second.returncode != 0
    assert "pidfile" in (second.stdout + second.stderr).lower()
    assert beat.process.poll() is None
    assert [line["message"] for line in beat.json_lines()].count("beat: Starting...") == 1

    # The sweep falls due (as if a minute had passed) and the worker runs it, under no request's id.
    sweep = PeriodicTask.objects.get(name="expire-offers")
    sweep.last_run_at = timezone.now() - dt.timedelta(days=1)
    sweep.save()
    ran = processes["worker"].wait_for(
        lambda: [
            line for line in processes["worker"].json_lines()
            if "marketplace.expire_offers" in line["message"] and "succeeded" in line["message"]
        ],
        "expire-offers sent by beat",
    )  # fmt: skip
    assert ran[0]["request_id"] is None
    # The worker was started without an embedded beat of its own.
    assert "-B" not in processes["worker"].command and "--beat" not in processes["worker"].command


def gunicorn_workers(master: int) -> list[int]:
    """The pids of the gunicorn master's worker processes (its children), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:  # the field after the name and state: ppid
                children.append(int(entry.name))
    return children


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_burst_past_the_limit_gets_fast_503s_and_nothing_half_saved(stack, people):
    """nginx hands gunicorn max_conns requests at once and answers the rest 503 at once; the app answers 503 to
    those that waited in gunicorn's queue past LOAD_SHED_WAIT_SECONDS; either way nothing is booked, and the client
    may send the booking again. Stopping gunicorn's workers (SIGSTOP) holds the admitted requests at gunicorn."""
    from marketplace import services
    from marketplace.models import Pickup

    base, processes = stack["base"], stack["processes"]
    limit = int(re.search(r"max_conns=(\d+)", (DEPLOY / "nginx" / "haulmatch.conf").read_text()).group(1))
    waited = float(stack["environment"]["LOAD_SHED_WAIT_SECONDS"])
    location = people["location"]
    quotes = [
        services.create_quote(customer=location.customer, location=location, waste_stream="trash",
                              container="dumpster_4yd", quantity=1 + n % 3, service_date=in_days(1 + n % 5))
        for n in range(limit + 10)
    ]  # fmt: skip

    def book(quote) -> dict:
        session = requests.Session()
        session.verify, session.trust_env = stack["session"].verify, False
        started = time.monotonic()
        answer = session.post(f"{base}/api/v1/pickups/", json={"quote": quote.pk}, headers=people["business"],
                              timeout=30)  # fmt: skip
        return {"quote": quote, "status": answer.status_code, "headers": answer.headers, "body": answer.json(),
                "seconds": time.monotonic() - started}  # fmt: skip

    def burst(batch, *, resume_after: float, meanwhile=lambda: None) -> tuple[list[dict], list[dict]]:
        """`batch` booked at once with gunicorn's workers stopped: (the answers that came while they were, the
        others), the workers resumed `resume_after` seconds after the first were all in (and `meanwhile` run)."""
        workers = gunicorn_workers(processes["web"].process.pid)
        assert workers
        for pid in workers:
            os.kill(pid, signal.SIGSTOP)
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(batch)) as pool:
                futures = [pool.submit(book, quote) for quote in batch]
                deadline = time.monotonic() + 20
                while sum(f.done() for f in futures) < len(batch) - limit and time.monotonic() < deadline:
                    time.sleep(0.05)
                meanwhile()
                time.sleep(resume_after)
                early = [future for future in futures if future.done()]
                assert len(early) == len(batch) - limit, f"{len(early)} answered with gunicorn's workers stopped"
                for pid in workers:
                    os.kill(pid, signal.SIGCONT)
                return [f.result() for f in early], [f.result() for f in futures if f not in early]
        finally:
            for pid in workers:
                os.kill(pid, signal.SIGCONT)

    def shed(answer) -> bool:
        return (answer["status"], answer["headers"].get("Retry-After"), answer["body"].get("code")) == (
            503, "2", "overloaded"
        )  # fmt: skip

    pages = []

    def page():
        started = time.monotonic()
        pages.append((stack["session"].get(f"{base}/accounts/login/", timeout=10), time.monotonic() - started))

    # 1. Held past the app's limit: nginx's 503s at once, then the app's to every request gunicorn held.
    fast, held = burst(quotes[: limit + 5], resume_after=waited + 0.5, meanwhile=page)
    ((busy, seconds),) = pages  # a page asked for meanwhile: nginx's short page, at once
    assert (busy.status_code, busy.headers["Retry-After"], seconds < 2) == (503, "2", True)
    assert busy.headers["Content-Type"] == "text/html; charset=utf-8" and "HaulMatch is busy" in busy.text
    assert all(shed(answer) and answer["seconds"] < 2 for answer in fast)
    assert all(answer["headers"]["Content-Type"] == "application/json" for answer in fast)
    assert all(shed(answer) for answer in held)
    assert all(int(answer["headers"]["X-Queue-Wait-Ms"]) >= waited * 1000 for answer in held)  # the app saw it
    logged = {line.get("request_id"): line["status"] for line in processes["web"].json_lines()
              if line.get("logger") == "haulmatch.request"}  # fmt: skip
    assert all(logged.get(answer["headers"]["X-Request-ID"]) == 503 for answer in held)
    assert not any(answer["headers"]["X-Request-ID"] in logged for answer in fast)  # these never reached the app
    assert not Pickup.objects.exists()

    # 2. Resumed at once: what was booked is booked once, what was refused is not booked at all.
    fast, held = burst(quotes[5:], resume_after=0)
    assert all(shed(answer) for answer in fast)
    assert all(answer["status"] == 201 or shed(answer) for answer in held)
    booked = {answer["body"]["id"] for answer in held if answer["status"] == 201}
    assert set(Pickup.objects.values_list("pk", flat=True)) == booked

    # 3. The refused bookings sent again once the burst is over: each books.
    again = [book(answer["quote"]) for answer in fast[:3]]
    assert [answer["status"] for answer in again] == [201, 201, 201]
    assert Pickup.objects.count() == len(booked) + 3
