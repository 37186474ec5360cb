"""The site header at a phone's and a desktop's width: every link a staff manager of a business has, and a long
signed-in address, wrap inside the page instead of widening it."""

import pytest

from core.permissions import may
from tests import factories
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console
from tests.browser.test_hauler_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_EMAIL = "facilities.and.operations.manager@eastside-markets-cooperative.example.com"


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_header_wraps_a_long_address_and_every_link(page, screen):
    membership = factories.CustomerMembershipFactory(user__email=LONG_EMAIL, user__is_staff=True)
    assert may(user=membership.user, organisation=membership.customer, action="integrations")  # the Webhooks link

    page.set_viewport_size(screen)
    errors = watch_console(page)
    log_in(page, LONG_EMAIL, factories.PASSWORD)
    page.goto("/dashboard/")

    header = page.locator(".site-header")
    for link in ("Webhooks", "Team", "Notifications", "Operations", "Admin"):
        assert header.get_by_role("link", name=link).is_visible()
    assert header.get_by_role("button", name="Log out").is_visible()
    assert page.locator(".site-header .who span").get_attribute("title") == LONG_EMAIL
    assert fits_the_screen(page)
    page.snap(f"header-{screen['width']}")
    assert errors == []
