"""The services tier: real PostgreSQL, Redis and Celery worker processes.

Without them these tests are skipped on a developer's machine; under CI=true a missing
service fails the run instead, so a green CI always means they ran. The Stripe stand-in's
fixtures (stripe_server, stripe_on) come from tests/stripe_stand_in.py, shared with the browser tier.
"""

import pytest
import redis
from celery._state import _set_task_join_will_block
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from tests.services.worker import Worker
from tests.stripe_stand_in import unavailable


@pytest.fixture(autouse=True)
def _join_guard_reset():
    """Celery marks 'inside a task' with one process-wide flag, saved and restored around each eager task; racing
    threads that each run eager tasks (the accept races) can restore it in the wrong order and leave it set, and a
    later test's result.get() then refuses. Nothing in production runs eager tasks from threads."""
    yield
    _set_task_join_will_block(False)


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
