"""The Webhooks pages: add an endpoint, see its secret once, send a test event and read the log in sentences; only
the people who set up integrations, and only their own endpoints."""

import re

import pytest
from django.urls import reverse

from marketplace import webhooks
from marketplace.models import WebhookEndpoint
from tests import factories


def no_inline_code(html: str) -> None:
    """What the Content-Security-Policy would block: inline scripts and styles."""
    assert "style=" not in html and "<style" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


@pytest.mark.django_db
def test_a_business_adds_an_endpoint_sees_its_secret_once_and_tests_it(
    owner_client, customer, receiver, django_capture_on_commit_callbacks
):
    page = owner_client.get(reverse("webhooks"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<a href="/webhooks/" aria-current="page">Webhooks</a>' in html
    assert "No endpoints yet" in html and 'value="payment.failed"' in html
    no_inline_code(html)

    added = owner_client.post(reverse("webhooks"), {"url": receiver.url, "events": ["pickup.completed", "bin.full"]})
    endpoint = WebhookEndpoint.objects.get(customer=customer)
    assert added.status_code == 302 and added.url == reverse("webhook", args=[endpoint.pk])
    detail = owner_client.get(added.url).content.decode()
    assert endpoint.secret in detail and "we will not show it again" in detail
    no_inline_code(detail)
    assert endpoint.secret not in owner_client.get(added.url).content.decode()  # once

    with django_capture_on_commit_callbacks(execute=True):
        tested = owner_client.post(reverse("webhook_action", args=[endpoint.pk, "test"]), follow=True)
    assert "Sent a test event" in tested.content.decode()
    assert receiver.wait_for(1)[0].headers["HaulMatch-Event-Type"] == "webhook.test"
    log = owner_client.get(added.url).content.decode()
    assert "Received by your endpoint (it answered 200) after 1 attempt." in log
    assert "times in America/Chicago" in log  # the business's location is in Austin


@pytest.mark.django_db
def test_a_failed_attempt_reads_as_a_sentence_with_the_next_try_in_local_time(owner_client, customer, run_on_commit):
    endpoint = webhooks.create_endpoint(owner=customer, url="http://127.0.0.1:9/", events=["bin.full"], by=None)
    run_on_commit(webhooks.emit, event_type="bin.full", owner=customer, data={}, key="1")
    log = owner_client.get(reverse("webhook", args=[endpoint.pk])).content.decode()
    assert re.search(r"Not received yet \(1 attempt\): Could not connect: .+ Next try \w{3} \d+, \d+:\d\d [AP]M\.", log)


@pytest.mark.django_db
def test_a_bad_address_is_a_form_error_and_nothing_is_saved(owner_client, customer, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    answer = owner_client.post(reverse("webhooks"), {"url": "http://10.0.0.8/hook", "events": ["bin.full"]})
    assert answer.status_code == 400
    assert "public addresses only" in answer.content.decode()
    none = owner_client.post(reverse("webhooks"), {"url": "https://93.184.215.14/", "events": []})
    assert none.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_rotating_turning_off_and_removing(owner_client, customer):
    endpoint = webhooks.create_endpoint(owner=customer, url="http://127.0.0.1:9/", events=["bin.full"], by=None)
    old = endpoint.secret
    action = lambda name, **data: owner_client.post(reverse("webhook_action", args=[endpoint.pk, name]), data)  # noqa: E731
    action("rotate", overlap_hours="1")
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    page = owner_client.get(reverse("webhook", args=[endpoint.pk])).content.decode()
    assert endpoint.secret in page and "The previous secret also signs each request" in page
    action("pause")
    endpoint.refresh_from_db()
    assert not endpoint.active
    assert action("fly").status_code == 404
    assert action("delete").url == reverse("webhooks")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_members_drivers_and_other_businesses_are_kept_out(client, customer):
    endpoint = webhooks.create_endpoint(owner=customer, url="http://127.0.0.1:9/", events=["bin.full"], by=None)
    member = factories.CustomerMembershipFactory(customer=customer, role="member").user
    client.force_login(member)
    assert client.get(reverse("webhooks")).status_code == 403
    assert client.get(reverse("webhook", args=[endpoint.pk])).status_code == 403
    assert 'href="/webhooks/"' not in client.get(reverse("dashboard")).content.decode()

    client.force_login(factories.CustomerMembershipFactory().user)  # another business's owner
    assert client.get(reverse("webhook", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_action", args=[endpoint.pk, "delete"])).status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

    client.force_login(factories.HaulerMembershipFactory(role="driver").user)
    assert client.get(reverse("hauler_webhooks")).status_code == 403


@pytest.mark.django_db
def test_a_hauler_owner_has_the_page_in_the_portal_with_its_job_events(client):
    owner = factories.HaulerMembershipFactory(role="owner").user
    client.force_login(owner)
    page = client.get(reverse("hauler_webhooks")).content.decode()
    assert 'aria-label="Hauler portal"' in page and 'aria-current="page">Webhooks' in page
    assert 'value="pickup.completed"' in page and 'value="payment.failed"' not in page
    added = client.post(reverse("hauler_webhooks"), {"url": "http://127.0.0.1:9/", "events": ["pickup.scheduled"]})
    assert added.url.startswith("/hauler/webhooks/")
