"""The demo hauler's day: a dozen jobs, routed between its two trucks, made once."""

import datetime as dt

import pytest
import time_machine

from haulers.models import Hauler
from marketplace.demo import market
from marketplace.demo.day import demo_day, seed_day
from marketplace.demo.seed import seed_demo
from marketplace.models import DayPlan, Pickup

MONDAY = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)  # 6 a.m. in Austin, before the first window opens


@pytest.mark.django_db
def test_the_demo_hauler_has_a_routed_day_on_both_trucks():
    with time_machine.travel(MONDAY, tick=False):
        seed_demo(today=MONDAY.date())
        made = seed_day()
        again = seed_day()

    hauler = Hauler.objects.get(name=market.HAULER_NAME)
    plan = DayPlan.objects.get(hauler=hauler, day=MONDAY.date())
    jobs = Pickup.objects.filter(hauler=hauler, service_date=MONDAY.date())
    assert made["demo_day_jobs"] == jobs.count() == 12
    assert again["demo_day_jobs"] == 0 and again["demo_day_km"] == made["demo_day_km"] > 0
    routed = {stop.pickup_id for route in plan.routes.all() for stop in route.stops.all() if stop.pickup_id}
    assert routed == set(jobs.values_list("pk", flat=True))
    assert plan.routes.count() == 2


@pytest.mark.django_db
def test_seeded_after_the_first_window_opened_the_demo_day_is_the_next_and_all_of_it_is_routed():
    # Today is planned from now: seeded at half past noon, this morning's windows could no longer be reached.
    noon = dt.datetime(2026, 11, 30, 18, 30, tzinfo=dt.UTC)
    with time_machine.travel(noon, tick=False):
        seed_demo(today=noon.date())
        seed_day()
        hauler = Hauler.objects.get(name=market.HAULER_NAME)
        day = demo_day(hauler)
    assert day == dt.date(2026, 12, 1)
    plan = DayPlan.objects.get(hauler=hauler, day=day)
    assert plan.unroutable == {} and plan.routes.count() == 2
