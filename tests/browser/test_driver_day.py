"""The hauler's day in a real browser: the driver's phone screen (next stop, map, route), completing a stop
from it, and the dispatcher's routes page and printable sheet."""

import pytest

from marketplace.models import Pickup
from tests import factories
from tests.browser.test_hauler_flow import PNG, log_in
from tests.marketplace.web.hauler.route_days import austin_morning, planned_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def watch_console(page) -> list[str]:
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def map_is_drawn(page, *, markers: int) -> None:
    page.wait_for_function(f"document.querySelectorAll('.leaflet-marker-icon').length === {markers}")
    assert page.locator("path.leaflet-interactive").count() >= 1  # the route's line


@pytest.fixture
def today_planned():
    """Six big dumpster jobs today: two trucks, tipping trips between loads; the test runs in the morning."""
    with austin_morning() as today:
        yield planned_day(jobs=6, day=today, container="dumpster_8yd", stops_per_shift=6)


def test_the_driver_works_the_day_from_a_phone(page, tmp_path, today_planned):
    planned = today_planned
    errors = watch_console(page)
    truck = planned.trucks[0]
    stops = planned.route_of(truck)
    first, second = planned.pickups_of(truck)[:2]
    photo = tmp_path / "bin.png"
    photo.write_bytes(PNG)

    page.set_viewport_size(PHONE)
    log_in(page, planned.driver.email, factories.PASSWORD)
    page.goto("/hauler/day/")
    page.get_by_role("heading", name=first.location.street).wait_for()
    assert page.locator(".next-stop .eyebrow").inner_text().upper().startswith("NEXT STOP · 1 OF")
    assert page.get_by_role("button", name="Call", exact=True).get_attribute("href") == "tel:512-555-0101"
    assert "destination=" in page.get_by_role("button", name="Open in Maps").get_attribute("href")
    map_is_drawn(page, markers=len(stops) + 1)  # each stop and the depot
    assert fits_the_screen(page)
    page.snap("phone-next-stop")

    page.get_by_label("Photo of the emptied container").set_input_files(str(photo))
    page.get_by_label("Weight (optional)").fill("640")
    early = page.get_by_label("Why before the window?")  # asked only while the window has not opened
    if early.count():
        early.fill("The route ran ahead and the container was out")
    page.get_by_role("button", name="Complete stop 1").click()
    page.get_by_text(f"Done: {first.location.street}. Proof of service recorded.").wait_for()
    page.get_by_role("heading", name=second.location.street).wait_for()
    assert page.locator(".next-stop .eyebrow").inner_text().upper().startswith("NEXT STOP · 2 OF")
    assert page.locator("li.stop.done").count() >= 1
    map_is_drawn(page, markers=len(stops) + 1)
    assert fits_the_screen(page)
    page.snap("phone-after-completing")
    first.refresh_from_db()
    assert first.status == Pickup.Status.COMPLETED

    page.set_viewport_size(DESKTOP)
    page.reload()
    map_is_drawn(page, markers=len(stops) + 1)
    assert fits_the_screen(page)
    page.snap("desktop-day")
    assert errors == []


def test_the_dispatcher_sees_every_route_and_prints_a_sheet(page, today_planned):
    planned = today_planned
    errors = watch_console(page)
    log_in(page, planned.owner.email, factories.PASSWORD)
    markers = sum(len(planned.route_of(truck)) + 1 for truck in planned.trucks)

    page.set_viewport_size(DESKTOP)
    page.goto("/hauler/routes/")
    page.get_by_role("heading", name="Truck 2").wait_for()
    map_is_drawn(page, markers=markers)
    assert page.locator("path.leaflet-interactive").count() == 2  # one line per truck
    assert fits_the_screen(page)
    page.snap("desktop-routes")

    page.set_viewport_size(PHONE)
    page.reload()
    map_is_drawn(page, markers=markers)
    assert fits_the_screen(page)
    page.snap("phone-routes")

    page.goto(f"/hauler/routes/{planned.trucks[0].pk}/sheet/")
    page.get_by_text("Driver's signature").wait_for()
    assert fits_the_screen(page)
    page.snap("phone-sheet")
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    page.snap("print-sheet")
    assert errors == []
