"""Service locations through the API: list, add, read, change, archive."""

import pytest

from customers.models import ServiceLocation
from customers.services import archive_location
from tests import factories

URL = "/api/v1/locations/"
GOOD = {"name": "Main store", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"}


@pytest.mark.django_db
def test_a_business_lists_its_own_locations(api, location, other_customer):
    response = api.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    [only] = body["results"]
    assert only["id"] == location.pk
    assert only == {
        "id": location.pk,
        "name": location.name,
        "street": location.street,
        "city": "Austin",
        "state": "TX",
        "zip_code": "78701",
        "latitude": float(location.latitude),
        "longitude": float(location.longitude),
        "timezone": "America/Chicago",
        "access_notes": "",
        "archived": False,
        "archived_at": None,
        "created_at": only["created_at"],
    }


@pytest.mark.django_db
def test_archived_locations_are_listed_only_when_asked(api, customer, location):
    old = factories.LocationFactory(customer=customer, name="Old depot")
    archive_location(by=None, location=old)

    assert [row["id"] for row in api.get(URL).json()["results"]] == [location.pk]
    everything = api.get(URL, {"include_archived": "true"}).json()["results"]
    assert [(row["id"], row["archived"]) for row in everything] == [(location.pk, False), (old.pk, True)]


@pytest.mark.django_db
def test_a_bad_list_filter_is_a_field_error(api):
    response = api.get(URL, {"include_archived": "maybe"})
    assert response.status_code == 400
    assert list(response.json()) == ["include_archived"]


@pytest.mark.django_db
def test_locations_are_paginated(api, customer):
    factories.LocationFactory.create_batch(24, customer=customer)  # 25 with the fixture's

    first = api.get(URL).json()
    assert (first["count"], len(first["results"])) == (25, 20)
    second = api.get(first["next"]).json()
    assert (len(second["results"]), second["next"]) == (5, None)
    assert len(api.get(URL, {"page_size": 500}).json()["results"]) == 25  # capped at 100, all fit
    assert api.get(URL, {"page": 9}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
def test_the_list_costs_the_same_queries_whatever_the_page_size(
    api, customer, page_size, django_assert_max_num_queries
):
    factories.LocationFactory.create_batch(60, customer=customer)
    # token, membership, business, count, page
    with django_assert_max_num_queries(5):
        response = api.get(URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.django_db
def test_adding_a_location_fills_in_coordinates_and_timezone_from_the_zip(api, customer):
    response = api.post(URL, {**GOOD, "access_notes": "Gate code 1234"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["latitude"], body["longitude"], body["timezone"]) == (30.2713, -97.7426, "America/Chicago")
    saved = ServiceLocation.objects.get(pk=body["id"])
    assert (saved.customer, saved.name, saved.access_notes) == (customer, "Main store", "Gate code 1234")


@pytest.mark.django_db
def test_given_coordinates_and_timezone_are_kept_rounded_to_what_is_stored(api):
    response = api.post(
        URL, {**GOOD, "latitude": 30.26721234, "longitude": "-97.7431", "timezone": "US/Central"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["latitude"], response.json()["longitude"], response.json()["timezone"]) == (
        30.267212,
        -97.7431,
        "US/Central",
    )


@pytest.mark.django_db
def test_without_a_name_the_street_names_the_location(api):
    response = api.post(URL, {**GOOD, "name": ""}, format="json")
    assert response.json()["name"] == "600 Congress Ave"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"street": None}, "street", "required"),  # None: left out
        ({"street": ""}, "street", "may not be blank"),
        ({"city": "   "}, "city", "may not be blank"),
        ({"state": "XX"}, "state", "not a valid choice"),
        ({"state": 12}, "state", "not a valid choice"),
        ({"zip_code": "00000"}, "zip_code", "could not find ZIP code 00000"),
        ({"zip_code": "7870"}, "zip_code", "5-digit"),
        ({"zip_code": ["78701"]}, "zip_code", "Not a valid string"),
        ({"zip_code": "10001"}, "state", "10001 is in NY, not TX"),
        ({"latitude": 30.1}, "latitude", "both latitude and longitude"),
        ({"latitude": 95, "longitude": 10}, "latitude", "less than or equal to 90"),
        ({"latitude": "north", "longitude": 10}, "latitude", "valid number"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "IANA timezone"),
        ({"name": "x" * 121}, "name", "no more than 120"),
    ],
)
def test_bad_locations_get_field_errors_and_nothing_is_saved(api, customer, changes, field, message):
    body = {key: value for key, value in {**GOOD, **changes}.items() if value is not None}

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert customer.locations.count() == 1  # the fixture's


@pytest.mark.django_db
def test_missing_fields_are_all_named_at_once(api):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"street", "city", "state", "zip_code"}


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[GOOD], "a string", 42])
def test_a_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_415(api, customer):
    response = api.post(URL, GOOD)  # multipart form
    assert response.status_code == 415
    assert customer.locations.count() == 1


@pytest.mark.django_db
def test_a_location_is_read_by_id(api, location):
    response = api.get(f"{URL}{location.pk}/")
    assert (response.status_code, response.json()["id"]) == (200, location.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "patch"])
def test_another_business_location_is_404_never_403(api, other_customer, method):
    theirs = other_customer.locations.get()
    response = getattr(api, method)(f"{URL}{theirs.pk}/", {"name": "Mine now"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such location.", "code": "not_found"}
    assert ServiceLocation.objects.get(pk=theirs.pk).name == "Rival kitchen"


@pytest.mark.django_db
@pytest.mark.parametrize("location_id", [999_999, 2**70])
def test_an_unknown_location_is_404(api, location_id):
    assert api.get(f"{URL}{location_id}/").status_code == 404


@pytest.mark.django_db
def test_changing_the_zip_rederives_coordinates_and_timezone(api, location):
    response = api.patch(f"{URL}{location.pk}/", {"name": "East side", "zip_code": "78702"}, format="json")

    assert response.status_code == 200, response.json()
    location.refresh_from_db()
    assert (location.name, location.zip_code, response.json()["zip_code"]) == ("East side", "78702", "78702")
    assert float(location.latitude) == response.json()["latitude"] != 30.2713


@pytest.mark.django_db
def test_an_empty_change_changes_nothing(api, location):
    response = api.patch(f"{URL}{location.pk}/", {}, format="json")
    assert (response.status_code, response.json()["name"]) == (200, location.name)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"zip_code": "00000"}, "zip_code"),
        ({"zip_code": "10001"}, "state"),
        ({"street": ""}, "street"),
        ({"name": ""}, "name"),
        ({"archived": "perhaps"}, "archived"),
        ({"latitude": 30.1}, "latitude"),
        ({"customer": 1}, "customer"),
    ],
)
def test_bad_changes_get_field_errors_and_change_nothing(api, location, changes, field):
    before = ServiceLocation.objects.filter(pk=location.pk).values().get()

    response = api.patch(f"{URL}{location.pk}/", changes, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert ServiceLocation.objects.filter(pk=location.pk).values().get() == before


@pytest.mark.django_db
def test_a_change_that_is_not_json_is_415(api, location):
    response = api.patch(f"{URL}{location.pk}/", "name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


@pytest.mark.django_db
def test_archiving_hides_a_location_from_the_list_and_from_quotes(api, location, quote_body, in_area_hauler):
    response = api.patch(f"{URL}{location.pk}/", {"archived": True}, format="json")

    assert response.status_code == 200
    assert response.json()["archived"] is True and response.json()["archived_at"]
    assert api.get(URL).json()["count"] == 0
    refused = api.post("/api/v1/quotes/", quote_body(), format="json")
    assert refused.status_code == 400
    assert "archived" in refused.json()["location"][0]
    # archiving again is harmless; archived: false restores it
    assert api.patch(f"{URL}{location.pk}/", {"archived": True}, format="json").status_code == 200
    restore = api.patch(f"{URL}{location.pk}/", {"archived": False}, format="json")
    assert (restore.status_code, restore.json()["archived"]) == (200, False)
    assert api.get(URL).json()["count"] == 1
