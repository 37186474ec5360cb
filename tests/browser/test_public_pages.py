"""The footer's pages from a visitor's phone and desktop: each opens whole, in the site's frame, without a console
error; and Django's admin, whose pages name no icon, finds one at /favicon.ico."""

import pytest

from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FOOTER = {
    "How it works": "How HaulMatch works",
    "Pricing": "One honest price",
    "For haulers": "Steady commercial work near your trucks",
    "Terms": "Terms of service",
    "Privacy": "Privacy",
}


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_footer_leads_to_each_public_page(page, screen):
    page.set_viewport_size(screen)
    errors = watch_console(page)
    page.goto("/")
    for link, heading in FOOTER.items():
        page.locator("footer").get_by_role("link", name=link, exact=True).click()
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert fits_the_screen(page), link
        page.snap(link.lower().replace(" ", "-"))
    assert page.locator("footer a[href^='mailto:']").count() == 1
    assert errors == []


def test_the_admin_finds_an_icon(page):
    errors = watch_console(page)
    icons = []
    page.on("response", lambda response: icons.append(response.status) if "favicon" in response.url else None)
    page.goto("/admin/login/")
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert page.request.get("/favicon.ico").status == 200
    assert 404 not in icons
