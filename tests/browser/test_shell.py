"""The app shell at a phone's and a desktop's width, for a business owner, a hauler's owner, its driver and staff:
no page wider than the screen, one navigation (a Menu button on a phone that opens it), each section linked once."""

import pytest

from tests import factories
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console
from tests.browser.test_hauler_flow import log_in
from tests.marketplace.web.hauler.route_days import austin_morning, planned_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HAULER_OFFICE = [
    "Today", "Routes", "Offers", "Jobs", "Earnings", "Trucks", "Disposal sites",
    "Company", "Credentials", "Service area", "Rates", "Webhooks",
]  # fmt: skip
BUSINESS = ["Pickups", "Book", "Locations", "Billing", "Webhooks"]
ACCOUNT = ["Team", "Notifications"]


def business_owner():
    membership = factories.CustomerMembershipFactory()
    # Two places with real street lines: the table that was 423 px wide on a 390 px phone.
    factories.LocationFactory(customer=membership.customer, name="Downtown", street="600 Congress Ave")
    factories.LocationFactory(customer=membership.customer, name="South Congress", street="1412 S Congress Ave")
    factories.CustomerMembershipFactory(customer=membership.customer, role="manager")  # someone to change
    pages = ["/", "/dashboard/", "/locations/", "/team/"]
    return membership.user, pages, [*BUSINESS, *ACCOUNT]


def hauler_owner():
    membership = factories.HaulerMembershipFactory()
    factories.HaulerMembershipFactory(hauler=membership.hauler, role="driver")
    pages = ["/", "/hauler/day/", "/hauler/jobs/", "/hauler/earnings/", "/team/"]
    return membership.user, pages, [*HAULER_OFFICE, *ACCOUNT]


def driver():
    membership = factories.HaulerMembershipFactory(role="driver")
    return membership.user, ["/", "/hauler/day/", "/team/"], ["Today", *ACCOUNT]


def staff():
    user = factories.UserFactory(is_staff=True)
    return user, ["/", "/team/", "/notifications/"], ["Operations", "Admin", *ACCOUNT]


PEOPLE = {"business": business_owner, "hauler": hauler_owner, "driver": driver, "staff": staff}


def visible_link_names(page) -> list[str]:
    """The names of the links in any navigation on the page (the header's, or a second bar in the page)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('nav a')]
            .filter(a => a.checkVisibility() && a.getBoundingClientRect().height > 0)
            .map(a => a.textContent.trim())"""
    )


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_page_fits_and_has_one_navigation(page, screen, who):
    user, pages, sections = PEOPLE[who]()
    page.set_viewport_size(screen)
    errors = watch_console(page)
    log_in(page, user.email, factories.PASSWORD)
    header = page.locator(".site-header")
    menu_button = header.locator("summary", has_text="Menu")

    for path in pages:
        page.goto(path)
        assert fits_the_screen(page), f"{path} is wider than {screen['width']} px"
        if screen is PHONE:
            # Folded: the brand and the Menu button, one short bar, and no section linked anywhere on the screen.
            assert menu_button.is_visible(), path
            assert not set(sections) & set(visible_link_names(page)), path
            assert header.bounding_box()["height"] < 0.12 * screen["height"], path
            menu_button.click()
            assert header.get_by_role("button", name="Log out").is_visible(), path
        else:
            assert not menu_button.is_visible(), path
        # Open (or on a desktop, always shown): every section once, in the header, and not again in the page.
        links = visible_link_names(page)
        for name in sections:
            assert header.get_by_role("link", name=name, exact=True).is_visible(), (path, name)
            assert links.count(name) == 1, (path, name, links.count(name))
        assert fits_the_screen(page), f"{path} with the menu open is wider than {screen['width']} px"
        page.snap(f"{who}-{path.strip('/').replace('/', '-') or 'home'}")
    if who == "driver":
        assert "Routes" not in visible_link_names(page) and "Offers" not in visible_link_names(page)
    assert errors == []


def test_the_current_section_is_marked_in_the_one_navigation(page):
    user, _, _ = hauler_owner()
    page.set_viewport_size(PHONE)
    log_in(page, user.email, factories.PASSWORD)
    page.goto("/hauler/earnings/")
    page.locator(".site-header summary", has_text="Menu").click()
    portal = page.get_by_role("navigation", name="Hauler portal")
    assert portal.locator('[aria-current="page"]').all_inner_texts() == ["Earnings"]
    assert page.locator('main nav[aria-label="Hauler portal"]').count() == 0  # no second bar in the page
    # The menu closes again from the same button.
    page.locator(".site-header summary", has_text="Menu").click()
    assert not portal.get_by_role("link", name="Earnings").is_visible()


def text_lines(locator) -> int:
    """How many lines of text an element's box holds, its padding aside."""
    return locator.evaluate(
        """e => { const s = getComputedStyle(e);
            const inner = e.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom);
            return Math.round(inner / parseFloat(s.lineHeight)); }"""
    )


@pytest.mark.parametrize("width", [360, 390])
def test_the_zip_check_keeps_its_button_on_one_line(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/")
    button = page.get_by_role("button", name="Do you serve me?")
    assert text_lines(button) == 1  # was three at 390 px
    field = page.get_by_role("textbox", name="ZIP code")
    room = """e => { const s = getComputedStyle(e), pen = document.createElement('canvas').getContext('2d');
        pen.font = s.font;
        const inner = e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
        return pen.measureText(e.placeholder).width <= inner; }"""
    assert field.evaluate(room)  # its example ZIP is not cut off
    assert fits_the_screen(page)
    page.snap(f"home-{width}")


def test_a_driver_keeps_call_and_maps_under_the_thumb_down_the_whole_stop(page):
    with austin_morning() as today:
        _the_thumb_stays_on_call_and_maps(page, planned_day(jobs=2, day=today, container="dumpster_8yd"))


def _the_thumb_stays_on_call_and_maps(page, planned):
    page.set_viewport_size(PHONE)
    log_in(page, planned.driver.email, factories.PASSWORD)
    page.goto("/hauler/day/")
    call = page.get_by_role("button", name="Call", exact=True)
    maps = page.get_by_role("button", name="Open in Maps")
    call.wait_for()
    # Scrolled down to the button that completes the stop, Call and Maps are still on screen, at the bottom edge.
    page.get_by_role("button", name="Complete stop 1").scroll_into_view_if_needed()
    for button in (call, maps):
        where = button.bounding_box()
        assert where["y"] >= 0.5 * PHONE["height"], where  # the lower half of the screen
        assert where["y"] + where["height"] <= PHONE["height"], where
    assert fits_the_screen(page)
    page.snap("driver-thumb")
