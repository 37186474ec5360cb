"""The site header with every link a staff manager of a business has and a 60-character signed-in address: on a
desktop it fits one bar with Log out on one line and the address cut short (all of it in its title); on a phone
it is a Menu button whose panel lists every link and the whole address. The page never widens."""

import pytest

from core.permissions import may
from tests import factories
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console
from tests.browser.test_hauler_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG_EMAIL = "facilities.and.operations.manager@eastside-markets-coop.example"
TABLET = {"width": 768, "height": 1024}
LINKS = ("Pickups", "Book", "Locations", "Billing", "Webhooks", "Team", "Notifications", "Operations", "Admin")


@pytest.fixture
def manager(page):
    membership = factories.CustomerMembershipFactory(user__email=LONG_EMAIL, user__is_staff=True, role="manager")
    assert len(LONG_EMAIL) >= 60
    assert may(user=membership.user, organisation=membership.customer, action="integrations")  # the Webhooks link
    return membership


@pytest.mark.parametrize("screen", [TABLET, DESKTOP], ids=["tablet", "desktop"])
def test_on_a_desktop_the_address_gives_way_and_log_out_stays_on_one_line(page, manager, screen):
    page.set_viewport_size(screen)
    errors = watch_console(page)
    log_in(page, LONG_EMAIL, factories.PASSWORD)
    page.goto("/dashboard/")

    header = page.locator(".site-header")
    assert not header.locator("summary", has_text="Menu").is_visible()  # no menu button: everything in place
    for link in LINKS:
        assert header.get_by_role("link", name=link, exact=True).is_visible(), link
    log_out = header.get_by_role("button", name="Log out")
    assert log_out.is_visible()
    line = log_out.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert log_out.bounding_box()["height"] < 2 * line  # one line of text
    address = header.get_by_title(LONG_EMAIL)
    assert address.is_visible()
    assert address.evaluate("e => e.scrollWidth > e.clientWidth")  # cut short with an ellipsis
    assert address.evaluate("e => getComputedStyle(e).textOverflow") == "ellipsis"
    email, button = address.bounding_box(), log_out.bounding_box()
    assert email["x"] + email["width"] <= button["x"]  # side by side, not on top of each other
    assert button["x"] + button["width"] <= screen["width"]
    # Two rows at most: the brand and the account, then the sections.
    assert header.bounding_box()["height"] < 0.16 * screen["height"]
    assert fits_the_screen(page)
    page.snap(f"header-{screen['width']}")
    assert errors == []


def test_on_a_phone_the_menu_lists_every_link_and_the_whole_address(page, manager):
    page.set_viewport_size(PHONE)
    errors = watch_console(page)
    log_in(page, LONG_EMAIL, factories.PASSWORD)
    page.goto("/dashboard/")

    header = page.locator(".site-header")
    menu = header.locator("summary", has_text="Menu")
    assert menu.is_visible()
    assert not header.get_by_role("button", name="Log out").is_visible()
    page.snap("header-390-closed")
    menu.click()
    for link in LINKS:
        assert header.get_by_role("link", name=link, exact=True).is_visible(), link
    assert header.get_by_role("button", name="Log out").is_visible()
    address = header.get_by_title(LONG_EMAIL)
    assert address.inner_text() == LONG_EMAIL
    assert address.evaluate("e => e.scrollWidth <= e.clientWidth")  # all of it, wrapped
    assert fits_the_screen(page)
    page.snap("header-390-open")
    assert errors == []
