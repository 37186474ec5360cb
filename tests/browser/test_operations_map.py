"""The operations map in a real browser: staff at a desk and a business on a phone see the bins drawn, the key,
the open alarms, and a bin's chart when they choose one on the map or in a list."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace.models import Pickup
from sensors.models import Alarm, Device
from tests import factories
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console
from tests.browser.test_hauler_flow import log_in
from tests.marketplace.web.bins_cast import fill_history, seed_bins

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BINS = 240


@pytest.fixture
def city():
    """A business with BINS bins across Austin, another business's bins, open alarms and a visit booked."""
    now = timezone.now()
    owner = factories.CustomerMembershipFactory(customer__name="Eastside Markets").user
    customer = owner.customer_membership.customer
    devices = seed_bins(BINS, now=now, customer=customer)
    others = seed_bins(20, now=now, prefix="OTHER")
    watched = devices[7]  # organics, 74% full, filling 12 points a day: full in about two days
    fill_history(watched, now=now)
    Device.objects.filter(pk=watched.pk).update(full_at=now + dt.timedelta(days=2), fill_rate_per_day=12.0)
    factories.PickupFactory(
        location=watched.location,
        waste_stream=watched.waste_stream,
        container=watched.container,
        service_date=timezone.localdate() + dt.timedelta(days=4),
    )
    factories.PickupFactory(
        location=watched.location,
        waste_stream=watched.waste_stream,
        container=watched.container,
        service_date=timezone.localdate() - dt.timedelta(days=3),
        status=Pickup.Status.COMPLETED,
    )
    kinds = [Alarm.Kind.OFFLINE, Alarm.Kind.BATTERY_LOW, Alarm.Kind.TILT, Alarm.Kind.FILL_NOT_DROPPING]
    for index, device in enumerate(devices[10::11][:8]):
        Alarm.objects.create(
            device=device,
            kind=kinds[index % len(kinds)],
            detail="No reading for 5 hours." if index % len(kinds) == 0 else "",
            opened_at=now - dt.timedelta(hours=index + 1),
        )
    Alarm.objects.create(
        device=watched,
        kind=Alarm.Kind.OVERFLOW_RISK,
        detail="Forecast full two days before its next visit.",
        opened_at=now - dt.timedelta(minutes=20),
    )
    Alarm.objects.create(device=others[0], kind=Alarm.Kind.TILT, detail="Another business's bin.", opened_at=now)
    staff = factories.UserFactory(email="ops@example.com", is_staff=True)
    return {"owner": owner, "staff": staff, "watched": watched, "devices": devices}


def bins_drawn(page) -> str:
    page.locator("#ops-map[data-drawn]").wait_for()
    return page.locator("#ops-map-status").inner_text()


def click_bin(page, device) -> None:
    """Click the bin's dot where the map drew it (the map is a canvas: there is no element per bin)."""
    location = device.location
    point = page.evaluate(
        "([lat, lng]) => document.getElementById('ops-map').leafletMap.latLngToContainerPoint([lat, lng])",
        [float(location.latitude), float(location.longitude)],
    )
    page.locator("#ops-map").click(position={"x": point["x"], "y": point["y"]})


def test_staff_see_the_city_and_open_a_bin_from_the_map(page, city):
    errors = watch_console(page)
    page.set_viewport_size(DESKTOP)
    log_in(page, city["staff"].email, factories.PASSWORD)
    page.get_by_role("link", name="Operations map").click()  # staff land on the admin index
    page.wait_for_url("**/operations/")
    errors.clear()  # Django's admin pages ask for a /favicon.ico there is none of; the map's pages do not
    assert bins_drawn(page).startswith(f"{BINS + 20} bins on the map")
    assert page.locator(".ops-legend li").count() == 6
    assert page.get_by_role("heading", name="Open alarms 10").is_visible()
    assert fits_the_screen(page)
    page.snap("desktop-map")

    watched = city["watched"]
    at = [float(watched.location.latitude), float(watched.location.longitude)]
    zoom_in = "(element, at) => { element.leafletMap.setView(at, 17, { animate: false }); }"
    page.locator("#ops-map").evaluate(zoom_in, at)
    click_bin(page, watched)
    heading = page.locator("#bin-panel h2")
    heading.wait_for()
    assert heading.inner_text() == f"{watched.get_waste_stream_display()}, 4-yard dumpster at {watched.location.name}"
    page.locator("#bin-panel .uplot canvas").wait_for()
    panel = page.locator("#bin-panel").inner_text()
    assert "Forecast to be full before its next visit." in panel
    assert "Eastside Markets" in panel  # staff are told whose bin it is
    assert "Completed" in panel
    page.snap("desktop-bin-panel")

    # Every bin is reachable without a pointer too: the canvas's dots are listed in a select.
    pick = page.get_by_label("Any bin on the map")
    assert pick.locator("option").count() == BINS + 20
    fine = next(device for device in city["devices"] if device.pk != watched.pk and device.last_fill_percent < 40)
    pick.select_option(str(fine.pk))
    pick.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # on "Open this bin"
    page.locator(f"#bin-panel h2#bin-{fine.pk}-heading").wait_for()
    assert page.evaluate("document.activeElement.id") == f"bin-{fine.pk}-heading"

    page.select_option("#id_state", "alarm")
    page.get_by_role("button", name="Show").click()
    assert bins_drawn(page).startswith("10 bins on the map")
    page.snap("desktop-alarm-filter")
    assert errors == []


def test_a_business_works_the_map_from_a_phone(page, city):
    errors = watch_console(page)
    page.set_viewport_size(PHONE)
    log_in(page, city["owner"].email, factories.PASSWORD)
    page.goto("/dashboard/")
    page.get_by_role("button", name="Map of your bins").click()  # a link drawn as a button
    assert bins_drawn(page).startswith(f"{BINS} bins on the map")
    assert fits_the_screen(page)
    assert "Another business" not in page.content()
    page.snap("phone-map")

    alarms = page.locator("section[aria-labelledby=alarms-heading]")
    alarms.scroll_into_view_if_needed()
    # Its 9 open alarms less the two "still full after a visit" cases, which are staff's.
    assert alarms.get_by_role("link").count() == 7
    page.snap("phone-alarms")
    alarms.get_by_role("link", name="Will overflow before the next visit").click()
    page.locator("#bin-panel .uplot canvas").wait_for()
    assert fits_the_screen(page)
    chart_box = page.locator("#bin-panel .bin-chart").bounding_box()
    assert chart_box["x"] >= 0 and chart_box["x"] + chart_box["width"] <= PHONE["width"]
    page.locator("#bin-panel summary").click()
    assert page.locator("#bin-panel table tbody tr").count() >= 14
    page.snap("phone-bin-panel")
    assert errors == []
