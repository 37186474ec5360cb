"""Flows that keep their place, in a real browser at phone and desktop widths: the ZIP check answers a bad ZIP in
the page, each booking form shows only its own fields, and cancelling or ending asks first."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from marketplace import scheduling
from marketplace.models import Pickup, ServicePlan
from tests.browser.support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = [390, 1280]


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_the_zip_check_says_what_to_enter_in_the_page(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/")
    box = page.get_by_placeholder("Your ZIP code")
    for typed in ("abc", "7870"):
        box.fill(typed)
        page.get_by_role("button", name="Do you serve me?").click()
        expect(page.locator("#coverage")).to_contain_text("Enter a 5-digit ZIP code, e.g. 78701.")
    fits(page, width)
    page.snap(f"zip-typo-{width}")

    page.goto("/coverage/?zip=abc")  # a shared link, or no script: the whole page with the answer
    expect(page.get_by_role("heading", name="Commercial waste pickup, one instant price")).to_be_visible()
    expect(page.locator("#coverage")).to_contain_text("Enter a 5-digit ZIP code")
    expect(page.get_by_placeholder("Your ZIP code")).to_have_value("abc")


@pytest.mark.parametrize("width", WIDTHS)
def test_each_sides_signup_shows_its_own_fields(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/accounts/signup/?as=business")
    expect(page.get_by_role("heading", name="Sign up your business")).to_be_visible()
    expect(page.get_by_label("Depot ZIP code")).to_have_count(0)
    fits(page, width)
    page.snap(f"signup-business-{width}")
    page.get_by_role("link", name="Sign up as a hauler").click()
    expect(page.get_by_role("heading", name="Sign up your hauling company")).to_be_visible()
    expect(page.get_by_label("Depot ZIP code")).to_be_visible()
    page.snap(f"signup-hauler-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_booking_forms_and_confirmations(page, width, customer_owner, location, in_area_hauler):
    page.set_viewport_size({"width": width, "height": 800})
    today = scheduling.local_today(location.timezone)
    pickup = Pickup.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, service_date=today + dt.timedelta(days=5),
        status=Pickup.Status.SCHEDULED, price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip
    plan = ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="recycling",
        container="dumpster_4yd", quantity=1, frequency="weekly", weekdays=0b11111, start_date=today,
        price_cents=6_000, payout_cents=5_000, status=ServicePlan.Status.ACTIVE,
    )  # fmt: skip
    log_in(page, customer_owner.email)

    page.goto("/book/")
    expect(page.get_by_label("How often")).to_have_count(0)
    expect(page.get_by_text("Day of the month")).to_have_count(0)
    fits(page, width)
    page.snap(f"book-once-{width}")
    page.get_by_role("button", name="Recurring service").click()
    expect(page.get_by_role("heading", name="Set up recurring service")).to_be_visible()
    expect(page.get_by_label("How often")).to_be_visible()
    fits(page, width)
    page.snap(f"book-recurring-{width}")

    page.goto(f"/pickups/{pickup.pk}/")
    fits(page, width)
    page.snap(f"pickup-{width}")
    page.get_by_role("button", name="Cancel this pickup").click()
    expect(page.get_by_role("heading", name=f"Cancel pickup #{pickup.pk}?")).to_be_visible()
    expect(page.get_by_text("Cancelling is free now.")).to_be_visible()
    fits(page, width)
    page.snap(f"cancel-asked-{width}")
    page.get_by_role("button", name="Keep the pickup").click()
    page.wait_for_url(f"**/pickups/{pickup.pk}/")
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.SCHEDULED

    page.goto(f"/plans/{plan.pk}/")
    fits(page, width)
    page.snap(f"plan-{width}")
    page.get_by_label("Last day of service").fill((today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name="End on this day…").click()
    expect(page.get_by_role("heading", name=f"End recurring service #{plan.pk}?")).to_be_visible()
    fits(page, width)
    page.snap(f"plan-end-asked-{width}")
    page.get_by_role("button", name="Yes, end it on").click()
    page.wait_for_url(f"**/plans/{plan.pk}/")
    plan.refresh_from_db()
    assert plan.end_date == today + dt.timedelta(days=10)

    page.goto("/locations/new/")
    page.get_by_label("Street").fill("🗑️🗑️🗑️")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State").select_option("TX")
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter the street number and name, e.g. 600 Congress Ave.")).to_be_visible()
    fits(page, width)
    page.snap(f"location-street-{width}")
