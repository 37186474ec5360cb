"""The hauler's "Your reliability" page in a browser, at 1280 px and on a 390 px phone: the score, its parts in
sentences, a pause in force, nothing cut off or scrolling sideways, no serious accessibility failures."""

import datetime as dt

import pytest
from django.utils import timezone

from haulers import pauses
from marketplace import reliability
from tests import factories
from tests.browser.support import log_in
from tests.browser.test_hauler_phone import fits_the_screen, serious_violations
from tests.marketplace.reliability_cast import season

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_the_reliability_page_reads_at_desk_and_phone_widths(page, location, in_area_hauler, width):
    owner = factories.HaulerMembershipFactory(hauler=in_area_hauler).user
    season(location, in_area_hauler)
    reliability.update_reliability(hauler_id=in_area_hauler.pk)  # as the events' tasks would have
    pauses.pause_offers(
        hauler_id=in_area_hauler.pk, reason="1 job given back and 3 offers let expire in 24 hours",
        period=dt.timedelta(hours=24), now=timezone.now(),
    )  # fmt: skip
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, owner.email)

    page.goto("/hauler/reliability/")

    main = page.locator("main")
    assert main.get_by_role("heading", name="Your reliability").is_visible()
    assert "out of 100" in main.get_by_role("article", name="Your score").inner_text()
    assert "New offers are paused until" in main.get_by_role("status").inner_text()
    assert main.get_by_text("To raise it:").count() == 4
    assert fits_the_screen(page)
    assert serious_violations(page) == []
    page.snap(f"reliability-{width}")
    if width == 390:  # on a phone the one navigation folds behind Menu; Reliability is in it, marked current
        page.get_by_text("Menu").click()
    link = page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Reliability")
    assert link.get_attribute("aria-current") == "page"
