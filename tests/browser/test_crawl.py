"""Every page of the demo market, as each kind of person reaches it by links, at 390 px and 1280 px: no page wider
than the screen, no script errors, no broken links or images, no serious or critical accessibility violations
(axe-core). Screenshots of every page and width land in test-artifacts/browser/crawl/; the findings are written
to test-artifacts/browser/crawl/report.md (and CRAWL_REPORT, if set), grouped by page and check."""

import os
import shutil
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from haulers import fleet
from haulers.models import Hauler, HaulerRole, Membership, Truck
from marketplace.demo import market
from marketplace.demo.day import demo_day, seed_day
from marketplace.demo.payments import seed_payments
from marketplace.demo.seed import seed_demo
from tests.browser.conftest import ARTIFACTS
from tests.browser.crawl import KNOWN_FAILURES, WIDTHS, crawl, known_table, pattern_of, report
from tests.browser.test_hauler_flow import log_in

pytestmark = pytest.mark.browser

SECONDS = float(os.environ.get("CRAWL_SECONDS", 600))  # each role's crawl; past it the test fails, naming the role
DRIVER_EMAIL = "driver@haulmatch.demo"
DRIVER_PASSWORD = "haulmatch-driver"


def _demo_driver() -> None:
    """The demo hauler's first truck gets a driver for the demo day, so the driver's own pages have a route."""
    hauler = Hauler.objects.get(name=market.HAULER_NAME)
    user = get_user_model().objects.create_user(DRIVER_EMAIL, DRIVER_PASSWORD, full_name="Dana Driver")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    member = Membership.objects.create(
        hauler=hauler, user=user, email=user.email, role=HaulerRole.DRIVER, accepted_at=timezone.now()
    )
    truck = Truck.objects.filter(hauler=hauler).order_by("pk").first()
    fleet.assign_driver(truck=truck, day=demo_day(hauler), driver=member, by=None)


ROLES = [
    ("anonymous", None, None),
    ("business", market.BUSINESS_EMAIL, market.BUSINESS_PASSWORD),
    ("hauler", market.HAULER_EMAIL, market.HAULER_PASSWORD),
    ("driver", DRIVER_EMAIL, DRIVER_PASSWORD),
    ("staff", market.ADMIN_EMAIL, market.ADMIN_PASSWORD),
]


@pytest.mark.timeout(1200)
@pytest.mark.django_db(transaction=True)
def test_every_reachable_page_fits_loads_and_passes_axe(browser, live_server, stripe_on):
    seed_demo()
    seed_payments()
    seed_day()
    day = demo_day(Hauler.objects.get(name=market.HAULER_NAME)).isoformat()
    _demo_driver()
    # The demo's routed day may be tomorrow: start there too, so its route is among the pages seen.
    extra_starts = {"hauler": [f"/hauler/routes/?day={day}"], "driver": [f"/hauler/day/?day={day}"]}
    shots = ARTIFACTS / "crawl"
    shutil.rmtree(shots, ignore_errors=True)  # a page no longer reached leaves no screenshot behind
    crawls = {}
    for role, email, password in ROLES:
        context = browser.new_context(base_url=live_server.url)
        try:
            starts = ["/"]
            if email:
                page = context.new_page()
                log_in(page, email, password)
                starts = [page.url.removeprefix(live_server.url), *extra_starts.get(role, [])]
                page.close()
            crawls[role] = crawl(
                context, role=role, starts=starts, origin=live_server.url, shots=shots / role, deadline_s=SECONDS
            )
        finally:
            context.close()
    text = report(crawls, KNOWN_FAILURES, shots / "report.md")
    if os.environ.get("CRAWL_REPORT"):
        report(crawls, KNOWN_FAILURES, Path(os.environ["CRAWL_REPORT"]))
    found = {key for c in crawls.values() for key in c.failing()}
    new, fixed = found - KNOWN_FAILURES, KNOWN_FAILURES - found
    assert not new and not fixed, (
        f"{len(new)} new failures, {len(fixed)} listed failures now pass (remove them from KNOWN_FAILURES) "
        f"at {WIDTHS} px:\n{text}"
    )


def test_a_pattern_stands_for_every_page_of_its_kind():
    assert pattern_of("/pickups/12/") == "/pickups/<id>/"
    assert pattern_of("/admin/marketplace/pickup/12/change/") == "/admin/marketplace/pickup/<id>/change/"
    assert pattern_of("/plans/3/skip/2026-12-09/") == "/plans/<id>/skip/<date>/"
    assert pattern_of("/team/accept/0f3c2a9e8b7d6c5f4e3d2c1b0a9f8e7d/") == "/team/accept/<token>/"
    assert pattern_of("/hauler/day/") == "/hauler/day/"


def test_the_known_failures_table_is_written_as_it_is_read():
    found = {("/team/", 390, "overflow"), ("/team/", 1280, "overflow"), ("/admin/", 390, "axe:label")}
    table = eval(f"[\n{known_table(found)}\n]")  # the lines report() prints for pasting into crawl.py
    assert {(pattern, width, check) for pattern, check, widths in table for width in widths} == found
