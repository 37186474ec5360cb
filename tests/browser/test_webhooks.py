"""Webhooks in a real browser: a business owner adds an endpoint, copies its secret, sends a test event and reads the
log, on a phone and on a desktop, with nothing the Content-Security-Policy blocks."""

import json

import pytest

from tests import factories
from tests.browser.test_hauler_flow import log_in
from tests.webhook_receiver import serving

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    with serving() as running:
        yield running


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_adds_an_endpoint_and_sends_it_a_test_event(page, receiver, width):
    owner = factories.CustomerMembershipFactory(customer__name="Lone Star Tacos").user
    factories.LocationFactory(customer=owner.customer_membership.customer)
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, owner.email, factories.PASSWORD)

    page.goto("/webhooks/")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("A pickup was done, with proof of service.").check()
    page.get_by_label("A payment attempt was declined (sent for each attempt).").check()
    page.snap(f"add-{width}")
    page.get_by_role("button", name="Add the endpoint").click()

    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    page.get_by_role("button", name="Copy the secret").wait_for()  # shown by the page's script, where it can copy
    page.snap(f"secret-{width}")
    page.get_by_role("button", name="Send a test event").click()
    page.get_by_text("Received by your endpoint (it answered 200) after 1 attempt.").wait_for()
    page.snap(f"log-{width}")

    (request,) = receiver.wait_for(1)
    assert json.loads(request.body)["type"] == "webhook.test"
    # nothing of the page's own pushes it sideways (the site header's menu is the header's business)
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
        ".map(e => e.tagName + '.' + e.className)"
    )
    assert wide == []
    assert blocked == []
