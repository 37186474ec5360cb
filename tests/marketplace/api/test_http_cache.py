"""HTTP caching: the app's answers are private and revalidated by ETag; a 304 only for the same content to the
same reader; the schema, the same for everyone, may be kept a few minutes."""

import pytest
from django.test import Client

from marketplace.models import Pickup
from tests.marketplace.api.conftest import client_for

PICKUPS = "/api/v1/pickups/"


@pytest.fixture
def booked(api, customer, make_quote):
    response = api.post(PICKUPS, {"quote": make_quote(customer).pk}, format="json")
    assert response.status_code == 201, response.json()
    return Pickup.objects.get(pk=response.json()["id"])


def directives(response) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}


@pytest.mark.django_db
def test_a_pickup_is_private_and_an_unchanged_one_is_an_empty_304(api, booked):
    first = api.get(f"{PICKUPS}{booked.pk}/")

    assert first.status_code == 200
    assert directives(first) == {"private", "no-cache"}
    assert "Authorization" in first["Vary"]
    again = api.get(f"{PICKUPS}{booked.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], directives(again)) == (first["ETag"], {"private", "no-cache"})


@pytest.mark.django_db
def test_a_changed_pickup_is_sent_again_under_a_new_etag(api, booked):
    first = api.get(f"{PICKUPS}{booked.pk}/")
    assert api.post(f"{PICKUPS}{booked.pk}/cancel/").status_code == 200

    after = api.get(f"{PICKUPS}{booked.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after.json()["status"] == "cancelled"
    assert after["ETag"] != first["ETag"]


@pytest.mark.django_db
def test_another_business_never_gets_a_304_for_a_pickup_it_cannot_see(api, booked, other_customer):
    etag = api.get(f"{PICKUPS}{booked.pk}/")["ETag"]
    stranger = client_for(other_customer.memberships.get().user)

    answer = stranger.get(f"{PICKUPS}{booked.pk}/", HTTP_IF_NONE_MATCH=etag)

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"


@pytest.mark.django_db
def test_pages_are_private_too():
    page = Client().get("/")

    assert page.status_code == 200
    assert directives(page) == {"private", "no-cache"}
    assert page.has_header("ETag")


@pytest.mark.django_db
def test_the_schema_is_public_for_a_few_minutes_and_revalidates(anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert schema.status_code == 200
    assert directives(schema) == {"public", "max-age=300"}
    again = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=schema["ETag"])
    assert again.status_code == 304
