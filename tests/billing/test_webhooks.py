"""The Stripe webhook endpoint: verified, stored once per event id, handled once, never a 500."""

import hashlib
import hmac
import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client

from billing import tasks
from billing.models import Payment, StripeEvent
from tests import factories

URL = "/billing/stripe/webhook/"
SECRET = "whsec_test_secret"  # tests/conftest.py sets STRIPE_WEBHOOK_SECRET to this


def event(event_id="evt_1", kind="customer.created", obj=None) -> bytes:
    body = {"id": event_id, "object": "event", "type": kind, "data": {"object": obj or {"id": "cus_1"}}}
    return json.dumps(body).encode()


def signed(payload: bytes, *, secret=SECRET, at=None) -> str:
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def deliver(client, payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return client.post(URL, data=payload, content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_signed_event_is_stored_and_handled_once(client, run_on_commit):
    payload = event()
    response = run_on_commit(deliver, client, payload, signed(payload))

    assert response.status_code == 200
    row = StripeEvent.objects.get()
    assert (row.event_id, row.type, row.payload["data"]["object"]["id"]) == ("evt_1", "customer.created", "cus_1")
    assert row.status == StripeEvent.Status.IGNORED  # no handler for this type: kept, marked, nothing else
    assert row.attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "t=1,v1=deadbeef",
        "garbage",
        pytest.param("WRONG_SECRET", id="signed-with-another-secret"),
        pytest.param("TAMPERED", id="payload-changed-after-signing"),
    ],
)
def test_a_bad_signature_is_refused_and_writes_nothing(client, signature):
    payload = event()
    if signature == "WRONG_SECRET":
        signature = signed(payload, secret="whsec_someone_else")
    elif signature == "TAMPERED":
        signature = signed(payload)
        payload = payload.replace(b"cus_1", b"cus_2")

    response = deliver(client, payload, signature)

    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_a_signature_older_than_the_tolerance_is_refused(client, settings):
    payload = event()
    stale = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE - 5

    assert deliver(client, payload, signed(payload, at=stale)).status_code == 400
    assert not StripeEvent.objects.exists()
    # just inside the tolerance is accepted
    fresh = int(time.time()) - settings.STRIPE_WEBHOOK_TOLERANCE + 30
    assert deliver(client, payload, signed(payload, at=fresh)).status_code == 200


@pytest.mark.django_db
def test_a_signed_payload_that_is_not_an_event_is_refused(client):
    for payload in (b"not json", b"[1, 2]", b'{"id": "evt_1"}'):
        assert deliver(client, payload, signed(payload)).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_without_a_configured_secret_every_delivery_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = event()
    assert deliver(client, payload, signed(payload, secret="")).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.django_db
def test_only_post_is_accepted(client):
    assert client.get(URL).status_code == 405


@pytest.mark.django_db
def test_the_same_event_five_times_is_stored_and_handled_once(client, run_on_commit):
    payload = event("evt_again", "payment_intent.succeeded", {"id": "pi_not_ours", "object": "payment_intent"})
    answers = [run_on_commit(deliver, client, payload, signed(payload)) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert [a.content for a in answers] == [b"ok"] + [b"already received"] * 4
    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.PROCESSED
    assert row.outcome == "not one of ours"
    assert row.attempts == 1
    # the sweep that re-handles failed or lost events leaves a processed one alone
    assert tasks.retry_events() == 0
    row.refresh_from_db()
    assert row.attempts == 1


@pytest.mark.django_db
def test_a_failing_handler_is_recorded_on_the_row_and_retried_by_the_sweep(client, run_on_commit):
    # Payments are off in this test, so re-fetching the PaymentIntent from Stripe fails.
    customer = factories.BillingAccountFactory().customer
    pickup = factories.PickupFactory(location__customer=customer, status="completed")
    Payment.objects.create(
        customer=customer, pickup=pickup, description="x", amount_cents=3000, stripe_payment_intent_id="pi_ours"
    )
    payload = event("evt_fail", "payment_intent.succeeded", {"id": "pi_ours", "object": "payment_intent"})

    assert (
        run_on_commit(deliver, client, payload, signed(payload)).status_code == 200
    )  # stored: Stripe must not resend forever

    row = StripeEvent.objects.get()
    assert row.status == StripeEvent.Status.FAILED
    assert "GatewayError" in row.outcome and "not set up" in row.outcome
    tasks.retry_events()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (StripeEvent.Status.FAILED, 2)
    assert Payment.objects.get().status == Payment.Status.PENDING  # nothing moved


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_is_stored_once():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    payload = event("evt_race", "customer.updated")
    signature = signed(payload)
    barrier = threading.Barrier(6)
    codes = []

    def post():
        try:
            barrier.wait()
            codes.append(deliver(Client(), payload, signature).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert codes == [200] * 6
    assert StripeEvent.objects.filter(event_id="evt_race").count() == 1
    assert StripeEvent.objects.get().attempts == 1
