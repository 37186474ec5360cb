"""The Stripe stand-in for the tiers that talk to it (services, browser): `python -m billing.devstripe`.

Without localstripe these tests are skipped on a developer's machine; under CI=true that fails the run instead.
"""

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.services.billing_support import stripe_request

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    """Skip the test for want of `reason`; under CI=true fail it instead."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def stripe_server(tmp_path_factory):
    """`python -m billing.devstripe` on a free loopback port for the session; yields its base URL."""
    if importlib.util.find_spec("localstripe") is None:
        unavailable("the billing tests need localstripe: pip install -r requirements-dev.txt")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("devstripe") / "devstripe.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "billing.devstripe", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            if process.poll() is not None:
                pytest.fail(f"billing.devstripe exited ({process.returncode}):\n{log_path.read_text()}")
            try:
                urllib.request.urlopen(base + "/js.stripe.com/v3/", timeout=1).close()
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"billing.devstripe did not answer within 10 s:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def stripe_on(settings, stripe_server):
    """Payments on for one test, against the stand-in, which starts the test empty."""
    settings.STRIPE_SECRET_KEY = "sk_test_haulmatch"
    settings.STRIPE_API_BASE = stripe_server
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    stripe_request(stripe_server, "DELETE", "/_config/data")
    stripe_request(stripe_server, "DELETE", "/_config/connect")
    return stripe_server
