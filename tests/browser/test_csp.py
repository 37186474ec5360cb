"""The Content-Security-Policy in a real browser: the main pages and the API docs run their scripts, maps and charts,
and the browser reports no violation (no securitypolicyviolation event, no console error); the card page loads
Stripe.js, its frame and its API under the card page's own additions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import cards
from marketplace.demo import market
from marketplace.demo.day import demo_day
from marketplace.models import Pickup
from tests.browser.test_hauler_flow import log_in
from tests.config.test_csp import demo_world
from tests.marketplace.web.bins_cast import fill_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Added before any page script runs, so a violation during loading is caught too.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + (event.sourceFile || location.pathname) + ":" + event.lineNumber);
});
"""
# A stand-in for Stripe.js (no internet here): it mounts the card frame and calls the API as the real one does.
STRIPE_JS = """
window.Stripe = function (key) {
  return {
    elements: function () {
      return { create: function () { return { mount: function (selector) {
        var frame = document.createElement("iframe");
        frame.src = "https://js.stripe.com/v3/elements-inner-card.html";
        frame.title = "Secure card payment input frame";
        document.querySelector(selector).appendChild(frame);
        fetch("https://api.stripe.com/v1/elements/sessions?key=" + key).then(function () {
          document.body.dataset.stripeReady = "1";
        });
      } }; } };
    },
    confirmSetup: function () { return Promise.resolve({ error: { message: "Your card was declined." } }); },
  };
};
"""


def watch(page) -> list[str]:
    """Violations and console errors, as they happen."""
    problems = []
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            problems.append(f"{message.text} ({message.location.get('url')})") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Which file a "Failed to load resource" error was about (the console message does not say).
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    return problems


def visit(page, problems: list[str], url: str, *, ready: str | None = None) -> None:
    """Open the page, wait until its scripts have drawn what `ready` selects, and collect what the browser refused."""
    response = page.goto(url)
    if "script-src 'self'" not in response.headers.get("content-security-policy", ""):
        problems.append(f"{url}: no Content-Security-Policy")
    page.wait_for_load_state("networkidle")
    if ready:
        page.locator(ready).first.wait_for(state="attached")
    problems.extend(f"{url}: {v}" for v in page.evaluate("window.__violations"))


def test_the_main_pages_run_under_the_policy_with_nothing_refused(page, live_server):
    world = demo_world()
    fill_history(world["device"], now=timezone.now())  # so the bin's page draws its chart (uPlot)
    problems = watch(page)
    pickup = Pickup.objects.filter(customer=world["business"]).order_by("pk").first()
    truck = world["hauler"].trucks.order_by("pk").first()

    visit(page, problems, reverse("api:docs"), ready=".swagger-ui .opblock")  # drawn from the fetched schema
    log_in(page, market.BUSINESS_EMAIL, market.BUSINESS_PASSWORD)
    visit(page, problems, reverse("dashboard"))
    visit(page, problems, reverse("book"))
    visit(page, problems, reverse("pickup_detail", args=[pickup.pk]))
    visit(page, problems, reverse("location_sensors", args=[world["device"].location_id]))
    visit(page, problems, reverse("billing_card"))
    page.context.clear_cookies()

    log_in(page, market.HAULER_EMAIL, market.HAULER_PASSWORD)
    visit(page, problems, reverse("hauler_offers"))
    on_day = f"?day={demo_day(world['hauler']).isoformat()}"  # today, or the next day once today's windows open
    visit(page, problems, reverse("hauler_day") + on_day, ready=".leaflet-marker-icon")
    visit(page, problems, reverse("hauler_routes") + on_day, ready=".leaflet-marker-icon")
    page.snap("routes")
    marker = page.locator(".route-marker span").first
    assert marker.evaluate("element => getComputedStyle(element).backgroundColor") != "rgba(0, 0, 0, 0)"
    visit(page, problems, reverse("hauler_route_sheet", args=[truck.pk]) + on_day)
    page.context.clear_cookies()

    log_in(page, market.ADMIN_EMAIL, market.ADMIN_PASSWORD)
    visit(page, problems, reverse("operations_map"), ready=".leaflet-container")
    visit(page, problems, reverse("operations_bin", args=[world["device"].pk]), ready=".uplot canvas")
    page.snap("operations-bin")
    visit(page, problems, reverse("admin:index"))  # where staff land; Django's admin runs under the policy too
    visit(page, problems, reverse("admin:marketplace_pickup_changelist"))
    # django-celery-beat's form, whose inline crontab helper is a static file here (templates/admin/djcelery/).
    visit(page, problems, reverse("admin:django_celery_beat_periodictask_add"), ready="#periodic-task-overrides")

    # The admin's pages name no icon, so the browser asks for /favicon.ico: a missing icon, not a refusal.
    assert [problem for problem in problems if "/favicon.ico" not in problem] == []

    # The listener hears what the policy refuses: an inline style set now is reported.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert "style-src" in page.evaluate("window.__violations[0]")


def test_the_card_page_loads_stripe_js_its_frame_and_its_api(page, live_server, settings, monkeypatch):
    demo_world()
    settings.STRIPE_SECRET_KEY = "sk_live_not_a_real_key"  # payments on, no test-card form: Stripe.js mode
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_not_a_real_key"
    monkeypatch.setattr(cards, "start_card_setup", lambda **kwargs: ("seti_1", "seti_1_secret_2"))
    page.route("https://js.stripe.com/v3/", lambda route: route.fulfill(body=STRIPE_JS, content_type="text/javascript"))
    page.route("https://js.stripe.com/v3/elements-inner-card.html", lambda route: route.fulfill(body="<p>card</p>"))
    page.route(
        "https://api.stripe.com/**",
        lambda route: route.fulfill(
            body="{}", content_type="application/json", headers={"Access-Control-Allow-Origin": "*"}
        ),
    )
    problems = watch(page)

    log_in(page, market.BUSINESS_EMAIL, market.BUSINESS_PASSWORD)
    visit(page, problems, reverse("billing_card"), ready="#payment-element iframe")
    page.locator("body[data-stripe-ready]").wait_for(state="attached")
    page.get_by_role("button", name="Save card").click()
    page.get_by_text("Your card was declined.").wait_for()
    problems.extend(page.evaluate("window.__violations"))
    page.snap("card")

    assert problems == []


def test_the_offer_list_refreshes_except_while_a_decline_form_is_open(page, live_server):
    """The poll's pause (data-poll-pause, static/poll.js) in place of an hx-trigger filter htmx would have to eval."""
    demo_world()
    problems = watch(page)
    refreshes = []
    page.on("request", lambda request: refreshes.append(request.url) if "/hauler/offers/list/" in request.url else None)
    log_in(page, market.HAULER_EMAIL, market.HAULER_PASSWORD)
    visit(page, problems, reverse("hauler_offers"), ready="#offer-list details")

    def poll() -> None:  # what the 20-second timer does: htmx's request for the list, from the list
        page.evaluate("htmx.ajax('GET', '/hauler/offers/list/', {source: '#offer-list', swap: 'outerHTML'})")
        page.wait_for_load_state("networkidle")

    page.get_by_role("button", name="Decline", exact=True).first.click()  # opens the reason form
    page.get_by_label("Anything to add").first.fill("Truck in the shop")
    poll()
    assert refreshes == []
    assert page.get_by_label("Anything to add").first.input_value() == "Truck in the shop"

    page.get_by_role("button", name="Decline", exact=True).first.click()  # closes it again
    poll()
    assert len(refreshes) == 1
    assert problems == []
