"""A hauler's day, routed: every job on one truck in order within its window, tipping when full, or reported."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from core.errors import Conflict, NotFound
from haulers.models import Truck
from marketplace import dispatch, routes, services
from marketplace import fleet as marketplace_fleet
from marketplace.models import DayPlan, Pickup, RouteStop
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
DAY = dt.date(2026, 11, 24)  # a Tuesday
BEFORE = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
ZIPS = ["78701", "78702", "78703", "78704", "78705", "78751", "78756", "78741"]


@pytest.fixture
def fleet(db):
    """A hauler with two front-load trucks (two 4-yard dumpsters fill one: 8 yards) tipping at one landfill."""
    hauler = factories.HaulerFactory(name="Two Trucks", zips=ZIPS, stops=0)
    landfill = factories.DisposalSiteFactory(hauler=hauler)
    trucks = [
        factories.TruckFactory(hauler=hauler, name=name, capacity_per_trip=8, stops_per_shift=10) for name in "AB"
    ]
    for truck in trucks:
        truck.disposal_sites.add(landfill)
    return hauler, trucks, landfill


def job(hauler, zip_code, *, window=(dt.time(7), dt.time(17)), container="dumpster_4yd", status="scheduled"):
    location = factories.LocationFactory(zip_code=zip_code)
    return factories.PickupFactory(
        customer=location.customer, location=location, hauler=hauler, container=container, service_date=DAY,
        window_start=window[0], window_end=window[1], status=status,
    )  # fmt: skip


def routed_jobs(plan):
    return [stop.pickup_id for route in plan.routes.all() for stop in route.stops.all() if stop.pickup_id]


@pytest.mark.django_db
def test_every_job_is_routed_once_within_its_window_and_trucks_tip_when_full(fleet):
    hauler, _, landfill = fleet
    jobs = [job(hauler, zip_code) for zip_code in ZIPS]
    jobs.append(job(hauler, "78701", window=(dt.time(7), dt.time(11))))

    plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=1)

    assert plan.unroutable == {}
    assert sorted(routed_jobs(plan)) == sorted(j.pk for j in jobs)
    stops = RouteStop.objects.filter(route__plan=plan).select_related("pickup", "route")
    for stop in stops.filter(kind=RouteStop.Kind.PICKUP):
        arrives = stop.arrives_at.astimezone(AUSTIN).time()
        assert stop.pickup.window_start <= arrives <= stop.pickup.window_end
    # Nine 4-yard dumpsters (8 half-yards each) on 16-half-yard trucks: tipping trips at the landfill.
    tips = stops.filter(kind=RouteStop.Kind.TIP)
    assert tips.exists() and {tip.disposal_site_id for tip in tips} == {landfill.pk}
    for route in plan.routes.all():
        assert all(stop.load_after <= 16 for stop in route.stops.all())
        sequence = [stop.sequence for stop in route.stops.all()]
        assert sequence == sorted(sequence) == list(range(len(sequence)))
        assert route.starts_at < route.ends_at
    assert plan.distance_m == sum(route.distance_m for route in plan.routes.all()) > 0


@pytest.mark.django_db
def test_a_job_no_truck_can_take_is_reported_with_the_reason_and_stays_visible(fleet):
    hauler, _, _ = fleet
    routable = job(hauler, "78701")
    roll_off = job(hauler, "78702", container="rolloff_30yd")

    plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.5)

    assert routed_jobs(plan) == [routable.pk]
    assert plan.unroutable == {str(roll_off.pk): "No truck can serve this container."}
    assert routes.unroutable_jobs(plan=plan, hauler=hauler, day=DAY) == [
        (roll_off, "No truck can serve this container.")
    ]


@pytest.mark.django_db
def test_trucks_whose_site_is_closed_all_day_cannot_tip(fleet):
    hauler, _, landfill = fleet
    landfill.open_days = 0
    landfill.save()
    jobs = [job(hauler, zip_code) for zip_code in ZIPS[:6]]  # 48 half-yards on two 16-half-yard trucks

    plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.5)

    assert len(routed_jobs(plan)) == 4  # two dumpsters fill each truck; with nowhere to tip, that is all
    assert len(plan.unroutable) == 2
    assert {job_id for job_id in plan.unroutable} <= {str(j.pk) for j in jobs}
    assert set(plan.unroutable.values()) <= {
        "The trucks that can serve it are full, with no disposal site open that day to tip at.",
        "No room left in the trucks' shifts that day.",
    }


@pytest.mark.django_db
def test_a_day_unchanged_since_its_plan_is_not_solved_again(fleet):
    hauler, _, _ = fleet
    job(hauler, "78701")
    first = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    again = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    assert again.planned_at == first.planned_at

    job(hauler, "78702")
    changed = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    assert changed.planned_at > first.planned_at
    assert len(routed_jobs(changed)) == 2


@pytest.mark.django_db
def test_a_solve_overtaken_by_a_change_is_not_saved(fleet, monkeypatch):
    hauler, _, _ = fleet
    kept, cancelled = job(hauler, "78701"), job(hauler, "78702")
    real_solve = routes.solve

    def solve_while_the_customer_cancels(problem, **kwargs):
        Pickup.objects.filter(pk=cancelled.pk).update(status=Pickup.Status.CANCELLED)
        return real_solve(problem, **kwargs)

    monkeypatch.setattr(routes, "solve", solve_while_the_customer_cancels)
    plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)

    assert plan.planned_at is None and not plan.routes.exists()  # the cancellation queued the next plan
    monkeypatch.setattr(routes, "solve", real_solve)
    assert routed_jobs(routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)) == [kept.pk]


@pytest.mark.django_db
def test_accepting_a_job_replans_the_day_after_commit(customer, location, fleet, run_on_commit):
    hauler, _, _ = fleet
    factories.RateFactory(hauler=hauler)
    with time_machine.travel(BEFORE, tick=False):
        quote = services.create_quote(
            customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
            service_date=DAY,
        )  # fmt: skip
        pickup = run_on_commit(services.book_quote, quote=quote, customer=customer)
        run_on_commit(dispatch.accept_offer, offer_id=pickup.offers.get().pk, hauler=hauler)

    plan = DayPlan.objects.get(hauler=hauler, day=DAY)
    assert routed_jobs(plan) == [pickup.pk]
    pickup.refresh_from_db()
    start, end = routes.planned_arrival(pickup)
    assert end - start == dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_the_dispatcher_moves_a_stop_to_another_truck(fleet, run_on_commit):
    hauler, (truck_a, truck_b), _ = fleet
    jobs = [job(hauler, zip_code) for zip_code in ZIPS[:4]]
    routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    moved = jobs[0]

    run_on_commit(routes.move_stop, hauler=hauler, pickup_id=moved.pk, truck_id=truck_b.pk)

    stop = RouteStop.objects.get(pickup=moved, route__plan__day=DAY)
    assert stop.route.truck == truck_b
    run_on_commit(routes.move_stop, hauler=hauler, pickup_id=moved.pk, truck_id=truck_a.pk)
    assert RouteStop.objects.get(pickup=moved).route.truck == truck_a


@pytest.mark.django_db
def test_moving_a_stop_refuses_what_cannot_move(fleet):
    hauler, (truck_a, _), _ = fleet
    done = job(hauler, "78701", status="completed")
    scheduled = job(hauler, "78702")
    hook_lift = factories.TruckFactory(
        hauler=hauler, name="Hook lift", kind=Truck.Kind.ROLL_OFF, containers=["rolloff_30yd"], capacity_per_trip=1
    )
    other = factories.HaulerFactory(name="Someone Else")

    with pytest.raises(Conflict, match="completed"):
        routes.move_stop(hauler=hauler, pickup_id=done.pk, truck_id=truck_a.pk)
    with pytest.raises(ValidationError) as refused:
        routes.move_stop(hauler=hauler, pickup_id=scheduled.pk, truck_id=hook_lift.pk)
    assert "Hook lift cannot serve a 4-yard dumpster." in refused.value.message_dict["truck"]
    with pytest.raises(NotFound):
        routes.move_stop(hauler=other, pickup_id=scheduled.pk, truck_id=None)
    scheduled.refresh_from_db()
    assert scheduled.truck is None


@pytest.mark.django_db
def test_the_customer_sees_the_truck_on_the_way_once_the_previous_stop_is_done(fleet):
    hauler, (truck_a, _), _ = fleet
    hauler.trucks.exclude(pk=truck_a.pk).update(active=False)
    first, second = job(hauler, "78701"), job(hauler, "78702")
    plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    order = routed_jobs(plan)
    earlier, later = (Pickup.objects.get(pk=pk) for pk in order)
    assert not routes.on_the_way(later)

    Pickup.objects.filter(pk=earlier.pk).update(status=Pickup.Status.COMPLETED)
    assert routes.on_the_way(later)
    assert {first.pk, second.pk} == set(order)


def test_window_times_keep_the_wall_clock_across_zones_and_on_a_dst_day():
    fall_back = dt.date(2026, 11, 1)  # clocks go back at 2 am in both zones
    new_york = ZoneInfo("America/New_York")
    seven_in_austin = dt.datetime(2026, 11, 1, 7, 0, tzinfo=AUSTIN)  # 08:00 in New York
    seconds = routes._seconds(seven_in_austin, fall_back, new_york)
    assert seconds == 8 * 3600  # the depot's wall clock, as its shifts and site hours are read
    assert routes._moment(seconds, fall_back, new_york) == seven_in_austin


@pytest.mark.django_db
def test_a_replan_mid_day_plans_nothing_before_now_and_counts_the_stops_done(fleet):
    hauler, (truck_a, truck_b), _ = fleet
    truck_b.active = False
    truck_b.save()
    truck_a.stops_per_shift = 3
    truck_a.save()
    morning = [job(hauler, zip_code) for zip_code in ZIPS[:2]]
    with time_machine.travel(dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC), tick=False):  # 05:00 in Austin
        routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)
    Pickup.objects.filter(pk__in=[j.pk for j in morning]).update(status=Pickup.Status.COMPLETED)
    later = [job(hauler, zip_code) for zip_code in ZIPS[2:4]]
    noon = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)  # 12:00 in Austin
    with time_machine.travel(noon, tick=False):
        plan = routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.3)

    stops = list(RouteStop.objects.filter(route__plan=plan, kind=RouteStop.Kind.PICKUP).order_by("sequence"))
    assert {s.pickup_id for s in stops[:2]} == {j.pk for j in morning}  # done stops stay first, as driven
    planned = [s for s in stops if s.pickup_id in {j.pk for j in later}]
    assert len(planned) == 1 and len(plan.unroutable) == 1  # three stops a shift: two done, one left
    assert planned[0].arrives_at >= noon
    route = plan.routes.get()
    assert route.distance_m <= plan.distance_m  # what is left to drive, not the morning's again


@pytest.mark.django_db
def test_a_day_off_added_to_the_company_replans_that_day(fleet, run_on_commit):
    hauler, _, _ = fleet
    tuesday_job = job(hauler, "78701")
    with time_machine.travel(BEFORE, tick=False):
        routes.plan_day(hauler_id=hauler.pk, day=DAY, time_limit_s=0.2)
        run_on_commit(
            marketplace_fleet.update_operations, hauler=hauler, by=None, name=hauler.name, phone="",
            depot_zip=hauler.depot_zip, working_days=0b1111101,  # not on Tuesdays any more
        )  # fmt: skip
    plan = DayPlan.objects.get(hauler=hauler, day=DAY)
    assert plan.unroutable == {str(tuesday_job.pk): "No truck has a shift that day."}
    assert not plan.routes.exists()
