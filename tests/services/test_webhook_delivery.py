"""Webhooks as they run: a real Celery worker (through Redis, on PostgreSQL) POSTs to a receiver on loopback, a 500 is
retried by the beat's sweep, and two workers claiming one delivery at once send it once."""

import json
import threading
import time

import pytest
from django.db import connection, transaction

from config.celery import app as celery_app
from marketplace import webhook_http, webhooks
from marketplace.models import WebhookDelivery
from marketplace.tasks import retry_webhooks
from tests import factories
from tests.services.worker import Worker
from tests.webhook_receiver import serving


@pytest.fixture
def receiver():
    with serving() as running:
        yield running


@pytest.fixture
def quick_retry_worker(redis_url, tmp_path):
    """A worker whose first retry comes a second after a failure (not a minute), so the test can wait for it."""
    worker = Worker(redis_url, tmp_path / "worker.log", extra_env={"WEBHOOK_RETRY_1": "1s"})
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


def wait_until(delivery: WebhookDelivery, done, timeout: float = 30) -> WebhookDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if done(delivery):
            return delivery
        time.sleep(0.1)
    raise AssertionError(f"delivery {delivery.pk}: {delivery.status} after {delivery.attempts} attempts")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_a_signed_event_and_the_sweep_retries_a_500(postgres, quick_retry_worker, receiver):
    receiver.answers = [500, 200]
    customer = factories.CustomerFactory()
    endpoint = webhooks.create_endpoint(owner=customer, url=receiver.url, events=["pickup.missed"], by=None)

    (delivery,) = webhooks.emit(event_type="pickup.missed", owner=customer, data={"pickup": {"id": 4}}, key="4")

    first = receiver.wait_for(1)[0]
    delivery = wait_until(delivery, lambda d: d.attempts == 1)
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.response_code) == (1, 500)
    assert (delivery.next_attempt_at - delivery.last_attempt_at).total_seconds() == pytest.approx(1, abs=0.01)

    time.sleep(1.2)  # the retry is due: the beat's sweep finds it and a worker sends it
    assert retry_webhooks.apply_async(queue=quick_retry_worker.queue).get(timeout=30) == 1
    delivery = wait_until(delivery, lambda d: d.status == WebhookDelivery.Status.DELIVERED)

    second = receiver.wait_for(2)[1]
    assert (delivery.attempts, delivery.response_code) == (2, 200)
    assert first.headers["HaulMatch-Event-Id"] == second.headers["HaulMatch-Event-Id"] == delivery.event_id
    assert first.body == second.body and json.loads(second.body)["data"] == {"pickup": {"id": 4}}
    timestamp = int(delivery.last_attempt_at.timestamp())
    expected = webhooks.signature(body=second.body, secret=endpoint.secret, timestamp=timestamp)
    assert second.headers["HaulMatch-Signature"] == f"t={timestamp},v1={expected}"
    assert "marketplace.deliver_webhook" in quick_retry_worker.log_path.read_text()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_delivery_send_it_once(postgres, receiver):
    receiver.answers = [(200, 1.0)]  # a slow receiver: the second claim arrives while the first is sending
    customer = factories.CustomerFactory()
    webhooks.create_endpoint(owner=customer, url=receiver.url, events=["bin.full"], by=None)
    delivery = WebhookDelivery.objects.create(
        endpoint=customer.webhook_endpoints.get(),
        event_id="evt_race",
        event_type="bin.full",
        payload={"id": "evt_race", "type": "bin.full", "created": "2026-12-01T00:00:00Z", "data": {}},
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    outcomes = []
    start = threading.Barrier(2)

    def claim():
        try:
            start.wait()
            outcomes.append(webhooks.deliver(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcome is None for outcome in outcomes) == [False, True]
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.DELIVERED, 1)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_send_which_holds_no_transaction_or_lock(postgres, receiver, monkeypatch):
    customer = factories.CustomerFactory()
    webhooks.create_endpoint(owner=customer, url=receiver.url, events=["bin.full"], by=None)
    delivery = WebhookDelivery.objects.create(
        endpoint=customer.webhook_endpoints.get(),
        event_id="evt_outside",
        event_type="bin.full",
        payload={"id": "evt_outside", "type": "bin.full", "created": "2026-12-01T00:00:00Z", "data": {}},
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    seen = {}

    def from_another_connection():
        try:
            with transaction.atomic():  # NOWAIT: an error at once if the sending worker held the row's lock
                row = WebhookDelivery.objects.select_for_update(nowait=True).get(pk=delivery.pk)
                seen["others_see"] = (row.attempts, row.next_attempt_at > row.last_attempt_at)
        finally:
            connection.close()

    real_post = webhook_http.post

    def watched_post(url, *, body, headers):
        seen["in_transaction"] = connection.in_atomic_block
        other = threading.Thread(target=from_another_connection)
        other.start()
        other.join()
        return real_post(url, body=body, headers=headers)

    monkeypatch.setattr(webhook_http, "post", watched_post)
    assert webhooks.deliver(delivery_id=delivery.pk).status == WebhookDelivery.Status.DELIVERED
    assert seen == {"in_transaction": False, "others_see": (1, True)}  # counted, its retry set, unlocked


@pytest.mark.services
@pytest.mark.django_db
def test_a_charged_pickup_and_a_declined_card_reach_the_business_s_endpoint(
    stripe_on, customer, in_area_hauler, receiver, run_on_commit
):
    from tests.services.billing_support import DECLINES_ON_CHARGE, complete, save_card, scheduled_pickup

    events = ["pickup.completed", "payment.succeeded", "payment.failed"]
    webhooks.create_endpoint(owner=customer, url=receiver.url, events=events, by=None)
    save_card(customer)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    save_card(customer, DECLINES_ON_CHARGE)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=4_100, payout=3_000))

    bodies = [json.loads(r.body) for r in receiver.wait_for(4)]
    by_type = sorted((b["type"], b["data"].get("payment", {}).get("amount_cents")) for b in bodies)
    assert by_type == [
        ("payment.failed", 4_100),
        ("payment.succeeded", 10_200),
        ("pickup.completed", None),
        ("pickup.completed", None),
    ]
    failed = next(b for b in bodies if b["type"] == "payment.failed")["data"]["payment"]
    assert failed["status"] == "failed" and failed["failure_message"] and failed["next_attempt_at"].endswith("Z")
