"""The driver's day: the assigned truck's next stop first, the route in order, closing jobs from the cab."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace import routes, scheduling
from marketplace.models import Pickup, ServiceProof
from tests import factories
from tests.marketplace.web.hauler.route_days import AUSTIN, PNG, planned_day

pytestmark = pytest.mark.django_db
# The session, the user, the hauler seat and its hauler, the plan (its routes, trucks, stops, pickups, their
# locations and customers, the disposal sites once a tip is planned), the driver's assignment (an owner: the
# trucks), the unroutable jobs, and the nav's business-seat check. The same for 4 stops or 14.
DAY_MAX_QUERIES = 15


@pytest.fixture
def planned():
    return planned_day()


def day_url(planned, **extra) -> str:
    query = "&".join(f"{key}={value}" for key, value in {"day": planned.day.isoformat(), **extra}.items())
    return f"{reverse('hauler_day')}?{query}"


def in_the_window(planned):
    """9:30 AM in Austin on the planned day: inside every job's 7 AM to 5 PM window."""
    return time_machine.travel(dt.datetime.combine(planned.day, dt.time(9, 30), tzinfo=AUSTIN), tick=False)


def photo():
    return SimpleUploadedFile("bin.png", PNG, content_type="image/png")


def test_the_driver_sees_the_next_stop_of_their_truck_first(client, planned):
    client.force_login(planned.driver)
    response = client.get(day_url(planned))

    assert response.status_code == 200
    page = response.content.decode()
    stops = planned.route_of(planned.trucks[0])
    first = next(stop for stop in stops if stop.pickup_id)
    place = first.pickup.location
    assert response.context["current"]["job"] == first.pickup
    assert "Next stop · 1 of" in page
    assert f'<h2 id="next-heading">{place.street}</h2>' in page
    assert place.access_notes in page
    assert "2 \u00d7 4-yard dumpster, trash" in page
    assert f'<dd class="big">{planned.arrival(first)}</dd>' in page
    assert '<dd class="big">7:00 AM\u20135:00 PM</dd>' in page  # written as the planned arrival above it is
    assert 'href="tel:512-555-0101">Call</a>' in page
    assert f"destination={place.latitude}%2C{place.longitude}" in page
    assert "Complete stop 1" in page and "Could not service" in page
    # The rest of the route, in order, tipping trips by their site; nothing of the other truck.
    listed = [row["stop"] for row in response.context["rows"]]
    assert listed == stops
    for other in planned.pickups_of(planned.trucks[1]):
        assert other.location.street not in page
    if any(stop.disposal_site_id for stop in stops):
        assert "Tip at Eastside Landfill" in page
    # The map's data is the same route, depot first.
    assert 'data-route-map="route-map-data"' in page and 'id="route-map-data"' in page
    assert [stop["position"] for stop in response.context["map"]["routes"][0]["stops"]] == [
        [float(s.pickup.location.latitude if s.pickup_id else s.disposal_site.latitude),
         float(s.pickup.location.longitude if s.pickup_id else s.disposal_site.longitude)]
        for s in stops
    ]  # fmt: skip


def test_a_driver_with_no_truck_that_day_is_told_so(client, planned):
    client.force_login(factories.HaulerMembershipFactory(hauler=planned.hauler, role="driver").user)
    page = client.get(day_url(planned)).content.decode()
    assert "You are not assigned to a truck on" in page
    assert "Next stop" not in page


def test_a_member_sees_only_their_own_truck_whatever_they_ask(client, planned):
    client.force_login(planned.driver)
    response = client.get(day_url(planned, truck=planned.trucks[1].pk))
    assert response.context["truck"] == planned.trucks[0]
    assert response.context["choices"] == []


def test_an_owner_picks_the_truck(client, planned):
    client.force_login(planned.owner)
    response = client.get(day_url(planned))
    page = response.content.decode()
    assert response.context["truck"] == planned.trucks[0]  # the first truck with a route
    assert 'aria-label="Trucks"' in page and "Truck 2</a>" in page

    response = client.get(day_url(planned, truck=planned.trucks[1].pk))
    assert response.context["truck"] == planned.trucks[1]
    first = planned.pickups_of(planned.trucks[1])[0]
    assert f'<h2 id="next-heading">{first.location.street}</h2>' in response.content.decode()


def test_today_is_the_default_day_in_the_haulers_zone(client, planned):
    client.force_login(planned.driver)
    response = client.get(reverse("hauler_day"))
    assert response.context["day"] == scheduling.local_today("America/Chicago")
    assert client.get(reverse("hauler_day") + "?day=not-a-day").context["day"] == response.context["day"]


def test_completing_the_next_stop_shows_the_one_after(client, planned):
    client.force_login(planned.driver)
    first, second = planned.pickups_of(planned.trucks[0])[:2]
    form = {"photo": photo(), "weight": "180", "weight_unit": "lb", "day": planned.day.isoformat()}

    with in_the_window(planned):  # within the window completing is one tap: no reason asked
        response = client.post(reverse("hauler_day_complete", args=[first.pk]), form)

    assert response["Location"] == f"{reverse('hauler_day')}?day={planned.day.isoformat()}"
    first.refresh_from_db()
    assert first.status == Pickup.Status.COMPLETED and first.proof.weight_kg is not None
    after = client.get(response["Location"])
    page = after.content.decode()
    assert f"Done: {first.location.street}. Proof of service recorded." in page
    assert after.context["current"]["job"] == second
    assert f'<h2 id="next-heading">{second.location.street}</h2>' in page
    assert "1 of" in page and "stops done" in page
    done_row = next(row for row in after.context["rows"] if row.get("job") == first)
    assert done_row["done"] and '<li class="stop pickup done">' in page


def test_a_repeated_complete_is_done_once(client, planned):
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]
    url = reverse("hauler_day_complete", args=[first.pk])
    with in_the_window(planned):
        client.post(url, {"photo": photo(), "weight_unit": "lb", "day": planned.day.isoformat()})
        again = client.post(url, {"photo": photo(), "weight_unit": "lb", "day": planned.day.isoformat()}, follow=True)

    assert again.status_code == 200
    assert f"{first.location.street}: already recorded as completed." in again.content.decode()
    assert ServiceProof.objects.filter(pickup=first).count() == 1


def test_completing_without_a_photo_is_refused_on_the_day_page(client, planned):
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]
    response = client.post(
        reverse("hauler_day_complete", args=[first.pk]), {"weight": "-3", "weight_unit": "lb", "day": planned.day}
    )
    assert response.status_code == 400
    errors = response.context["complete_form"].errors
    assert errors["photo"] == ["This field is required."]
    assert "Ensure this value is greater than or equal to 0." in errors["weight"][0]
    assert "This field is required." in response.content.decode()
    first.refresh_from_db()
    assert first.status == Pickup.Status.SCHEDULED and not ServiceProof.objects.exists()


def test_could_not_service_once_the_window_has_started(client, planned):
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]
    url = reverse("hauler_day_exception", args=[first.pk])
    form = {"reason": "blocked", "notes": "A van parked in front.", "day": planned.day.isoformat()}

    early = client.post(url, form, follow=True)
    assert "only once its window has started" in early.content.decode()
    first.refresh_from_db()
    assert first.status == Pickup.Status.SCHEDULED

    with time_machine.travel(dt.datetime.combine(planned.day, dt.time(9, 30), tzinfo=AUSTIN), tick=False):
        assert client.post(url, {"day": planned.day.isoformat()}).status_code == 400
        response = client.post(url, form)
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.exception_reason) == (Pickup.Status.MISSED, "blocked")


def test_another_haulers_job_cannot_be_closed_from_here(client, planned):
    other = factories.PickupFactory(service_date=planned.day)
    client.force_login(planned.driver)
    response = client.post(reverse("hauler_day_complete", args=[other.pk]), {"photo": photo(), "weight_unit": "lb"})
    assert response.status_code == 404
    assert client.post(reverse("hauler_day_exception", args=[other.pk]), {"reason": "blocked"}).status_code == 404
    other.refresh_from_db()
    assert other.status == Pickup.Status.SCHEDULED


def test_the_day_is_for_the_haulers_people(client, planned, customer_owner):
    assert client.get(day_url(planned))["Location"].startswith(reverse("account_login"))
    client.force_login(customer_owner)
    assert client.get(day_url(planned)).status_code == 403


def test_jobs_no_truck_can_take_are_listed_with_the_reason(client, planned):
    job = factories.PickupFactory(
        location=factories.LocationFactory(street="9 Roll-off Rd"), hauler=planned.hauler,
        service_date=planned.day, container="rolloff_30yd",
    )  # fmt: skip
    routes.plan_day(hauler_id=planned.hauler.pk, day=planned.day)
    client.force_login(planned.driver)
    response = client.get(day_url(planned))
    page = response.content.decode()
    assert "Not on any route (1)" in page and "9 Roll-off Rd" in page
    [row] = response.context["unroutable"]
    assert row["job"] == job and row["reason"] in page and row["reason"]


@pytest.mark.parametrize("jobs", [4, 14])
def test_the_day_page_queries_do_not_grow_with_the_stops(client, django_assert_max_num_queries, jobs):
    planned = planned_day(jobs=jobs, stops_per_shift=jobs)
    client.force_login(planned.driver)
    with django_assert_max_num_queries(DAY_MAX_QUERIES):
        response = client.get(day_url(planned))
    assert len([row for row in response.context["rows"] if row["kind"] == "pickup"]) >= 1
    client.force_login(planned.owner)
    with django_assert_max_num_queries(DAY_MAX_QUERIES):
        client.get(day_url(planned))


def test_the_map_uses_the_tile_server_when_one_is_set(client, planned, settings):
    client.force_login(planned.driver)
    assert 'data-tiles=""' in client.get(day_url(planned)).content.decode()  # none: a plain background
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "&copy; OpenStreetMap contributors"
    page = client.get(day_url(planned)).content.decode()
    assert 'data-tiles="https://tiles.example.com/{z}/{x}/{y}.png"' in page
    assert 'data-attribution="&amp;copy; OpenStreetMap contributors"' in page
