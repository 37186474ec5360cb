"""The services tier: real PostgreSQL, Redis and Celery worker processes.

Without them these tests are skipped on a developer's machine; under CI=true a missing
service fails the run instead, so a green CI always means they ran.
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
import redis
from django.conf import settings
from django.db import connection

from marketplace.celery import app as celery_app
from tests.services.billing_support import stripe_request
from tests.services.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        unavailable("the services tier needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


@pytest.fixture(scope="session")
def redis_url():
    url = settings.REDIS_URL
    if not url:
        unavailable("the services tier needs Redis: set REDIS_URL=redis://...")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {url} does not answer: {error}")
    return url


@pytest.fixture
def celery_worker_process(redis_url, tmp_path):
    """Start a worker against this test run's database and Redis; stop it after the test.

    Tests that use it need `django_db(transaction=True)`: the worker is another
    connection and sees only committed rows.
    """
    worker = Worker(redis_url, tmp_path / "worker.log")
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker.queue
    celery_app.conf.broker_url = redis_url
    celery_app.conf.result_backend = redis_url
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.stop()


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
