"""Errors reach Sentry when SENTRY_DSN is set, through the SDK's real transport; without it the SDK stays off.

Each case runs in a process of its own: the SDK patches Django and Celery process-wide, which the
rest of the suite must not inherit.
"""

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# In the child process: one request to a view that raises, as a browser would make it (with a cookie).
REQUEST_A_BROKEN_PAGE = """
import django, sentry_sdk
django.setup()
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.config.sentry_urls", ALLOWED_HOSTS=["testserver"]):
    client = Client(raise_request_exception=False)
    client.cookies["last_search"] = "secret-cookie"
    status = client.get("/broken/", HTTP_X_REQUEST_ID="5e47" * 8, REMOTE_ADDR="198.51.100.4").status_code
sentry_sdk.flush(timeout=10)
print(status, sentry_sdk.get_client().is_active())
"""


class Receiver(BaseHTTPRequestHandler):
    """Stands in for sentry.io: keeps each envelope it is sent."""

    envelopes: list[list[dict]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        # The SDK compresses with brotli where that is installed (it is, with localstripe's aiohttp), else gzip.
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "br":
            import brotli

            body = brotli.decompress(body)
        elif encoding == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append([json.loads(line) for line in body.splitlines() if line.strip()])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_child(extra_env: dict) -> str:
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **extra_env}
    done = subprocess.run(
        [sys.executable, "-c", REQUEST_A_BROKEN_PAGE],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_an_error_in_a_view_arrives_at_sentry_without_personal_data(receiver):
    port = receiver.server_address[1]

    status, active = run_child({"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/42"})

    assert (status, active) == ("500", "True")
    events = [item for envelope in Receiver.envelopes for item in envelope if "exception" in item]
    assert len(events) == 1
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the pickup list fell over")
    assert event["environment"] == "development"
    assert event["tags"]["request_id"] == "5e47" * 8
    # send_default_pii is off: no cookies, no client address, no user.
    assert "secret-cookie" not in json.dumps(event)
    assert "198.51.100.4" not in json.dumps(event)
    assert "user" not in event or not event["user"].get("ip_address")


def test_without_a_dsn_sentry_is_not_started(receiver):
    status, active = run_child({})

    assert (status, active) == ("500", "False")
    assert Receiver.envelopes == []
