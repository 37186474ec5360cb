"""The hauler portal on a 390 px phone: tables read as cards, nothing scrolls sideways or fails axe's serious
checks, the jobs after this week are a tap away, and completing a stop before its window asks why."""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from haulers import services as hauler_services
from marketplace.models import Pickup
from tests import factories
from tests.browser.test_hauler_flow import PNG, log_in
from tests.marketplace.web.hauler.route_days import add_jobs, planned_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SERIOUS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)"""


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def serious_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())  # over CDP: the site's CSP stays on
    return page.evaluate(SERIOUS)


def rows_are_cards(page) -> bool:
    """Each table is class "stack": its header row is out of sight and each cell names its column."""
    return page.evaluate("""() => [...document.querySelectorAll('main table')].every((table) =>
        table.classList.contains('stack')
        && table.querySelector('thead').getBoundingClientRect().width <= 1
        && [...table.querySelectorAll('td')].every((td) => td.dataset.label))""")


@pytest.fixture
def planned():
    """Tomorrow's planned day, a job done last week, one booked for two weeks on, and a licence on file."""
    day = planned_day()
    done = add_jobs(day.hauler, timezone.localdate() - dt.timedelta(days=5), 1, start=7)[0]
    Pickup.objects.filter(pk=done.pk).update(status=Pickup.Status.COMPLETED, completed_at=timezone.now())
    day.extra["later"] = add_jobs(day.hauler, day.day + dt.timedelta(days=14), 1, start=8)[0]
    today = timezone.localdate()
    hauler_services.add_credential(
        hauler=day.hauler, by=day.owner, kind="licence", number="AUS-HL-2026-0042-RENEWAL",
        issuer="City of Austin, Austin Resource Recovery", valid_from=today, expires_on=today + dt.timedelta(days=20),
        document=SimpleUploadedFile("licence.png", PNG, content_type="image/png"),
    )  # fmt: skip
    return day


def test_the_office_pages_fit_a_phone(page, planned):
    page.set_viewport_size(PHONE)
    log_in(page, planned.owner.email, factories.PASSWORD)

    for path, name in [("/hauler/earnings/", "earnings"), ("/hauler/credentials/", "credentials")]:
        page.goto(path)
        assert fits_the_screen(page), path
        assert rows_are_cards(page), path
        assert serious_violations(page) == [], path
        page.snap(f"phone-{name}")

    page.goto("/hauler/jobs/")
    assert fits_the_screen(page) and rows_are_cards(page)
    page.snap("phone-jobs")
    later = planned.extra["later"]
    page.get_by_role("link", name="1 more job after").click()
    page.get_by_role("heading", name=f"{later.service_date:%b} {later.service_date.day} to").wait_for()
    assert later.location.street in page.locator("main").inner_text()
    assert fits_the_screen(page) and rows_are_cards(page)
    page.snap("phone-jobs-later-week")


def test_a_stop_completed_before_its_window_asks_why_from_the_phone(page, tmp_path, planned):
    first = planned.pickups_of(planned.trucks[0])[0]
    photo = tmp_path / "bin.png"
    photo.write_bytes(PNG)
    page.set_viewport_size(PHONE)
    log_in(page, planned.driver.email, factories.PASSWORD)
    page.goto(f"/hauler/day/?day={planned.day.isoformat()}")  # tomorrow's route: its windows are still to open

    reason = page.get_by_label("Why before the window?")
    assert "The window opens at 7:00 AM" in page.locator(".next-stop").inner_text()
    page.get_by_label("Photo of the emptied container").set_input_files(str(photo))
    page.get_by_role("button", name="Complete stop 1").click()
    page.locator(".errorlist").first.wait_for()
    assert "This field is required." in page.locator(".next-stop").inner_text()
    page.snap("phone-reason-asked")

    reason.fill("The customer asked us to come a day early")
    page.get_by_label("Photo of the emptied container").set_input_files(str(photo))
    page.get_by_role("button", name="Complete stop 1").click()
    page.get_by_text(f"Done: {first.location.street}. Proof of service recorded.").wait_for()
    assert fits_the_screen(page)
    page.snap("phone-completed-early")
    first.refresh_from_db()
    assert first.status == Pickup.Status.COMPLETED
