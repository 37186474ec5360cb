"""A new business, in a real browser: sign up, add a location, get a price, book, see it, cancel."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace.models import Pickup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_business_books_and_cancels_a_pickup(page, in_area_hauler):
    page.goto("/")
    page.get_by_placeholder("Your ZIP code").fill("78701")
    page.get_by_role("button", name="Do you serve me?").click()
    page.get_by_text("Yes, we serve 78701").wait_for()
    page.snap("home-coverage")

    page.get_by_role("button", name="I need pickups").click()
    page.get_by_label("Company name").fill("Congress Avenue Café")
    page.get_by_label("Email").fill("owner@cafe.example")
    page.get_by_label("Password:", exact=True).fill("a-long-and-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-and-unusual-passphrase")
    page.snap("signup")
    page.locator("main").get_by_role("button", name="Sign Up").click()

    page.get_by_role("heading", name="Set up your business").wait_for()
    page.get_by_label("Pickup contact:", exact=True).fill("Ana Reyes")
    page.get_by_label("Street").fill("600 Congress Ave")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("State").select_option("TX")
    page.get_by_label("ZIP code").fill("7870")  # a typo first: the form says what is wrong
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Please check the form").wait_for()
    page.snap("onboarding-error")
    page.get_by_label("ZIP code").fill("78701")
    page.get_by_role("button", name="Continue").click()

    page.get_by_role("heading", name="Book a pickup").wait_for()
    page.get_by_label("What:", exact=True).select_option("trash")
    page.get_by_label("Container:", exact=True).select_option("dumpster_4yd")
    page.get_by_label("How many containers").fill("2")
    page.get_by_label("Pickup date").fill((timezone.localdate() + dt.timedelta(days=3)).isoformat())
    page.snap("quote-form")
    page.get_by_role("button", name="Get my price").click()

    page.get_by_label("Price").wait_for()
    assert page.get_by_label("Price").inner_text() == "$150.00"
    page.snap("quote")
    page.get_by_role("button", name="Book for $150.00").click()

    page.get_by_text("Booked.").wait_for()
    page.snap("booked")
    pickup = Pickup.objects.get()
    assert pickup.customer.name == "Congress Avenue Café"

    page.get_by_role("link", name="Pickups").click()
    page.get_by_role("heading", name="Upcoming").wait_for()
    page.snap("dashboard")
    page.get_by_role("link", name=pickup.service_date.strftime("%a, %b %-d")).first.click()
    page.get_by_role("button", name="Cancel this pickup").click()
    page.get_by_role("heading", name=f"Cancel pickup #{pickup.pk}?").wait_for()  # asked first, free
    page.get_by_text("Cancelling is free").wait_for()
    page.snap("cancel-asked")
    page.get_by_role("button", name="Yes, cancel it").click()
    page.get_by_text("Pickup cancelled.").wait_for()
    page.snap("cancelled")
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.CANCELLED
