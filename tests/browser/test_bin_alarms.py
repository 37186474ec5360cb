"""A business sees its bins' open alarms on the location's sensor page, in sentences, on a phone and at a desk."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace import alarms
from sensors import services, state
from sensors.models import Reading
from tests import factories
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, watch_console
from tests.browser.test_hauler_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("screen", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_sensor_page_says_what_needs_attention(page, screen):
    now = timezone.now()
    owner = factories.CustomerMembershipFactory(customer__name="Eastside Markets").user
    location = factories.LocationFactory(customer=owner.customer_membership.customer, name="Eastside Market")
    quiet, _ = services.register_device(
        by=None, location=location, serial="EM-1", waste_stream="trash", container="dumpster_4yd"
    )
    hot, _ = services.register_device(
        by=None, location=location, serial="EM-2", waste_stream="cardboard", container="dumpster_8yd"
    )
    fine, _ = services.register_device(
        by=None, location=location, serial="EM-3", waste_stream="recycling", container="cart_96gal"
    )
    Reading.objects.bulk_create(
        [
            Reading(device=quiet, measured_at=now - dt.timedelta(hours=hours), fill_percent=60 - hours)
            for hours in (5, 6)
        ]
        + [Reading(device=hot, measured_at=now, fill_percent=30, temperature_c=78, battery_percent=7)]
        + [Reading(device=fine, measured_at=now, fill_percent=20)]
    )
    state.refresh([quiet.pk, hot.pk, fine.pk], now=now)
    alarms.check(now=now)

    page.set_viewport_size(screen)
    errors = watch_console(page)
    log_in(page, owner.email, factories.PASSWORD)
    page.goto(f"/locations/{location.pk}/sensors/")

    notices = page.locator(".notice.alert")
    assert notices.count() == 2
    assert "Not reporting. No reading since" in page.locator("article", has_text="Sensor EM-1").inner_text()
    hot_card = page.locator("article", has_text="Sensor EM-2").inner_text()
    assert "Too hot (possible fire). It read 78.0 °C" in hot_card and "Battery running out" in hot_card
    assert "Needs attention" not in page.locator("article", has_text="Sensor EM-3").inner_text()
    assert fits_the_screen(page)
    page.snap(f"sensor-page-{screen['width']}")
    assert errors == []


def test_staff_work_through_the_alarm_queue(page):
    now = timezone.now()
    staff = factories.UserFactory(email="ops@example.com", is_staff=True, is_superuser=True)
    location = factories.LocationFactory(name="Eastside Market")
    device, _ = services.register_device(
        by=None, location=location, serial="EM-9", waste_stream="trash", container="dumpster_4yd"
    )
    Reading.objects.create(device=device, measured_at=now - dt.timedelta(hours=4), fill_percent=50)
    state.refresh([device.pk], now=now)
    alarms.check(now=now)

    page.set_viewport_size(DESKTOP)
    errors = watch_console(page)
    # Django's admin links no icon; the browser asks for one anyway.
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, staff.email, factories.PASSWORD)
    page.goto("/admin/sensors/alarm/?state=open")
    row = page.locator("#result_list tbody tr", has_text="EM-9")
    assert "No reading since" in row.inner_text()
    row.locator("input[type=checkbox]").check()
    page.locator("select[name=action]").select_option("acknowledge")
    page.get_by_role("button", name="Go").click()
    assert "Acknowledged 1 alarm" in page.locator(".messagelist").inner_text()
    page.snap("alarm-queue")
    assert errors == []
