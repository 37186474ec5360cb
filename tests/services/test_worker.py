"""A real Celery worker process runs tasks sent through Redis."""

import time

import pytest
import redis

from core.enqueue import enqueue
from marketplace.tasks import ping


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis(postgres, celery_worker_process):
    result = ping.apply_async(queue=celery_worker_process.queue)

    assert result.get(timeout=30) == "pong"
    assert "marketplace.ping" in celery_worker_process.log_path.read_text()


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_sees_postgres_and_redis(client, postgres, redis_url, settings):
    settings.REDIS_URL = redis_url
    response = client.get("/readyz/")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_enqueued_task_runs_without_its_result_being_stored(postgres, redis_url, celery_worker_process):
    # Nothing waits for what an enqueued task returns: storing it would cost the worker a Redis write per task,
    # and the sender a subscription to the result's channel.
    store = redis.Redis.from_url(redis_url)
    stored_before = set(store.scan_iter("celery-task-meta-*"))

    enqueue("marketplace.ping")  # outside a transaction: sent at once

    deadline = time.monotonic() + 30
    while "succeeded" not in celery_worker_process.log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "marketplace.ping" in celery_worker_process.log_path.read_text()
    assert "succeeded" in celery_worker_process.log_path.read_text()
    assert set(store.scan_iter("celery-task-meta-*")) == stored_before
