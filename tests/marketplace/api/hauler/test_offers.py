"""Offers through the hauler API: list and filter, accept (once, and only one hauler), decline and the cascade."""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from core.transitions import history
from marketplace.models import Offer, Pickup
from tests import factories
from tests.marketplace.api.conftest import client_for, in_days

URL = "/api/v1/hauler/offers/"


def accept(client, offer):
    return client.post(f"{URL}{offer.pk}/accept/")


def decline(client, offer, body=None):
    return client.post(f"{URL}{offer.pk}/decline/", body, format="json")


# --- Listing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_offer_shows_where_when_what_and_the_payout_but_never_who(hauler_api, hauler, customer, location, book):
    customer.contact_name, customer.contact_phone = "Maria Lopez", "512-555-0199"
    customer.save()
    location.access_notes = "Gate code 4321"
    location.save()
    pickup = book()
    offer = pickup.offers.get()

    response = hauler_api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (len(body["results"]), body["next"], body["previous"]) == (1, None, None)
    assert body["results"] == [
        {
            "id": offer.pk,
            "status": "pending",
            "pickup": pickup.pk,
            "service_date": in_days(3).isoformat(),
            "window_start": "07:00:00",
            "window_end": "17:00:00",
            "zip_code": "78701",
            "city": "Austin",
            "state": "TX",
            "waste_stream": "trash",
            "container": "dumpster_4yd",
            "quantity": 1,
            "payout_cents": 8_500,
            "currency": "usd",
            "answer_by": body["results"][0]["answer_by"],
            "created_at": body["results"][0]["created_at"],
        }
    ]
    text = json.dumps(body)
    for secret in (customer.name, location.name, location.street, "Congress", "4321", "Maria", "555-0199"):
        assert secret not in text


@pytest.mark.django_db
def test_a_hauler_sees_only_its_own_pending_offers_soonest_answer_first(hauler_api, hauler, rival, make_offers):
    later = make_offers(hauler=hauler)[0]
    sooner = make_offers(hauler=hauler)[0]
    Offer.objects.filter(pk=sooner.pk).update(answer_by=timezone.now() + dt.timedelta(minutes=30))
    make_offers(hauler=hauler, status=Offer.Status.DECLINED)
    make_offers(hauler=rival)

    body = hauler_api.get(URL).json()

    assert [row["id"] for row in body["results"]] == [sooner.pk, later.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["pending"]),
        ("status=", ["pending"]),
        ("status=declined", ["declined"]),
        ("status=accepted,declined", ["accepted", "declined"]),
        ("status=accepted&status=pending", ["pending", "accepted"]),
        ("status=expired", []),
    ],
)
def test_offers_filter_by_status(hauler_api, hauler, make_offers, query, expected):
    made = {
        status: make_offers(hauler=hauler, status=status)[0]
        for status in (Offer.Status.PENDING, Offer.Status.ACCEPTED, Offer.Status.DECLINED)
    }
    response = hauler_api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [made[status].pk for status in expected]


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["status=maybe", "status=pending,maybe", "status=scheduled"])
def test_a_bad_offer_filter_is_a_field_error(hauler_api, query):
    response = hauler_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    assert isinstance(response.json()["status"][0], str)


@pytest.mark.django_db
def test_offers_are_paginated_like_the_business_lists(hauler_api, hauler, make_offers):
    make_offers(hauler=hauler, count=25)
    first = hauler_api.get(URL).json()
    assert (len(first["results"]), first["previous"]) == (20, None)
    second = hauler_api.get(first["next"]).json()
    assert (len(second["results"]), second["next"]) == (5, None)
    assert {row["id"] for row in first["results"] + second["results"]} == set(
        Offer.objects.values_list("pk", flat=True)
    )
    assert len(hauler_api.get(URL, {"page_size": 7}).json()["results"]) == 7
    assert hauler_api.get(URL, {"cursor": "9"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_offer_list_costs_the_same_queries_whatever_the_page_size(
    hauler_api, hauler, make_offers, page_size, django_assert_max_num_queries
):
    make_offers(hauler=hauler, count=60)
    # token, membership, hauler, page (pickups and locations joined)
    with django_assert_max_num_queries(5):
        response = hauler_api.get(URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


# --- Accepting ------------------------------------------------------------------------


@pytest.mark.django_db
def test_accepting_makes_it_your_job_with_the_customer_details_and_twice_is_409(
    hauler_api, hauler, hauler_owner, customer, location, book
):
    pickup = book()
    offer = pickup.offers.get()

    response = accept(hauler_api, offer)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["id"], body["status"], body["business"]) == (pickup.pk, "scheduled", customer.name)
    assert body["location"]["street"] == location.street
    assert body["proof"] is None
    pickup.refresh_from_db()
    offer.refresh_from_db()
    assert (pickup.status, pickup.hauler, offer.status) == (Pickup.Status.SCHEDULED, hauler, Offer.Status.ACCEPTED)
    assert history(pickup).last().by == hauler_owner

    again = accept(hauler_api, offer)
    assert again.status_code == 409
    assert again.json() == {"detail": "This offer is no longer open (it is accepted).", "code": "conflict"}


@pytest.mark.django_db
def test_of_two_haulers_offered_one_pickup_the_second_to_accept_gets_409(
    settings, hauler_api, rival_api, hauler, rival, book
):
    settings.OFFER_FANOUT = 2
    pickup = book()
    ours, theirs = pickup.offers.get(hauler=hauler), pickup.offers.get(hauler=rival)

    assert accept(rival_api, theirs).status_code == 200
    late = accept(hauler_api, ours)

    assert late.status_code == 409
    assert late.json()["code"] == "conflict"
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler) == (Pickup.Status.SCHEDULED, rival)
    assert hauler_api.get(f"/api/v1/hauler/jobs/{pickup.pk}/").status_code == 404


@pytest.mark.django_db
def test_an_offer_past_its_answer_by_time_is_409(hauler_api, book):
    offer = book().offers.get()
    with time_machine.travel(offer.answer_by + dt.timedelta(seconds=1)):
        response = accept(hauler_api, offer)
    assert response.status_code == 409
    assert response.json() == {"detail": "This offer has expired.", "code": "conflict"}


@pytest.mark.django_db
@pytest.mark.parametrize("action", [accept, decline])
def test_another_haulers_offer_is_404_and_stays_pending(rival_api, book, action):
    offer = book().offers.get()  # to Downtown Disposal, not to the rival
    response = action(rival_api, offer)
    assert response.status_code == 404
    assert response.json() == {"detail": "No such offer.", "code": "not_found"}
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("offer_id", [999_999, 2**70])
@pytest.mark.parametrize("action", ["accept", "decline"])
def test_an_unknown_offer_is_404(hauler_api, offer_id, action):
    assert hauler_api.post(f"{URL}{offer_id}/{action}/", {}, format="json").status_code == 404


# --- Declining ------------------------------------------------------------------------


@pytest.mark.django_db
def test_declining_moves_the_cascade_on_to_the_next_hauler(
    hauler_api, hauler, rival, book, django_capture_on_commit_callbacks
):
    pickup = book()
    offer = pickup.offers.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = decline(hauler_api, offer, {"reason": "  Truck in the shop "})

    assert response.status_code == 200, response.json()
    assert (response.json()["id"], response.json()["status"]) == (offer.pk, "declined")
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (Offer.Status.DECLINED, "Truck in the shop")
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED
    assert list(pickup.offers.filter(status="pending").values_list("hauler", flat=True)) == [rival.pk]
    assert hauler_api.get(URL).json()["results"] == []
    assert [row["id"] for row in hauler_api.get(URL, {"status": "declined"}).json()["results"]] == [offer.pk]


@pytest.mark.django_db
def test_declining_needs_no_body(hauler_api, book):
    offer = book().offers.get()
    response = hauler_api.post(f"{URL}{offer.pk}/decline/")
    assert response.status_code == 200, response.json()
    offer.refresh_from_db()
    assert (offer.status, offer.decline_reason) == (Offer.Status.DECLINED, "")


@pytest.mark.django_db
def test_declining_twice_or_after_accepting_is_409(hauler_api, book):
    offer = book().offers.get()
    assert decline(hauler_api, offer).status_code == 200
    assert decline(hauler_api, offer).status_code == 409
    assert accept(hauler_api, offer).status_code == 409

    taken = book().offers.get()
    assert accept(hauler_api, taken).status_code == 200
    response = decline(hauler_api, taken)
    assert response.status_code == 409
    assert response.json()["detail"] == "This offer is no longer open (it is accepted)."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [{"reason": {"why": "busy"}}, {"reason": ["busy"]}, {"reason": "x" * 301}, {"reason": None}]
)
def test_a_bad_decline_reason_is_a_field_error(hauler_api, book, body):
    offer = book().offers.get()
    response = decline(hauler_api, offer, body)
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


@pytest.mark.django_db
def test_a_decline_that_is_not_json_is_415(hauler_api, book):
    offer = book().offers.get()
    response = hauler_api.post(f"{URL}{offer.pk}/decline/", "reason=busy", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


@pytest.mark.django_db
def test_a_dispatcher_answers_the_haulers_offers_and_a_driver_cannot(hauler, book):
    offer = book().offers.get()
    driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver").user
    refused = accept(client_for(driver), offer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "Only an owner or a dispatcher" in refused.json()["detail"]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING
    dispatcher = factories.HaulerMembershipFactory(hauler=hauler, role="dispatcher").user
    assert accept(client_for(dispatcher), offer).status_code == 200
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
