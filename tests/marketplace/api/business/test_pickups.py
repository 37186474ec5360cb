"""Pickups through the API: book a quote, list and filter, read with history, cancel."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from marketplace import dispatch, scheduling
from marketplace.models import Pickup
from tests import factories
from tests.marketplace.api.conftest import in_days

URL = "/api/v1/pickups/"


@pytest.fixture
def quote(customer, make_quote):
    return make_quote(customer)


@pytest.fixture
def booked(api, quote):
    response = api.post(URL, {"quote": quote.pk}, format="json")
    assert response.status_code == 201, response.json()
    return Pickup.objects.get(pk=response.json()["id"])


# --- Booking --------------------------------------------------------------------------


@pytest.mark.django_db
def test_booking_a_quote_makes_a_pickup_at_the_quoted_price(api, customer_owner, location, quote):
    response = api.post(URL, {"quote": quote.pk}, format="json")

    assert response.status_code == 201
    pickup = Pickup.objects.get()
    assert (pickup.quote, pickup.price_cents, pickup.created_by) == (quote, quote.price_cents, customer_owner)
    assert response.json() == {
        "id": pickup.pk,
        "status": "requested",
        "service_date": in_days(3).isoformat(),
        "window_start": "07:00:00",
        "window_end": "17:00:00",
        "location": {
            "id": location.pk,
            "name": location.name,
            "address": f"{location.street}, Austin, TX 78701",
        },
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 1,
        "price_cents": 10_200,
        "currency": "usd",
        "cancellation_fee_cents": 0,
        "hauler": None,
        "created_at": response.json()["created_at"],
        "payment": {
            "status": "not_billed",
            "status_display": "Not billed yet",
            "amount_cents": None,
            "credit_cents": None,
            "charged_cents": None,
            "paid_at": None,
            "refunded_cents": 0,
            "payment": None,
            "invoice": None,
        },
        "history": [],
    }


@pytest.mark.django_db
def test_booking_the_same_quote_again_returns_the_same_pickup_with_200(api, quote, booked):
    again = api.post(URL, {"quote": quote.pk}, format="json")
    assert (again.status_code, again.json()["id"]) == (200, booked.pk)
    assert Pickup.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"quote": None}, {"quote": "first"}, {"quote": -1}, {"quote": 2**70}])
def test_a_bad_booking_is_a_field_error(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["quote"]


@pytest.mark.django_db
def test_another_business_quote_is_404(api, other_customer, make_quote):
    theirs = make_quote(other_customer)
    response = api.post(URL, {"quote": theirs.pk}, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such quote.", "code": "not_found"}
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_an_unknown_quote_is_404(api):
    assert api.post(URL, {"quote": 999_999}, format="json").status_code == 404


@pytest.mark.django_db
def test_an_expired_quote_is_409(api, quote):
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, seconds=1)):
        response = api.post(URL, {"quote": quote.pk}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "This quote has expired; ask for a new one.", "code": "conflict"}
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_a_booking_that_is_not_json_is_415(api, quote):
    response = api.post(URL, f"quote={quote.pk}", content_type="text/plain")
    assert response.status_code == 415
    assert not Pickup.objects.exists()


# --- Listing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_business_lists_only_its_own_pickups_soonest_first(api, customer, other_customer, make_pickups):
    later = make_pickups(customer=customer, days=9)
    sooner = make_pickups(customer=customer, days=2)
    make_pickups(customer=other_customer, days=1)

    body = api.get(URL).json()

    assert [row["id"] for row in body["results"]] == [sooner[0].pk, later[0].pk]
    assert body["next"] is None
    assert "history" not in body["results"][0]


@pytest.mark.django_db
def test_pickups_are_paginated_by_cursor_20_a_page_up_to_100(api, customer, make_pickups):
    made = make_pickups(customer=customer, count=60) + make_pickups(customer=customer, count=60)  # two a day

    first = api.get(URL).json()
    assert (len(first["results"]), first["previous"]) == (20, None)
    assert "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 20
    assert api.get(second["previous"]).json()["results"] == first["results"]
    seen, page = [], api.get(URL, {"page_size": 7}).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if page["next"] is None:
            break
        page = api.get(page["next"]).json()
    in_order = sorted(made, key=lambda pickup: (pickup.service_date, pickup.pk))
    assert seen == [pickup.pk for pickup in in_order]  # every one once, soonest first, ties by id
    assert len(api.get(URL, {"page_size": 1000}).json()["results"]) == 100
    assert api.get(URL, {"cursor": "not-a-cursor"}).status_code == 404


@pytest.fixture
def mixed(customer, make_pickups, in_area_hauler):
    """A requested pickup in 2 days, an offered one in 4, a scheduled one in 6 and a cancelled one in 8."""
    return {
        "requested": make_pickups(customer=customer, days=2)[0],
        "offered": make_pickups(customer=customer, days=4, status="offered")[0],
        "scheduled": make_pickups(customer=customer, days=6, status="scheduled", hauler=in_area_hauler)[0],
        "cancelled": make_pickups(customer=customer, days=8, status="cancelled")[0],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=scheduled", ["scheduled"]),
        ("status=scheduled&status=offered", ["offered", "scheduled"]),
        ("status=scheduled,offered", ["offered", "scheduled"]),
        ("status=scheduled,%20requested&status=offered", ["requested", "offered", "scheduled"]),
        ("status=", ["requested", "offered", "scheduled", "cancelled"]),
        ("status=missed", []),
        ("date_from={4}", ["offered", "scheduled", "cancelled"]),
        ("date_to={4}", ["requested", "offered"]),
        ("date_from={3}&date_to={7}", ["offered", "scheduled"]),
        ("date_from={6}&date_to={6}&status=scheduled,cancelled", ["scheduled"]),
    ],
)
def test_pickups_filter_by_status_and_date(api, mixed, query, expected):
    query = query.format(*(in_days(n).isoformat() for n in range(10)))
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [mixed[name].pk for name in expected]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=done", "status"),
        ("status=scheduled,done", "status"),
        ("date_from=yesterday", "date_from"),
        ("date_to=2026-13-01", "date_to"),
        ("date_from=2030-01-02&date_to=2030-01-01", "date_to"),
    ],
)
def test_a_bad_filter_is_a_field_error(api, query, field):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_list_costs_the_same_queries_whatever_the_page_size(
    api, customer, in_area_hauler, make_pickups, page_size, django_assert_max_num_queries
):
    make_pickups(customer=customer, count=30, status="scheduled", hauler=in_area_hauler)
    make_pickups(customer=customer, count=30, days=40)
    # the token (with its user, seat and business), the page (locations and haulers joined)
    with django_assert_max_num_queries(2):
        response = api.get(URL, {"page_size": page_size, "status": "scheduled,requested"})
    results = response.json()["results"]
    assert len(results) == page_size
    assert results[0]["hauler"] == "Downtown Disposal"


# --- One pickup -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pickup_shows_its_history_but_never_who_made_each_change(
    api,
    customer_owner,
    location,
    in_area_hauler,
    make_quote,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    staff = factories.UserFactory(email="dispatcher@haulmatch.example", is_staff=True)
    quote = make_quote(location.customer)
    with django_capture_on_commit_callbacks(execute=True):
        pickup_id = api.post(URL, {"quote": quote.pk}, format="json").json()["id"]
    pickup = Pickup.objects.get(pk=pickup_id)
    dispatch.assign_by_hand(pickup=pickup, hauler=factories.HaulerFactory(name="Hand Picked"), by=staff)

    # the token (with its user, seat and business), the pickup with its payment block, its history
    with django_assert_max_num_queries(3):
        response = api.get(f"{URL}{pickup_id}/")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["hauler"]) == ("scheduled", "Hand Picked")
    assert [(step["from"], step["to"], step["reason"]) for step in body["history"]] == [
        ("requested", "offered", "Offered to 1 hauler(s)"),
        ("offered", "scheduled", "Assigned to Hand Picked by staff"),
    ]
    assert all(set(step) == {"from", "to", "at", "reason"} for step in body["history"])
    assert staff.email not in json.dumps(body) and customer_owner.email not in json.dumps(body)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["detail", "cancel"])
def test_another_business_pickup_is_404_never_403(api, other_customer, make_pickups, action):
    theirs = make_pickups(customer=other_customer)[0]
    url = f"{URL}{theirs.pk}/" if action == "detail" else f"{URL}{theirs.pk}/cancel/"

    response = api.get(url) if action == "detail" else api.post(url)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such pickup.", "code": "not_found"}
    theirs.refresh_from_db()
    assert theirs.status == Pickup.Status.REQUESTED


@pytest.mark.django_db
@pytest.mark.parametrize("pickup_id", [999_999, 2**70])
def test_an_unknown_pickup_is_404(api, pickup_id):
    assert api.get(f"{URL}{pickup_id}/").status_code == 404
    assert api.post(f"{URL}{pickup_id}/cancel/").status_code == 404


# --- Cancelling -----------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_early_is_free_and_twice_is_409(api, booked):
    response = api.post(f"{URL}{booked.pk}/cancel/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancellation_fee_cents"]) == ("cancelled", 0)
    assert response.json()["history"][-1]["to"] == "cancelled"
    booked.refresh_from_db()
    assert booked.status == Pickup.Status.CANCELLED

    again = api.post(f"{URL}{booked.pk}/cancel/")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


@pytest.mark.django_db
def test_a_late_cancellation_of_a_scheduled_pickup_shows_its_fee(api, customer, make_quote, in_area_hauler):
    quote = make_quote(customer, days=1)
    pickup_id = api.post(URL, {"quote": quote.pk}, format="json").json()["id"]
    pickup = Pickup.objects.get(pk=pickup_id)
    dispatch.assign_by_hand(pickup=pickup, hauler=in_area_hauler, by=None)
    opens = scheduling.at_local(pickup.service_date, pickup.window_start, pickup.location.timezone)

    with time_machine.travel(opens - dt.timedelta(hours=5)):
        response = api.post(f"{URL}{pickup_id}/cancel/")

    assert response.status_code == 200
    assert (response.json()["cancellation_fee_cents"], response.json()["hauler"]) == (2_500, "Downtown Disposal")


@pytest.mark.django_db
def test_no_cancelling_once_the_window_has_opened(api, customer, make_quote):
    quote = make_quote(customer, days=1)
    pickup_id = api.post(URL, {"quote": quote.pk}, format="json").json()["id"]
    pickup = Pickup.objects.get(pk=pickup_id)
    opens = scheduling.at_local(pickup.service_date, pickup.window_start, pickup.location.timezone)

    with time_machine.travel(opens + dt.timedelta(minutes=1)):
        response = api.post(f"{URL}{pickup_id}/cancel/")

    assert response.status_code == 409
    assert "window has started" in response.json()["detail"]
