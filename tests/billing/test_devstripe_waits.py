"""The Stripe stand-in holds its webhooks until the site answers, as `make run` needs: it starts first, and seeding
the demo makes charges while the site is still migrating."""

import hashlib
import hmac
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("localstripe") is None, reason="needs localstripe")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Site:
    """A loopback 'site' started late: it records each webhook posted to it and answers 200."""

    def __init__(self, port: int):
        received = self.received = []
        self.most_at_once, active, lock = 0, [0], threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                with lock:
                    active[0] += 1
                    site.most_at_once = max(site.most_at_once, active[0])
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(0.1)  # long enough for a second webhook sent at once to overlap
                received.append((self.path, dict(self.headers), body))
                with lock:
                    active[0] -= 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def stand_in(tmp_path):
    """billing.devstripe as `make run` starts it, its webhook pointed at a port where nothing listens yet."""
    port, site_port = free_port(), free_port()
    log = (tmp_path / "devstripe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "billing.devstripe", "--port", str(port),
         "--webhook", f"http://127.0.0.1:{site_port}/billing/stripe/webhook/", "--webhook-secret", "whsec_demo"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(base + "/js.stripe.com/v3/", timeout=1).close()
            return True
        except OSError:
            return False

    try:
        assert wait_until(answers, 15), (tmp_path / "devstripe.log").read_text()
        yield base, site_port, tmp_path / "devstripe.log"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def new_customer(base: str, email: str) -> str:
    request = urllib.request.Request(
        base + "/v1/customers", data=f"email={email}".encode(), method="POST",
        headers={"Authorization": "Bearer sk_test_haulmatch_demo"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["id"]


def test_webhooks_wait_for_the_site_and_are_then_delivered_one_at_a_time(stand_in):
    base, site_port, log = stand_in
    customers = [new_customer(base, f"cafe{number}%40example.com") for number in range(3)]
    time.sleep(2.5)  # localstripe sends an event a second after it happens: the site is not up yet

    site = Site(site_port)
    try:
        assert wait_until(lambda: len(site.received) == 3, 15), f"webhooks lost:\n{log.read_text()}"
        events = [json.loads(body) for _, _, body in site.received]
        assert [path for path, _, _ in site.received] == ["/billing/stripe/webhook/"] * 3
        assert [event["type"] for event in events] == ["customer.created"] * 3
        assert [event["data"]["object"]["id"] for event in events] == customers  # in the order they happened
        for _, headers, body in site.received:
            created = json.loads(body)["created"]
            signed = hmac.new(b"whsec_demo", f"{created}.".encode() + body, hashlib.sha256).hexdigest()
            assert headers["Stripe-Signature"] == f"t={created},v1={signed}"
        assert site.most_at_once == 1
        assert "Cannot connect" not in log.read_text()
    finally:
        site.close()
