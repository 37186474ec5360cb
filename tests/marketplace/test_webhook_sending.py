"""Sending webhooks: retried on a schedule and given up after a day, each attempt counted before it is sent and held
to WEBHOOK_TIMEOUT_SECONDS as a whole (a receiver trickling its answer cannot hold a worker), redirects not followed,
certificates checked, and never sent to a private address, even one inside an IPv6 address. Deliveries go to a real
HTTP server on loopback (tests/webhook_receiver.py)."""

import datetime as dt
import subprocess
import time

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketplace import webhook_http, webhooks
from marketplace.models import WebhookDelivery, WebhookEndpoint
from tests import factories
from tests.marketplace.webhook_cast import api_for, endpoint_for, sent
from tests.webhook_receiver import Trickle, serving

ENDPOINTS = "/api/v1/webhooks/endpoints/"


# --- Retries ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failing_endpoint_is_retried_on_the_schedule_for_a_day_then_given_up(business, receiver, run_on_commit):
    receiver.answers = [500]
    endpoint_for(business, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="9")
        offsets = []
        while sent(delivery).status == WebhookDelivery.Status.PENDING:
            offsets.append(delivery.next_attempt_at - start)
            clock.move_to(delivery.next_attempt_at)
            assert webhooks.due_delivery_ids() == [delivery.pk]
            webhooks.deliver(delivery_id=delivery.pk)

    minutes = [offset.total_seconds() / 60 for offset in offsets]
    # first try at once; then after 1 min, 5, 30, 2 h, 6 h, 12 h; the last try a day after the event
    assert minutes == [1, 6, 36, 156, 516, 1236, 1440]
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 8 == len(receiver.requests)
    assert delivery.next_attempt_at is None
    assert delivery.response_code == 500
    assert delivery.error == "The endpoint answered 500; only a 2xx answer counts as received."
    assert delivery.response_excerpt == "Internal trouble? here"  # a NUL is not kept
    # every attempt carried the same event and body
    assert len({r.headers["HaulMatch-Event-Id"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert [r.headers["HaulMatch-Attempt"] for r in receiver.requests] == [str(n) for n in range(1, 9)]


@pytest.mark.django_db
def test_a_retry_that_is_answered_delivers_and_a_delivered_one_is_not_sent_again(business, receiver, run_on_commit):
    receiver.answers = [503, 204]
    endpoint_for(business, receiver.url)
    (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="3")
    assert sent(delivery).status == WebhookDelivery.Status.PENDING
    assert webhooks.deliver(delivery_id=delivery.pk) is None  # not due for a minute

    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        webhooks.deliver(delivery_id=delivery.pk)
        assert webhooks.deliver(delivery_id=delivery.pk) is None

    assert sent(delivery).status == WebhookDelivery.Status.DELIVERED
    assert (delivery.attempts, delivery.response_code, delivery.error) == (2, 204, "")
    assert len(receiver.requests) == 2


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_a_silent_endpoint_times_out(business, receiver, run_on_commit, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.answers = [302, (200, 2.5)]
    endpoint_for(business, receiver.url)
    (first,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="r")
    assert sent(first).error == "The endpoint answered 302; only a 2xx answer counts as received."

    (second,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="s")
    assert sent(second).status == WebhookDelivery.Status.PENDING
    assert second.error == "No answer within 1 second."
    assert second.response_code is None
    assert len(receiver.requests) == 2  # the redirect's target was never asked


@pytest.mark.django_db
def test_nothing_listening_is_a_failed_attempt_in_words(business, run_on_commit):
    endpoint_for(business, "http://127.0.0.1:9/hooks")  # the discard port: nothing answers
    (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="x")
    assert sent(delivery).status == WebhookDelivery.Status.PENDING
    assert delivery.error.startswith("Could not connect: ")


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for localhost (cert file, key file)."""
    cert, key = tmp_path / "localhost.pem", tmp_path / "localhost.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.mark.django_db
def test_https_checks_the_certificate_for_the_name_in_the_url(business, certificate, run_on_commit, monkeypatch):
    with serving(certificate=certificate) as tls:
        endpoint_for(business, tls.url)
        (untrusted,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="1")
        assert "The secure connection failed" in sent(untrusted).error and tls.requests == []

        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])  # as if a public authority had signed it
        (trusted,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="2")
        assert sent(trusted).status == WebhookDelivery.Status.DELIVERED
        assert len(tls.requests) == 1 and "localhost" in tls.server_names  # pinned to 127.0.0.1, named localhost


@pytest.mark.django_db
def test_an_endpoint_that_gives_up_tells_its_integrators_once_a_day(
    customer_owner, business, run_on_commit, mailoutbox
):
    from marketplace.models import Notification

    member = factories.CustomerMembershipFactory(customer=business, role="member").user
    endpoint = endpoint_for(business, "http://127.0.0.1:9/hooks")  # nothing listens there
    start = timezone.now()

    def give_up(key: str) -> None:
        (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key=key)
        with time_machine.travel(start + dt.timedelta(days=1, minutes=1)):
            run_on_commit(webhooks.deliver, delivery_id=delivery.pk)
        assert sent(delivery).status == WebhookDelivery.Status.FAILED

    with time_machine.travel(start):
        give_up("a")
        give_up("b")  # the same day: no second message

    told = Notification.objects.filter(kind="webhook_failed")
    assert [n.user for n in told] == [customer_owner]  # not the member, who cannot change webhooks
    assert told[0].title == "Webhook not delivered: pickup.completed to http://127.0.0.1:9/hooks"
    assert told[0].url == f"/webhooks/{endpoint.pk}/"
    assert "Could not connect" in mailoutbox[0].body and mailoutbox[0].to == [customer_owner.email]
    assert member.email not in [m.to[0] for m in mailoutbox]


@pytest.mark.django_db
def test_staff_resend_from_the_admin_and_never_see_the_secret(staff_client, business, receiver, run_on_commit):
    receiver.answers = [500, 200]
    endpoint = endpoint_for(business, receiver.url)
    (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="1")
    change = staff_client.get(f"/admin/marketplace/webhookendpoint/{endpoint.pk}/change/")
    assert change.status_code == 200 and endpoint.secret not in change.content.decode()

    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):  # long given up by then
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
        run_on_commit(
            staff_client.post,
            "/admin/marketplace/webhookdelivery/",
            {"action": "retry_now", "_selected_action": [delivery.pk]},
        )
    assert sent(delivery).status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 and len(receiver.requests) == 2


# --- Where webhooks may go ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_loopback_addresses_are_refused_in_production(customer_owner, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    answer = api_for(customer_owner).post(ENDPOINTS, {"url": url, "events": ["pickup.completed"]}, format="json")
    assert answer.status_code == 400, answer.content
    assert "public addresses only" in answer.json()["url"][0]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.django_db
def test_production_wants_https_and_no_credentials_in_the_url(customer_owner, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    api = api_for(customer_owner)
    plain = api.post(ENDPOINTS, {"url": "http://93.184.215.14/hook", "events": ["bin.full"]}, format="json")
    assert plain.status_code == 400 and "https://" in plain.json()["url"][0]
    creds = api.post(ENDPOINTS, {"url": "https://me:pw@93.184.215.14/hook", "events": ["bin.full"]}, format="json")
    assert creds.status_code == 400 and "password" in creds.json()["url"][0]
    port = api.post(ENDPOINTS, {"url": "https://93.184.215.14:99999/", "events": ["bin.full"]}, format="json")
    assert port.status_code == 400
    ok = api.post(ENDPOINTS, {"url": "https://93.184.215.14/hook", "events": ["bin.full"]}, format="json")
    assert ok.status_code == 201


@pytest.mark.django_db
def test_an_endpoint_that_later_points_inward_is_not_sent_to(business, receiver, run_on_commit, settings):
    endpoint_for(business, receiver.url)  # allowed when registered (development)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="1")
    assert "public addresses only" in sent(delivery).error
    assert receiver.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://[64:ff9b::a00:1]/hook",  # NAT64: 10.0.0.1 through the operator's gateway
        "http://[64:ff9b::7f00:1]/hook",  # NAT64: 127.0.0.1
        "http://[64:ff9b:1::a9fe:a9fe]/hook",  # local-use NAT64: 169.254.169.254
        "http://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        "http://[2002:c0a8:a::1]/hook",  # 6to4 of 192.168.0.10
        "http://[2001:0:5db8:4136::f5ff:fffe]/hook",  # Teredo, its client 10.0.0.1
        "http://[2001:0:a00:1::f7f7:f7f7]/hook",  # Teredo, its server 10.0.0.1
        "http://[::ffff:10.0.0.1]/hook",  # IPv4-mapped
    ],
)
def test_an_ipv6_address_that_carries_a_private_ipv4_one_is_refused(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(ValidationError, match="public addresses only"):
        webhook_http.check_url(url)
    with pytest.raises(webhook_http.NotSent, match="public addresses only"):  # and at each attempt
        webhook_http.post(url, body=b"{}", headers={})


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://[64:ff9b::808:808]/hook", "http://[2002:808:808::1]/hook"])
def test_an_ipv6_address_that_carries_a_public_ipv4_one_is_allowed(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert webhook_http.check_url(url) == url


# --- Each attempt counted before it is sent, and held to its time ----------------------


@pytest.mark.django_db
@pytest.mark.parametrize("trickle", [Trickle(every=0.3), Trickle(every=0.3, body_only=True)], ids=["head", "body"])
def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout_counted_and_retried(
    business, receiver, run_on_commit, settings, trickle
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    receiver.answers = [trickle, 200]  # a byte every 0.3 s: its whole answer would take 5 s or more
    endpoint_for(business, receiver.url)

    began = time.monotonic()
    (delivery,) = run_on_commit(webhooks.emit, event_type="pickup.completed", owner=business, data={}, key="t")
    took = time.monotonic() - began

    assert took < settings.WEBHOOK_TIMEOUT_SECONDS + 1, f"the attempt took {took:.1f} s"
    assert sent(delivery).status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.error, delivery.response_code) == (1, "No answer within 1 second.", None)
    assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(minutes=1)
    assert webhooks.deliver(delivery_id=delivery.pk) is None  # not due again yet

    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        webhooks.deliver(delivery_id=delivery.pk)
    assert sent(delivery).status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 == len(receiver.requests)


@pytest.mark.django_db
@pytest.mark.parametrize("fault", [SoftTimeLimitExceeded, RuntimeError])
def test_a_send_cut_short_by_the_time_limit_or_a_crash_leaves_its_attempt_counted(
    business, receiver, monkeypatch, fault
):
    endpoint_for(business, receiver.url)
    (delivery,) = webhooks.emit(event_type="pickup.completed", owner=business, data={}, key="c")

    def cut_short(url, *, body, headers):
        raise fault()

    monkeypatch.setattr(webhook_http, "post", cut_short)
    with pytest.raises(fault):
        webhooks.deliver(delivery_id=delivery.pk)

    assert sent(delivery).status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.error) == (1, webhooks.INTERRUPTED)
    assert delivery.next_attempt_at - delivery.last_attempt_at == dt.timedelta(minutes=1)
    assert webhooks.due_delivery_ids() == []  # the next sweep leaves it to its retry
    assert webhooks.deliver(delivery_id=delivery.pk) is None

    monkeypatch.undo()
    with time_machine.travel(delivery.next_attempt_at + dt.timedelta(seconds=1)):
        assert webhooks.due_delivery_ids() == [delivery.pk]
        webhooks.deliver(delivery_id=delivery.pk)
    assert sent(delivery).status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 2 and len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_last_attempt_cut_short_is_given_up_not_tried_forever(business, receiver, monkeypatch):
    endpoint_for(business, receiver.url)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        (delivery,) = webhooks.emit(event_type="pickup.completed", owner=business, data={}, key="l")

    def cut_short(url, *, body, headers):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(webhook_http, "post", cut_short)
    with time_machine.travel(start + dt.timedelta(days=1, minutes=1)), pytest.raises(SoftTimeLimitExceeded):
        webhooks.deliver(delivery_id=delivery.pk)

    assert sent(delivery).status == WebhookDelivery.Status.FAILED
    assert (delivery.attempts, delivery.next_attempt_at, delivery.error) == (1, None, webhooks.INTERRUPTED)
    assert webhooks.due_delivery_ids(now=start + dt.timedelta(days=2)) == []
