"""The dispatcher's day: every route side by side, moving jobs between trucks, drivers, re-planning, the sheet."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from haulers.models import DriverAssignment, HaulerRole
from marketplace import routes
from marketplace.models import DayPlan, Pickup
from marketplace.web.formatting import miles
from tests import factories
from tests.marketplace.web.hauler.route_days import AUSTIN, add_jobs, planned_day

pytestmark = pytest.mark.django_db
# The session, the user, the hauler seat and its hauler, the plan (routes, trucks, stops, pickups, locations,
# customers, sites), the trucks, the day's drivers, the team, the unroutable jobs, the nav's business-seat check.
ROUTES_MAX_QUERIES = 17


@pytest.fixture
def planned():
    return planned_day()


def routes_url(planned) -> str:
    return f"{reverse('hauler_routes')}?day={planned.day.isoformat()}"


def test_the_owner_sees_every_route_side_by_side(client, planned):
    client.force_login(planned.owner)
    response = client.get(routes_url(planned))
    page = response.content.decode()
    assert response.status_code == 200
    summaries = response.context["summaries"]
    assert [summary["truck"] for summary in summaries] == planned.trucks
    for summary in summaries:
        route = summary["route"]
        start, end = (timezone.localtime(moment, AUSTIN) for moment in (route.starts_at, route.ends_at))
        assert summary["starts"] == f"{start.hour % 12 or 12}:{start.minute:02d} {'AM' if start.hour < 12 else 'PM'}"
        assert f"{summary['starts']}\u2013{summary['ends']} · {miles(route.distance_m)}" in page
        assert end > start
    # One map, one colour per truck, every stop on it.
    data = response.context["map"]["routes"]
    assert len({route["colour"] for route in data}) == 2
    assert sum(len(route["stops"]) for route in data) == sum(len(summary["rows"]) for summary in summaries)
    assert 'data-route-map="routes-map-data"' in page
    # Each open stop can move to the other truck; each truck has a driver select with the driver chosen.
    assert page.count('name="truck"') >= len(planned.jobs)
    assert '<option value="">Any truck</option>' in page
    assert f'<option value="{planned.driver.hauler_membership.pk}" selected>Dan Driver</option>' in page
    assert "Re-plan now" in page and "Printable route sheet" in page


def test_members_do_not_dispatch(client, planned):
    client.force_login(planned.driver)
    job = planned.jobs[0]
    assert client.get(routes_url(planned)).status_code == 403
    move = {"pickup": job.pk, "truck": planned.trucks[1].pk, "day": planned.day.isoformat()}
    assert client.post(reverse("hauler_route_move"), move).status_code == 403
    assert client.post(reverse("hauler_route_replan"), {"day": planned.day.isoformat()}).status_code == 403
    job.refresh_from_db()
    assert job.truck_id is None


def test_moving_a_stop_pins_it_and_replans_the_day(client, planned, django_capture_on_commit_callbacks):
    client.force_login(planned.owner)
    job = planned.pickups_of(planned.trucks[0])[0]
    form = {"pickup": job.pk, "truck": planned.trucks[1].pk, "day": planned.day.isoformat()}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hauler_route_move"), form)

    assert response["Location"] == routes_url(planned)
    job.refresh_from_db()
    assert job.truck == planned.trucks[1]
    assert job in planned.pickups_of(planned.trucks[1])
    assert job not in planned.pickups_of(planned.trucks[0])
    page = client.get(response["Location"]).content.decode()
    assert f"{job.location.street} goes on Truck 2. The day is being re-planned." in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("hauler_route_move"), {**form, "truck": ""})
    job.refresh_from_db()
    assert job.truck is None


def test_a_move_the_truck_cannot_take_is_refused_with_a_reason(client, planned):
    roll_off = factories.TruckFactory(
        hauler=planned.hauler, name="Roll-off 1", kind="roll_off", containers=["rolloff_30yd"], capacity_per_trip=1
    )
    client.force_login(planned.owner)
    job = planned.jobs[0]
    form = {"pickup": job.pk, "truck": roll_off.pk, "day": planned.day.isoformat()}
    page = client.post(reverse("hauler_route_move"), form, follow=True).content.decode()
    assert "Roll-off 1 cannot serve a 4-yard dumpster." in page
    job.refresh_from_db()
    assert job.truck_id is None

    bad = client.post(reverse("hauler_route_move"), {"pickup": "x", "day": planned.day.isoformat()}, follow=True)
    assert "Choose a job and a truck to move it to." in bad.content.decode()


def test_another_haulers_job_or_truck_is_not_found(client, planned):
    client.force_login(planned.owner)
    other = factories.PickupFactory(service_date=planned.day)
    form = {"pickup": other.pk, "truck": planned.trucks[0].pk, "day": planned.day.isoformat()}
    assert client.post(reverse("hauler_route_move"), form).status_code == 404
    their_truck = factories.TruckFactory(hauler=other.hauler)
    assign = {"truck": their_truck.pk, "driver": "", "day": planned.day.isoformat()}
    assert client.post(reverse("hauler_route_assign"), assign).status_code == 404
    sheet = reverse("hauler_route_sheet", args=[their_truck.pk]) + f"?day={planned.day}"
    assert client.get(sheet).status_code == 404


def test_a_completed_job_does_not_move(client, planned):
    job = planned.jobs[0]
    Pickup.objects.filter(pk=job.pk).update(status=Pickup.Status.COMPLETED, completed_at=timezone.now())
    client.force_login(planned.owner)
    form = {"pickup": job.pk, "truck": planned.trucks[1].pk, "day": planned.day.isoformat()}
    page = client.post(reverse("hauler_route_move"), form, follow=True).content.decode()
    assert "This job is completed; only a scheduled job can move." in page


def test_replan_now_plans_jobs_added_since(client, django_capture_on_commit_callbacks):
    planned = planned_day(jobs=4, stops_per_shift=10)
    [late] = add_jobs(planned.hauler, planned.day, 1, start=11)
    client.force_login(planned.owner)
    before = client.get(routes_url(planned))
    assert [row["job"] for row in before.context["unroutable"]] == [late]
    assert "Not planned yet" in before.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("hauler_route_replan"), {"day": planned.day.isoformat()})

    assert response["Location"] == routes_url(planned)
    after = client.get(routes_url(planned))
    assert after.context["unroutable"] == []
    assert any(late in planned.pickups_of(truck) for truck in planned.trucks)
    assert DayPlan.objects.filter(hauler=planned.hauler, day=planned.day).count() == 1


def test_assigning_a_driver_for_the_day(client, planned):
    client.force_login(planned.owner)
    member = planned.driver.hauler_membership
    form = {"truck": planned.trucks[1].pk, "driver": member.pk, "day": planned.day.isoformat()}
    page = client.post(reverse("hauler_route_assign"), form, follow=True).content.decode()
    assert "Truck 2 on" in page and "Dan Driver drives it." in page
    # One truck a day: the latest choice wins.
    assert list(DriverAssignment.objects.filter(day=planned.day).values_list("truck", flat=True)) == [
        planned.trucks[1].pk
    ]
    client.post(reverse("hauler_route_assign"), {**form, "driver": ""})
    assert not DriverAssignment.objects.filter(day=planned.day).exists()

    pending = factories.HaulerMembershipFactory(
        hauler=planned.hauler, role=HaulerRole.DRIVER, user=None, email="x@e.com"
    )
    page = client.post(reverse("hauler_route_assign"), {**form, "driver": pending.pk}, follow=True).content.decode()
    assert "Choose one of your team who has joined." in page


def test_the_printable_sheet_has_the_stops_contacts_and_a_signature_line(client, planned):
    client.force_login(planned.driver)  # a driver prints their own sheet
    truck = planned.trucks[0]
    response = client.get(reverse("hauler_route_sheet", args=[truck.pk]) + f"?day={planned.day}")
    page = response.content.decode()
    assert response.status_code == 200
    for stop in planned.route_of(truck):
        if stop.pickup_id:
            assert stop.pickup.location.street in page and stop.pickup.location.access_notes in page
        else:
            assert f"Tip at {stop.disposal_site.name}" in page
        assert planned.arrival(stop) in page
    assert "Ana Reyes, 512-555-0101" in page and "7:00 AM\u20135:00 PM" in page
    assert "driver: Dan Driver" in page and "Driver's signature" in page
    assert "route-sheet.css" in page and "@media print" in (settings.BASE_DIR / "static/route-sheet.css").read_text()


@pytest.mark.parametrize("jobs", [4, 14])
def test_the_routes_page_queries_do_not_grow_with_the_stops(client, django_assert_max_num_queries, jobs):
    planned = planned_day(jobs=jobs, stops_per_shift=jobs)
    add_jobs(planned.hauler, planned.day, 2, start=jobs)  # not planned yet: listed apart
    client.force_login(planned.owner)
    with django_assert_max_num_queries(ROUTES_MAX_QUERIES):
        response = client.get(routes_url(planned))
    assert len(response.context["unroutable"]) == 2


def test_the_plan_on_the_page_is_the_domains(client, planned):
    client.force_login(planned.owner)
    response = client.get(routes_url(planned))
    plan = routes.day_plan(hauler=planned.hauler, day=planned.day)
    assert response.context["plan"] == plan
