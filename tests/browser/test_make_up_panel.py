"""A missed pickup's page says a make-up visit is on its way, and the make-up's page what it makes up for, on a 390 px
phone and a 1280 px desktop; nothing scrolls sideways or fails axe's serious checks."""

import pytest
from django.urls import reverse

from marketplace import makeups
from marketplace.models import Pickup
from tests import factories
from tests.browser.support import log_in
from tests.browser.test_hauler_phone import fits_the_screen, serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_a_missed_pickup_shows_its_make_up(page, width):
    business = factories.CustomerMembershipFactory(customer__name="Congress Avenue Café")
    location = factories.LocationFactory(customer=business.customer, name="Café kitchen")
    first = factories.HaulerFactory(name="Capital City Hauling", zips=["78701"])
    other = factories.HaulerFactory(name="Eastside Haulers", zips=["78701"])
    for hauler in (first, other):
        factories.RateFactory(hauler=hauler)
    missed = factories.PickupFactory(
        customer=business.customer, location=location, hauler=first, container="dumpster_4yd",
        status=Pickup.Status.MISSED, price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip
    made = makeups.book_make_up(pickup=missed, by=None, reason="Missed", same_hauler_first=False)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, business.user.email)

    page.goto(reverse("pickup_detail", args=[missed.pk]))
    panel = page.locator("article", has_text="A make-up visit is on its way")
    assert "at this visit's price, $102.00" in panel.inner_text()
    page.snap(f"missed-{width}")
    assert fits_the_screen(page) and serious_violations(page) == []

    panel.get_by_role("link", name="See the make-up visit").click()
    page.wait_for_url(f"**/pickups/{made.pk}/")
    assert "This visit makes up for" in page.locator("main").inner_text()
    page.snap(f"make-up-{width}")
    assert fits_the_screen(page) and serious_violations(page) == []
