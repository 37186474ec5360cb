"""The staff console in a browser: the index's queues fit a phone and a desktop, and the admin pages staff
work from have no serious or critical accessibility violations (axe-core, vendored beside the crawl)."""

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from marketplace.models import Pickup
from sensors import alarms as sensor_alarms
from sensors import services as sensor_services
from tests import factories
from tests.billing.support import failed_payment

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SERIOUS = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
}"""


def sign_in(page, user):
    page.goto("/admin/login/")
    page.locator("#id_username").fill(user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url("**/admin/")


def problems(page) -> list[str]:
    page.evaluate(AXE.read_text())  # over CDP, so the site's Content-Security-Policy stays on
    found = page.evaluate(SERIOUS)
    if page.evaluate("document.documentElement.scrollWidth > innerWidth"):
        found.append(f"wider than the {page.viewport_size['width']} px window")
    return found


@pytest.fixture
def market(staff_user, location, in_area_hauler):
    factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.UNMATCHED)
    payment = failed_payment(factories.PickupFactory(location=location, hauler=in_area_hauler))
    device, _ = sensor_services.register_device(
        by=None, location=location, serial="FS-1", waste_stream="trash", container="dumpster_4yd"
    )
    sensor_alarms.open_alarm(device=device, kind="offline", detail="No reading for two hours.")
    return {"payment": payment, "customer": location.customer, "hauler": in_area_hauler}


@pytest.mark.parametrize("width", [390, 1280])
def test_the_index_shows_the_queues_and_fits(page, staff_user, market, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, staff_user)

    queues = page.locator("#staff-queues")
    unmatched = queues.locator('[data-queue="unmatched"]')
    assert unmatched.locator(".queue-count").inner_text().strip() == "1"
    assert "Assign a hauler by hand" in unmatched.inner_text()
    assert page.locator(".staff-zone").text_content().strip() == "Times in America/Chicago (CST)."
    page.snap(f"index-{width}")
    assert problems(page) == []

    unmatched.get_by_role("link", name="Pickups with no hauler found", exact=True).click()
    page.wait_for_url("**/admin/marketplace/pickup/?attention=unmatched")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.snap(f"unmatched-{width}")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_pages_staff_work_from_pass_axe(page, staff_user, market, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, staff_user)
    membership = market["customer"].memberships.get()
    paths = [
        reverse("admin:marketplace_pickup_changelist"),
        reverse("admin:billing_payment_change", args=[market["payment"].pk]),
        reverse("admin:customers_customer_change", args=[market["customer"].pk]),
        reverse("admin:customers_membership_change", args=[membership.pk]),
        reverse("admin:customers_membership_add"),
        reverse("admin:haulers_hauler_change", args=[market["hauler"].pk]),
        reverse("admin:core_user_change", args=[staff_user.pk]),
        reverse("admin:password_change"),
    ]

    found = {}
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("load")
        found[path] = problems(page)

    assert {path: issues for path, issues in found.items() if issues} == {}
