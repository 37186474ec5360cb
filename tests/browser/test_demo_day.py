"""The demo as a hauler sees it: Capital City Hauling's day, routed between its two trucks, on a phone and a desk."""

import pytest

from haulers.models import Hauler
from marketplace.demo import market
from marketplace.demo.day import demo_day, seed_day
from marketplace.demo.seed import seed_demo
from marketplace.models import DayPlan
from tests.browser.test_driver_day import DESKTOP, PHONE, fits_the_screen, map_is_drawn, watch_console
from tests.browser.test_hauler_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_hauler_has_a_routed_mapped_day_on_two_trucks(page):
    seed_demo()
    seed_day()
    hauler = Hauler.objects.get(name=market.HAULER_NAME)
    day = demo_day(hauler)
    plan = DayPlan.objects.get(hauler=hauler, day=day)
    routes = list(plan.routes.prefetch_related("stops"))
    assert len(routes) == 2 and plan.unroutable == {}
    errors = watch_console(page)

    page.set_viewport_size(DESKTOP)
    log_in(page, market.HAULER_EMAIL, market.HAULER_PASSWORD)
    page.goto(f"/hauler/routes/?day={day.isoformat()}")
    for route in routes:
        page.get_by_role("heading", name=route.truck.name).wait_for()
    markers = sum(len(route.stops.all()) for route in routes) + len(routes)  # stops, tips and each depot
    map_is_drawn(page, markers=markers)
    assert fits_the_screen(page)
    page.snap("desktop-routes")

    page.set_viewport_size(PHONE)
    for route in routes:
        page.goto(f"/hauler/day/?day={day.isoformat()}&truck={route.truck_id}")
        page.locator(".next-stop").wait_for()
        map_is_drawn(page, markers=len(route.stops.all()) + 1)
        assert fits_the_screen(page)
        page.snap(f"phone-day-{route.truck.name.lower().replace(' ', '-')}")
    page.set_viewport_size(DESKTOP)
    page.reload()
    map_is_drawn(page, markers=len(routes[-1].stops.all()) + 1)
    assert fits_the_screen(page)
    page.snap("desktop-day")
    assert errors == []
