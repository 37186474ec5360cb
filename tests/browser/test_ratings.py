"""A business rates a visit from its pickup page on a 390 px phone and a 1280 px desktop, changes it, and the
hauler's office reads it on its Ratings page; nothing scrolls sideways or fails axe's serious checks."""

import pytest

from marketplace import ratings
from marketplace.models import Rating
from tests import factories
from tests.browser.support import log_in
from tests.browser.test_hauler_phone import fits_the_screen, serious_violations
from tests.marketplace.rating_cast import completed_visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def cast():
    business = factories.CustomerMembershipFactory(customer__name="Congress Avenue Café")
    factories.LocationFactory(customer=business.customer, name="Café kitchen")
    hauler = factories.HaulerFactory(name="Capital City Hauling", zips=["78701"])
    office = factories.HaulerMembershipFactory(hauler=hauler, role="owner")
    visits = {size: completed_visit(customer=business.customer, hauler=hauler) for size in SIZES}
    return business.user, office.user, visits


def rate(page, *, stars: str, tags=(), comment: str = "") -> None:
    form = page.locator("form.rating-form").last
    form.get_by_role("radio", name=stars).check()
    for tag in tags:
        form.get_by_role("checkbox", name=tag).check()
    form.get_by_label("Anything to add? (optional)").fill(comment)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_business_rates_a_visit_and_changes_it(page, cast, size):
    business, _, visits = cast
    visit = visits[size]
    page.set_viewport_size(SIZES[size])
    log_in(page, business.email)

    page.goto(f"/pickups/{visit.pk}/")
    section = page.locator("#rating")
    section.get_by_role("heading", name="Rate this visit").wait_for()
    assert page.get_by_role("group", name="How was this visit?").is_visible()
    rate(page, stars="4 stars: good", tags=["On time", "Great service"], comment="Quick, and the gate was shut after.")
    assert fits_the_screen(page)
    assert serious_violations(page) == []
    page.snap(f"{size}-rating-form")

    section.get_by_role("button", name="Save rating").click()
    page.get_by_role("heading", name="Your rating").wait_for()
    text = page.locator("main").inner_text()
    assert "Thank you: your rating is saved" in text and "4 out of 5" in text
    assert "You can change it until" in text
    assert fits_the_screen(page)
    page.snap(f"{size}-rating-saved")
    assert serious_violations(page) == []  # with the flash message shown

    page.locator("#rating summary").click()
    rate(page, stars="2 stars: poor", tags=[], comment="On reflection: the bin was left in the lane.")
    page.locator("#rating form").get_by_role("checkbox", name="On time").uncheck()
    page.locator("#rating form").get_by_role("checkbox", name="Bin not put back").check()
    page.snap(f"{size}-rating-change")
    page.locator("#rating").get_by_role("button", name="Save rating").click()
    page.get_by_text("2 out of 5").wait_for()
    assert fits_the_screen(page)
    page.snap(f"{size}-rating-changed")
    assert Rating.objects.filter(pickup=visit).values_list("stars", "tags").get() == (
        2,
        ["bin_not_returned", "great"],
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_the_hauler_reads_its_ratings(page, cast, size):
    business, office, visits = cast
    ratings.rate_pickup(pickup=visits["phone"], stars=5, tags=["on_time", "great"], comment="Spotless.", by=business)
    ratings.rate_pickup(
        pickup=visits["desktop"], stars=3, tags=["late"], comment="An hour after the window opened.", by=business
    )
    page.set_viewport_size(SIZES[size])
    log_in(page, office.email)

    page.goto("/hauler/ratings/")
    page.get_by_role("heading", name="Ratings", exact=True).wait_for()
    text = page.locator("main").inner_text()
    assert "4.0" in text and "Congress Avenue Café" in text and "Spotless." in text
    assert business.email not in text
    assert fits_the_screen(page)
    assert serious_violations(page) == []
    page.snap(f"{size}-hauler-ratings")
