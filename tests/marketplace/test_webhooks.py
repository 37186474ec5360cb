"""Outbound webhooks: signed, retried on a schedule, rotated with an overlap, emitted once, refused where they must
not go, and each organisation's own. Deliveries go to a real HTTP server on loopback (tests/webhook_receiver.py)."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from billing.models import Invoice, Payment
from marketplace import notifications, webhooks
from marketplace.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.marketplace.webhook_cast import api_for, endpoint_for, sent

README = Path(__file__).resolve().parents[2] / "README.md"
ENDPOINTS = "/api/v1/webhooks/endpoints/"


def readme_verify():
    """The verification snippet exactly as the README prints it."""
    code = re.search(r"```python\n(import hashlib.*?def verify\(.*?)```", README.read_text(), re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["verify"]


@pytest.fixture
def pickup(business, location, in_area_hauler):
    return factories.PickupFactory(customer=business, location=location, hauler=in_area_hauler)


# --- Signing and verifying ------------------------------------------------------------


@pytest.mark.django_db
def test_the_readme_snippet_verifies_a_real_delivery_and_refuses_a_forgery(business, receiver, run_on_commit):
    endpoint = endpoint_for(business, receiver.url, events=["bin.full"])

    deliveries = run_on_commit(
        webhooks.emit, event_type="bin.full", owner=business, data={"bin": {"fill_percent": 91}}, key="reading:7"
    )

    (request,) = receiver.wait_for(1)
    verify = readme_verify()
    header = request.headers["HaulMatch-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert verify(request.body, header, endpoint.secret)
    assert not verify(request.body, header, "whsec_someone_else")
    assert not verify(request.body.replace(b"91", b"19"), header, endpoint.secret)
    assert not verify(request.body, header.replace("t=", "t=1"), endpoint.secret)  # another time, another MAC
    body = json.loads(request.body)
    assert body == {
        "id": deliveries[0].event_id,
        "type": "bin.full",
        "created": body["created"],
        "data": {"bin": {"fill_percent": 91}},
    }
    assert body["created"].endswith("Z")
    assert request.headers["HaulMatch-Event-Id"] == body["id"]
    assert request.headers["Content-Type"] == "application/json"
    assert sent(deliveries[0]).status == WebhookDelivery.Status.DELIVERED
    assert deliveries[0].response_code == 200
    assert deliveries[0].response_excerpt == '{"received": true}'


@pytest.mark.django_db
def test_an_old_signature_is_refused_by_the_snippet(business, receiver, run_on_commit):
    endpoint = endpoint_for(business, receiver.url)
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=10), tick=False):
        run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="1")
    (request,) = receiver.wait_for(1)
    assert not readme_verify()(request.body, request.headers["HaulMatch-Signature"], endpoint.secret)


# --- Rotation -------------------------------------------------------------------------


@pytest.mark.django_db
def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(business, receiver, run_on_commit):
    endpoint = endpoint_for(business, receiver.url)
    old = endpoint.secret
    endpoint = webhooks.rotate_secret(endpoint=endpoint, by=None, overlap=dt.timedelta(hours=2))
    new = endpoint.secret
    assert new != old and new.startswith("whsec_")
    verify = readme_verify()

    run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="a")
    during = receiver.wait_for(1)[0]
    assert during.headers["HaulMatch-Signature"].count("v1=") == 2
    assert verify(during.body, during.headers["HaulMatch-Signature"], old)
    assert verify(during.body, during.headers["HaulMatch-Signature"], new)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, seconds=1)):
        run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="b")
        after = receiver.wait_for(2)[1]
        assert after.headers["HaulMatch-Signature"].count("v1=") == 1
        assert verify(after.body, after.headers["HaulMatch-Signature"], new)
        assert not verify(after.body, after.headers["HaulMatch-Signature"], old)


@pytest.mark.django_db
def test_a_rotation_without_overlap_retires_the_old_secret_at_once(business, receiver, run_on_commit):
    endpoint = endpoint_for(business, receiver.url)
    old = endpoint.secret
    webhooks.rotate_secret(endpoint=endpoint, by=None, overlap=dt.timedelta(0))
    run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="a")
    (request,) = receiver.wait_for(1)
    assert not readme_verify()(request.body, request.headers["HaulMatch-Signature"], old)


# --- Emission -------------------------------------------------------------------------


@pytest.mark.django_db
def test_emitting_the_same_happening_twice_records_and_sends_it_once(business, receiver, run_on_commit):
    endpoint_for(business, receiver.url)
    first = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={"n": 1}, key="p:5")
    again = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={"n": 2}, key="p:5")
    assert [d.pk for d in first] == [d.pk for d in again]
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.wait_for(1)) == 1
    assert json.loads(receiver.requests[0].body)["data"] == {"n": 1}


@pytest.mark.django_db
def test_only_active_endpoints_subscribed_to_the_event_get_it(business, receiver, run_on_commit, other_business):
    endpoint_for(business, receiver.url, events=["pickup.completed"])
    endpoint_for(business, receiver.url + "?other", events=["payment.failed"])
    off = endpoint_for(business, receiver.url + "?off", events=["pickup.completed"])
    webhooks.update_endpoint(endpoint=off, by=None, active=False)
    endpoint_for(other_business, receiver.url + "?theirs", events=["pickup.completed"])

    deliveries = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="1")

    assert len(deliveries) == 1
    assert [r.path for r in receiver.wait_for(1)] == ["/hooks/haulmatch"]


@pytest.mark.django_db
def test_a_rolled_back_change_sends_nothing(business, receiver, django_capture_on_commit_callbacks):
    from django.db import transaction

    endpoint_for(business, receiver.url)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        webhooks.emit(event_type="pickup.completed", owner=business, data={}, key="1")
        raise RuntimeError("the booking failed")
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_market_s_notices_emit_their_events_to_the_business_and_the_hauler(
    business, pickup, in_area_hauler, receiver, run_on_commit
):
    endpoint_for(business, receiver.url + "?business", events=["pickup.completed", "pickup.booked"])
    endpoint_for(in_area_hauler, receiver.url + "?hauler", events=["pickup.completed"])
    pickup.completed_at = timezone.now()
    pickup.save()

    run_on_commit(notifications.send, "pickup_completed", pickup.pk)
    run_on_commit(notifications.send, "pickup_completed", pickup.pk)  # a retried notify task: nothing new

    requests = {r.path.split("?")[1]: json.loads(r.body) for r in receiver.wait_for(2)}
    assert len(receiver.requests) == 2
    mine, theirs = requests["business"]["data"]["pickup"], requests["hauler"]["data"]["pickup"]
    assert requests["business"]["type"] == requests["hauler"]["type"] == "pickup.completed"
    assert mine["id"] == theirs["id"] == pickup.pk
    assert mine["status"] == "scheduled"  # the factory's status: the payload is the row as it was sent
    assert mine["price_cents"] == 3_000 and "payout_cents" not in mine
    assert theirs["payout_cents"] == 2_400 and "price_cents" not in theirs
    assert theirs["location"]["street"] == pickup.location.street and "street" not in mine["location"]
    assert mine["hauler"] == {"id": in_area_hauler.pk, "name": in_area_hauler.name}
    assert mine["window_start"].endswith("Z") and mine["completed_at"].endswith("Z")
    assert mine["service_date"] == pickup.service_date.isoformat()
    assert mine["url"].endswith(f"/pickups/{pickup.pk}/")


@pytest.mark.django_db
def test_payments_and_invoices_emit_with_money_in_cents(business, receiver, run_on_commit):
    endpoint_for(business, receiver.url, events=["payment.succeeded", "payment.failed", "invoice.issued"])
    invoice = Invoice.objects.create(
        customer=business, month=dt.date(2026, 11, 1), number="HM-2026-11-0001", subtotal_cents=9_000, total_cents=9_000
    )
    payment = Payment.objects.create(
        customer=business, invoice=invoice, description="November", amount_cents=9_000, status="failed", attempts=1
    )
    run_on_commit(webhooks.emit_payment, payment=payment)
    run_on_commit(webhooks.emit_payment, payment=payment)  # the same attempt: once
    payment.attempts, payment.status, payment.paid_at = 2, Payment.Status.SUCCEEDED, timezone.now()
    run_on_commit(webhooks.emit_payment, payment=payment)
    run_on_commit(webhooks.emit_invoice, invoice=invoice)

    bodies = [json.loads(r.body) for r in receiver.wait_for(3)]
    assert [b["type"] for b in bodies] == ["payment.failed", "payment.succeeded", "invoice.issued"]
    assert bodies[0]["data"]["payment"]["amount_cents"] == 9_000
    assert bodies[0]["data"]["payment"]["invoice"] == invoice.pk
    assert bodies[1]["data"]["payment"]["paid_at"].endswith("Z")
    assert bodies[2]["data"]["invoice"] | {"issued_at": None, "url": None} == {
        "id": invoice.pk,
        "number": "HM-2026-11-0001",
        "month": "2026-11",
        "status": "open",
        "subtotal_cents": 9_000,
        "credit_cents": 0,
        "total_cents": 9_000,
        "currency": "usd",
        "issued_at": None,
        "url": None,
    }


# --- The API: who may, and whose ------------------------------------------------------


@pytest.fixture
def other_business(db):
    return factories.CustomerMembershipFactory(customer__name="Rival Diner").customer


@pytest.mark.django_db
def test_the_api_registers_shows_the_secret_once_changes_tests_logs_and_removes(
    customer_owner, receiver, django_capture_on_commit_callbacks
):
    api = api_for(customer_owner)
    created = api.post(
        ENDPOINTS, {"url": receiver.url, "events": ["pickup.missed", "bin.full"], "description": "ERP"}, format="json"
    )
    assert created.status_code == 201, created.content
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["events"] == ["pickup.missed", "bin.full"]
    path = f"{ENDPOINTS}{endpoint['id']}/"
    shown = api.get(path).json()
    assert "secret" not in shown and shown["secret_hint"] == "whsec_…" + endpoint["secret"][-4:]
    assert api.get(ENDPOINTS).json()["results"][0]["id"] == endpoint["id"]

    assert api.patch(path, {"events": ["alarm.opened"]}, format="json").json()["events"] == ["alarm.opened"]
    assert api.patch(path, {"events": ["pickup.teleported"]}, format="json").status_code == 400
    assert api.patch(path, {"events": []}, format="json").json() == {"events": ["Choose at least one event."]}

    rotated = api.post(f"{path}rotate-secret/", {"overlap_hours": 1}, format="json")
    assert rotated.status_code == 200 and rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert api.post(f"{path}rotate-secret/", {"overlap_hours": 1000}, format="json").status_code == 400

    with django_capture_on_commit_callbacks(execute=True):  # as a request outside a test's transaction does
        tested = api.post(f"{path}test/")
    assert tested.status_code == 202
    assert tested.json()["event_type"] == "webhook.test"
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["type"] == "webhook.test"
    assert readme_verify()(request.body, request.headers["HaulMatch-Signature"], rotated.json()["secret"])
    log = api.get(f"{path}deliveries/").json()["results"]
    assert [(d["event_type"], d["status"], d["response_code"]) for d in log] == [("webhook.test", "delivered", 200)]
    assert api.get(f"{path}deliveries/?status=failed").json()["results"] == []

    assert api.patch(path, {"active": False}, format="json").json()["active"] is False
    assert api.post(f"{path}test/").status_code == 409
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404


@pytest.mark.django_db
def test_another_organisation_s_endpoint_is_a_404_everywhere(customer_owner, other_business, receiver):
    theirs = endpoint_for(other_business, receiver.url)
    api = api_for(customer_owner)
    path = f"{ENDPOINTS}{theirs.pk}/"
    answers = [
        api.get(path),
        api.patch(path, {"active": False}, format="json"),
        api.delete(path),
        api.post(f"{path}rotate-secret/", {}, format="json"),
        api.post(f"{path}test/"),
        api.get(f"{path}deliveries/"),
    ]
    assert [a.status_code for a in answers] == [404] * 6
    assert api.get(ENDPOINTS).json()["results"] == []
    theirs.refresh_from_db()
    assert theirs.active and receiver.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("side", "role", "allowed"),
    [
        ("customer", "owner", True),
        ("customer", "manager", True),
        ("customer", "member", False),
        ("hauler", "owner", True),
        ("hauler", "dispatcher", False),
        ("hauler", "driver", False),
    ],
)
def test_only_owners_and_managers_set_up_webhooks(side, role, allowed):
    factory = factories.CustomerMembershipFactory if side == "customer" else factories.HaulerMembershipFactory
    membership = factory(role=role)
    api = api_for(membership.user)
    created = api.post(ENDPOINTS, {"url": "http://127.0.0.1:9/x", "events": ["pickup.completed"]}, format="json")
    listed = api.get(ENDPOINTS)
    if allowed:
        assert (created.status_code, listed.status_code) == (201, 200)
        return
    assert (created.status_code, listed.status_code) == (403, 403)
    assert created.json()["code"] == "permission_denied"
    assert "can set up webhooks" in created.json()["detail"]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_the_service_itself_refuses_a_member(db):
    from django.core.exceptions import PermissionDenied

    membership = factories.CustomerMembershipFactory(role="member")
    with pytest.raises(PermissionDenied):
        webhooks.create_endpoint(
            owner=membership.customer, url="http://127.0.0.1:9/", events=["bin.full"], by=membership.user
        )


@pytest.mark.django_db
def test_a_hauler_picks_only_its_job_events(db):
    hauler_owner = factories.HaulerMembershipFactory(role="owner").user
    api = api_for(hauler_owner)
    answer = api.post(ENDPOINTS, {"url": "http://127.0.0.1:9/", "events": ["payment.succeeded"]}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"events": ["Not an event you can receive: payment.succeeded."]}


@pytest.mark.django_db
def test_an_account_of_neither_side_is_refused(db):
    api = api_for(factories.UserFactory())
    assert api.get(ENDPOINTS).status_code == 403
    assert APIClient().get(ENDPOINTS).status_code == 401


@pytest.mark.django_db
def test_there_is_a_limit_to_endpoints(customer_owner):
    api = api_for(customer_owner)
    for n in range(webhooks.MAX_ENDPOINTS):
        body = {"url": f"http://127.0.0.1:9/{n}", "events": ["bin.full"]}
        assert api.post(ENDPOINTS, body, format="json").status_code == 201
    answer = api.post(ENDPOINTS, {"url": "http://127.0.0.1:9/x", "events": ["bin.full"]}, format="json")
    assert answer.status_code == 409


@pytest.mark.django_db
def test_a_full_bin_and_an_alarm_reach_the_business_s_endpoint(business, location, receiver, run_on_commit):
    from sensors.models import Alarm, Reading
    from tests.marketplace.alarm_cast import device_at

    endpoint_for(business, receiver.url, events=["bin.full", "alarm.opened"])
    device = device_at(location, "SN-77")
    reading = Reading.objects.create(device=device, fill_percent=88, measured_at=timezone.now())
    alarm = Alarm.objects.create(device=device, kind="tilt", detail="Tipped 80°", opened_at=timezone.now())
    staff_only = Alarm.objects.create(device=device, kind="impossible_value", detail="x", opened_at=timezone.now())

    run_on_commit(notifications.send, "bin_full_suggest", reading.pk)
    run_on_commit(notifications.send, "alarm_tilt", alarm.pk)
    run_on_commit(notifications.send, "alarm_impossible_value", staff_only.pk)  # staff's: not the business's event

    full, tilted = (json.loads(r.body) for r in receiver.wait_for(2))
    assert len(receiver.requests) == 2
    assert full["type"] == "bin.full" and full["data"]["bin"]["fill_percent"] == 88
    assert full["data"]["bin"]["device"]["serial"] == "SN-77"
    assert full["data"]["bin"]["location"]["id"] == location.pk
    assert tilted["type"] == "alarm.opened"
    assert tilted["data"]["alarm"] | {"opened_at": None} == {
        "id": alarm.pk,
        "kind": "tilt",
        "detail": "Tipped 80°",
        "opened_at": None,
        "device": full["data"]["bin"]["device"],
        "location": full["data"]["bin"]["location"],
    }


@pytest.mark.django_db
def test_the_delivery_log_pages_by_cursor_in_a_fixed_number_of_queries(
    customer_owner, business, django_assert_max_num_queries
):
    endpoint = endpoint_for(business, "http://127.0.0.1:9/")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_id=f"evt_{n}", event_type="bin.full", payload={"n": n})
        for n in range(45)
    )
    api = api_for(customer_owner)
    seen, url = [], f"{ENDPOINTS}{endpoint.pk}/deliveries/?page_size=20"
    while url:
        with django_assert_max_num_queries(6):
            page = api.get(url).json()
        seen += [d["event_id"] for d in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 45
    assert seen[0] == "evt_44"  # newest first
    assert api.get(f"{ENDPOINTS}{endpoint.pk}/deliveries/?cursor=forged").status_code == 404


@pytest.mark.django_db
def test_the_log_forgets_finished_deliveries_after_its_retention(business, settings):
    endpoint = endpoint_for(business, "http://127.0.0.1:9/")

    def delivery(event_id: str, status: str = "delivered") -> None:
        WebhookDelivery.objects.create(endpoint=endpoint, event_id=event_id, event_type="t", payload={}, status=status)

    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        delivery("evt_sent")
        delivery("evt_given_up", "failed")
        delivery("evt_still_trying", "pending")
    delivery("evt_new")

    assert webhooks.prune_log() == 2
    assert set(WebhookDelivery.objects.values_list("event_id", flat=True)) == {"evt_still_trying", "evt_new"}
    settings.WEBHOOK_LOG_RETENTION = dt.timedelta(days=60)
    assert webhooks.prune_log() == 0


def keys_of(data) -> set[str]:
    """Every key in a payload, nested ones included."""
    if isinstance(data, dict):
        return set(data) | {key for value in data.values() for key in keys_of(value)}
    return set()


@pytest.mark.django_db
def test_every_field_of_every_payload_is_documented(business, pickup, location):
    from marketplace import webhook_events as events
    from sensors.models import Alarm
    from tests.marketplace.alarm_cast import device_at

    device = device_at(location, "SN-9")
    invoice = Invoice.objects.create(
        customer=business, month=dt.date(2026, 11, 1), number="N", subtotal_cents=1, total_cents=1
    )
    payment = Payment.objects.create(customer=business, invoice=invoice, description="d", amount_cents=1)
    alarm = Alarm.objects.create(device=device, kind="tilt", detail="d", opened_at=timezone.now())
    payloads = [
        events.pickup_data(pickup, for_hauler=False),
        events.pickup_data(pickup, for_hauler=True),
        events.payment_data(payment),
        events.invoice_data(invoice),
        events.bin_data(device=device, fill_percent=90, measured_at=timezone.now(), pickup=pickup),
        events.alarm_data(alarm),
    ]
    for payload in payloads:
        ((kind, body),) = payload.items()
        documented = set(re.findall(r"[a-z_]+", events.DATA[kind]))
        assert keys_of(body) - documented == set(), kind
    assert {name.split(".")[0] for name in events.EVENTS} == set(events.DATA)


@pytest.mark.django_db
def test_a_fault_in_a_notice_s_webhooks_does_not_keep_its_email_back(
    business, pickup, receiver, run_on_commit, monkeypatch, mailoutbox, caplog
):
    endpoint_for(business, receiver.url)

    def broken(kind, obj):
        raise KeyError("a payload field gone missing")

    monkeypatch.setattr(webhooks, "notice_events", broken)
    assert run_on_commit(notifications.send, "pickup_completed", pickup.pk) == 1
    assert len(mailoutbox) == 1 and WebhookDelivery.objects.count() == 0
    assert f"webhook events for the notice pickup_completed of Pickup #{pickup.pk}" in caplog.text
