"""A worker killed (SIGKILL) in the middle of a task: the task runs again and its email goes out once."""

import os
import signal
import subprocess
import time

import pytest

from marketplace import tasks
from marketplace.models import Notification, Pickup
from tests.services.smtp_sink import SmtpSink
from tests.services.worker import Worker


def pool_children(pid: int) -> list[int]:
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in result.stdout.split()]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_runs_the_task_again_and_the_customer_is_told_once(
    postgres, redis_url, tmp_path, customer_owner, location
):
    from config.celery import app as celery_app

    sink = SmtpSink()
    sink.hold_first.set()
    # prefork with one child: killing the child mid-task is what a crash or an OOM kill looks like;
    # acks_late + reject_on_worker_lost put the task back on the queue at once.
    worker = Worker(
        redis_url, tmp_path / "worker.log", pool="prefork", extra_env={"EMAIL_URL": f"smtp://127.0.0.1:{sink.port}"}
    )
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.update(task_always_eager=False, task_default_queue=worker.queue, broker_url=redis_url)
    try:
        pickup = Pickup.objects.create(
            customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd",
            quantity=1, service_date=location.created_at.date(), price_cents=10_200, payout_cents=8_500,
        )  # fmt: skip
        tasks.notify.delay("pickup_booked", pickup.pk)

        assert sink.held.wait(timeout=30), worker.log_path.read_text()  # the task is mid-send
        children = pool_children(worker.process.pid)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
        sink.release.set()

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not sink.messages:
            time.sleep(0.2)
        time.sleep(2)  # room for a duplicate to show up, were there one
        log = worker.log_path.read_text()
        assert len(sink.messages) == 1, log
        assert f"To: {customer_owner.email}" in sink.messages[0]
        assert "WorkerLostError" in log or "signal 9" in log
        note = Notification.objects.get(user=customer_owner, kind="pickup_booked")
        assert note.emailed
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.stop()
        sink.close()
