"""A real Celery worker process runs tasks sent through Redis."""

import pytest

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
