"""A hauler's day through the API: each truck's route in order with its tipping trips, the jobs no truck can take,
and a job moved to a truck of the dispatcher's choice."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace import routes
from marketplace.models import DayPlan, Pickup, Route, RouteStop
from tests import factories
from tests.marketplace.api.conftest import in_days
from tests.marketplace.api.test_schema import assert_matches_schema

URL = "/api/v1/hauler/routes/"
MOVE = "/api/v1/hauler/routes/move/"
AUSTIN = ZoneInfo("America/Chicago")
DAY = in_days(3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AUSTIN)


@pytest.fixture
def jobs_on(hauler, location):
    """`count` scheduled jobs for the hauler on one day, at the customer's location."""

    def make(count: int, *, day: dt.date = DAY, container: str = "dumpster_4yd", **fields) -> list[Pickup]:
        return factories.PickupFactory.create_batch(
            count, hauler=hauler, location=location, service_date=day, container=container, **fields
        )

    return make


def stop_at(route: Route, sequence: int, clock: dt.datetime, *, minutes: int = 4, **visit) -> RouteStop:
    kind = "pickup" if "pickup" in visit else "tip"
    leaves = clock + dt.timedelta(minutes=minutes)
    return RouteStop(
        route=route, sequence=sequence, kind=kind, arrives_at=clock, departs_at=leaves, load_after=0, **visit
    )


@pytest.fixture
def planned_day(hauler, jobs_on):
    """A planned day as the router would save it: the jobs split over two trucks, a tipping trip on the first."""

    def make(stops: int, *, unroutable: int = 0) -> DayPlan:
        jobs, left_out = jobs_on(stops), jobs_on(unroutable)
        site = factories.DisposalSiteFactory(hauler=hauler, name="Hornsby Bend")
        first = hauler.trucks.get(name="Front-load 1")
        second = hauler.trucks.filter(name="Front-load 2").first() or factories.TruckFactory(
            hauler=hauler, name="Front-load 2"
        )
        plan = DayPlan.objects.create(
            hauler=hauler,
            day=DAY,
            planned_at=at(5),
            unroutable={str(job.pk): "No truck has room for it in its window." for job in left_out},
        )
        halves = {first: jobs[: (stops + 1) // 2], second: jobs[(stops + 1) // 2 :]}
        for truck, mine in halves.items():
            route = Route.objects.create(plan=plan, truck=truck, starts_at=at(6), ends_at=at(15), distance_m=42_345)
            rows, clock = [], at(6, 30)
            for job in mine:
                rows.append(stop_at(route, len(rows), clock, pickup=job))
                clock += dt.timedelta(minutes=20)
                if truck == first and len(rows) == 1:
                    rows.append(stop_at(route, 1, clock, disposal_site=site, minutes=15))
                    clock += dt.timedelta(minutes=30)
            RouteStop.objects.bulk_create(rows)
        return plan

    return make


# --- Reading a day --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_day_shows_each_trucks_stops_in_order_with_its_tipping_trips(
    hauler_api, location, customer, planned_day, openapi
):
    plan = planned_day(2, unroutable=1)
    first = plan.routes.get(truck__name="Front-load 1")
    job = first.stops.get(sequence=0).pickup
    site = first.stops.get(sequence=1).disposal_site
    left_out = Pickup.objects.exclude(route_stops__isnull=False).get()

    response = hauler_api.get(URL, {"day": DAY.isoformat()})

    assert response.status_code == 200, response.json()
    assert_matches_schema(openapi, response.json(), path=URL, method="get", status=200)
    body = response.json()
    assert (body["day"], dt.datetime.fromisoformat(body["planned_at"])) == (DAY.isoformat(), at(5))
    assert [route["truck"]["name"] for route in body["routes"]] == ["Front-load 1", "Front-load 2"]
    route = body["routes"][0]
    assert route["truck"] == {"id": first.truck_id, "name": "Front-load 1"}
    assert (dt.datetime.fromisoformat(route["starts_at"]), dt.datetime.fromisoformat(route["ends_at"])) == (
        at(6),
        at(15),
    )
    assert route["distance_km"] == 42.3
    assert [(stop["sequence"], stop["kind"]) for stop in route["stops"]] == [(0, "pickup"), (1, "tip")]
    pickup, tip = route["stops"]
    assert dt.datetime.fromisoformat(pickup["arrives_at"]) == at(6, 30)
    assert dt.datetime.fromisoformat(pickup["departs_at"]) == at(6, 34)
    assert pickup["disposal_site"] is None
    assert pickup["job"] == {
        "id": job.pk,
        "status": "scheduled",
        "business": customer.name,
        "location": {
            "name": location.name,
            "street": location.street,
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
            "latitude": float(location.latitude),
            "longitude": float(location.longitude),
            "timezone": "America/Chicago",
            "access_notes": "",
        },
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 1,
        "window_start": "07:00:00",
        "window_end": "17:00:00",
    }
    assert (tip["job"], tip["disposal_site"]) == (None, {"id": site.pk, "name": "Hornsby Bend"})
    assert [stop["kind"] for stop in body["routes"][1]["stops"]] == ["pickup"]
    assert body["unroutable"] == [{"job": left_out.pk, "reason": "No truck has room for it in its window."}]


@pytest.mark.django_db
@pytest.mark.parametrize("stops", [3, 15])
def test_a_day_is_a_constant_number_of_queries(hauler_api, planned_day, stops, django_assert_max_num_queries):
    planned_day(stops, unroutable=2)
    # token, membership, hauler; the plan, routes, trucks, stops, pickups, locations, customers, sites; unroutable
    with django_assert_max_num_queries(12):
        body = hauler_api.get(URL, {"day": DAY.isoformat()}).json()
    assert sum(len(route["stops"]) for route in body["routes"]) == stops + 1  # and the tipping trip
    assert len(body["unroutable"]) == 2


@pytest.mark.django_db
def test_three_stops_and_fifteen_cost_the_same_queries(hauler_api, hauler, planned_day):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert hauler_api.get(URL, {"day": DAY.isoformat()}).status_code == 200
        return len(captured)

    planned_day(3)
    few = queries()
    DayPlan.objects.all().delete()
    planned_day(15)
    assert queries() == few


@pytest.mark.django_db
def test_a_day_not_planned_yet_lists_its_jobs_as_waiting(hauler_api, jobs_on, openapi):
    jobs = jobs_on(2, window_start=dt.time(11), window_end=dt.time(15))
    early = jobs_on(1, window_start=dt.time(7), window_end=dt.time(11))
    jobs_on(1, status=Pickup.Status.CANCELLED)

    response = hauler_api.get(URL, {"day": DAY.isoformat()})

    assert_matches_schema(openapi, response.json(), path=URL, method="get", status=200)
    waiting = "Not planned yet: the route is being worked out."
    assert response.json() == {
        "day": DAY.isoformat(),
        "planned_at": None,
        "routes": [],
        "unroutable": [{"job": job.pk, "reason": waiting} for job in [*early, *jobs]],  # by window
    }


@pytest.mark.django_db
def test_the_day_defaults_to_today_at_the_depot(hauler_api):
    # 03:00 UTC on the 10th is still the evening of the 9th in Austin.
    with time_machine.travel(dt.datetime(2030, 1, 10, 3, 0, tzinfo=dt.UTC), tick=False):
        body = hauler_api.get(URL).json()
    assert body["day"] == "2030-01-09"


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["tomorrow", "2030-02-30", "09/01/2030"])
def test_a_bad_day_is_a_400(hauler_api, day, openapi):
    response = hauler_api.get(URL, {"day": day})
    assert response.status_code == 400
    assert list(response.json()) == ["day"]
    assert_matches_schema(openapi, response.json(), path=URL, method="get", status=400)


@pytest.mark.django_db
def test_another_haulers_day_shows_nothing_of_yours(rival_api, planned_day):
    planned_day(3, unroutable=1)
    body = rival_api.get(URL, {"day": DAY.isoformat()}).json()
    assert (body["routes"], body["unroutable"], body["planned_at"]) == ([], [], None)


@pytest.mark.django_db
def test_a_day_planned_by_the_router_routes_every_job_or_says_why_not(hauler_api, hauler, jobs_on, openapi):
    jobs = jobs_on(4, container="cart_96gal") + jobs_on(1, container="rolloff_20yd")
    hauler.trucks.filter(name="Roll-off 1").update(active=False)  # nothing left to carry the box
    routes.plan_day(hauler_id=hauler.pk, day=DAY)

    response = hauler_api.get(URL, {"day": DAY.isoformat()})

    assert_matches_schema(openapi, response.json(), path=URL, method="get", status=200)
    body = response.json()
    assert body["planned_at"] is not None
    routed = [stop["job"]["id"] for route in body["routes"] for stop in route["stops"] if stop["kind"] == "pickup"]
    unroutable = [row["job"] for row in body["unroutable"]]
    assert sorted(routed + unroutable) == sorted(job.pk for job in jobs)
    assert jobs[-1].pk in unroutable
    for route in body["routes"]:
        assert [stop["sequence"] for stop in route["stops"]] == list(range(len(route["stops"])))
        assert all(stop["arrives_at"] <= stop["departs_at"] for stop in route["stops"])


# --- Moving a job ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_is_put_on_a_truck_and_the_day_is_replanned(
    hauler_api, hauler, jobs_on, openapi, django_capture_on_commit_callbacks
):
    job = jobs_on(1)[0]
    spare = factories.TruckFactory(hauler=hauler, name="Front-load 2")
    with django_capture_on_commit_callbacks() as replans:
        response = hauler_api.post(MOVE, {"job": job.pk, "truck": spare.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert_matches_schema(openapi, response.json(), path=MOVE, method="post", status=200)
    assert (response.json()["id"], response.json()["truck"]) == (job.pk, spare.pk)
    job.refresh_from_db()
    assert job.truck == spare
    assert replans  # the day's re-plan, queued for after the commit

    unpinned = hauler_api.post(MOVE, {"job": job.pk, "truck": None}, format="json")
    assert (unpinned.status_code, unpinned.json()["truck"]) == (200, None)
    job.refresh_from_db()
    assert job.truck is None
    assert hauler_api.get(f"/api/v1/hauler/jobs/{job.pk}/").json()["truck"] is None


@pytest.mark.django_db
def test_a_completed_job_cannot_move(hauler_api, hauler, jobs_on, openapi):
    job = jobs_on(1, status=Pickup.Status.COMPLETED, completed_at=timezone.now())[0]
    response = hauler_api.post(MOVE, {"job": job.pk, "truck": hauler.trucks.first().pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert_matches_schema(openapi, response.json(), path=MOVE, method="post", status=409)
    job.refresh_from_db()
    assert job.truck is None


@pytest.mark.django_db
def test_another_haulers_job_is_404(rival_api, rival, jobs_on, openapi):
    job = jobs_on(1)[0]
    response = rival_api.post(MOVE, {"job": job.pk, "truck": rival.trucks.first().pk}, format="json")
    assert response.status_code == 404
    assert_matches_schema(openapi, response.json(), path=MOVE, method="post", status=404)
    job.refresh_from_db()
    assert job.truck is None


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["roll-off", "retired", "rival's", "unknown"])
def test_a_truck_that_cannot_serve_the_job_is_a_400(hauler_api, hauler, rival, jobs_on, openapi, which):
    job = jobs_on(1)[0]
    retired = factories.TruckFactory(hauler=hauler, name="Old 7", active=False)
    truck_id = {
        "roll-off": hauler.trucks.get(name="Roll-off 1").pk,
        "retired": retired.pk,
        "rival's": rival.trucks.get(name="Front-load 1").pk,
        "unknown": 999_999,
    }[which]
    response = hauler_api.post(MOVE, {"job": job.pk, "truck": truck_id}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["truck"]
    assert_matches_schema(openapi, response.json(), path=MOVE, method="post", status=400)
    job.refresh_from_db()
    assert job.truck is None


@pytest.mark.django_db
def test_the_roll_off_refusal_says_why(hauler_api, hauler, jobs_on):
    job = jobs_on(1)[0]
    response = hauler_api.post(MOVE, {"job": job.pk, "truck": hauler.trucks.get(name="Roll-off 1").pk}, format="json")
    assert response.json() == {"truck": ["Roll-off 1 cannot serve a 4-yard dumpster."]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"job", "truck"}),
        ({"job": 1}, {"truck"}),
        ({"job": "first", "truck": None}, {"job"}),
        ({"job": None, "truck": None}, {"job"}),
        ({"job": 2**70, "truck": None}, {"job"}),
        ({"job": 1, "truck": "big one"}, {"truck"}),
        ({"job": 1, "truck": [1]}, {"truck"}),
    ],
)
def test_a_bad_move_is_a_field_error(hauler_api, body, fields):
    response = hauler_api.post(MOVE, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields


@pytest.mark.django_db
def test_an_unknown_job_is_404_and_a_form_is_415(hauler_api, jobs_on):
    assert hauler_api.post(MOVE, {"job": 999_999, "truck": None}, format="json").status_code == 404
    assert hauler_api.post(MOVE, {"job": jobs_on(1)[0].pk, "truck": ""}).status_code == 415
