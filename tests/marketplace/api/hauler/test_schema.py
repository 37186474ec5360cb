"""The hauler API is in the OpenAPI schema, errors and the multipart upload included, and its responses match it."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests import factories
from tests.factories import in_window
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_schema import assert_matches_schema

OFFERS = "/api/v1/hauler/offers/"
JOBS = "/api/v1/hauler/jobs/"


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.django_db
def test_the_schema_documents_every_hauler_endpoint_and_its_errors(openapi):
    validate_schema(openapi)
    paths = openapi["paths"]
    expected = {
        ("/api/v1/hauler/offers/", "get"): {"200", "400", "401", "403", "404"},
        ("/api/v1/hauler/offers/{id}/accept/", "post"): {"200", "401", "403", "404", "409"},
        ("/api/v1/hauler/offers/{id}/decline/", "post"): {"200", "400", "401", "403", "404", "409", "415"},
        ("/api/v1/hauler/jobs/", "get"): {"200", "400", "401", "403", "404"},
        ("/api/v1/hauler/jobs/{id}/", "get"): {"200", "401", "403", "404"},
        ("/api/v1/hauler/jobs/{id}/complete/", "post"): {"200", "400", "401", "403", "404", "409", "415"},
        ("/api/v1/hauler/jobs/{id}/exception/", "post"): {"200", "400", "401", "403", "404", "409", "415"},
        ("/api/v1/hauler/service-area/", "get"): {"200", "401", "403"},
        ("/api/v1/hauler/service-area/", "put"): {"200", "400", "401", "403", "415"},
        ("/api/v1/hauler/rates/", "get"): {"200", "401", "403"},
        ("/api/v1/hauler/rates/", "put"): {"200", "400", "401", "403", "415"},
        ("/api/v1/hauler/trucks/", "get"): {"200", "401", "403", "404"},
        ("/api/v1/hauler/trucks/", "post"): {"201", "400", "401", "403", "415"},
        ("/api/v1/hauler/trucks/{id}/", "get"): {"200", "401", "403", "404"},
        ("/api/v1/hauler/trucks/{id}/", "put"): {"200", "400", "401", "403", "404", "415"},
        ("/api/v1/hauler/disposal-sites/", "get"): {"200", "401", "403", "404"},
        ("/api/v1/hauler/disposal-sites/", "post"): {"201", "400", "401", "403", "415"},
        ("/api/v1/hauler/disposal-sites/{id}/", "get"): {"200", "401", "403", "404"},
        ("/api/v1/hauler/disposal-sites/{id}/", "put"): {"200", "400", "401", "403", "404", "415"},
        ("/api/v1/hauler/routes/", "get"): {"200", "400", "401", "403"},
        ("/api/v1/hauler/routes/move/", "post"): {"200", "400", "401", "403", "404", "409", "415"},
    }
    for (path, method), statuses in expected.items():
        assert set(paths[path][method]["responses"]) == statuses, (path, method)

    assert [parameter["name"] for parameter in paths["/api/v1/hauler/routes/"]["get"]["parameters"]] == ["day"]
    jobs = {parameter["name"] for parameter in paths[JOBS]["get"]["parameters"]}
    assert {"date_from", "date_to", "order", "status", "cursor", "page_size"} <= jobs
    assert {"status", "cursor", "page_size"} <= {parameter["name"] for parameter in paths[OFFERS]["get"]["parameters"]}


@pytest.mark.django_db
def test_the_completion_is_documented_as_a_multipart_upload(openapi):
    body = openapi["paths"]["/api/v1/hauler/jobs/{id}/complete/"]["post"]["requestBody"]
    assert list(body["content"]) == ["multipart/form-data"]
    completion = openapi["components"]["schemas"]["Completion"]
    assert completion["properties"]["photo"] == {
        "type": "string",
        "format": "binary",
        "description": "A JPEG or PNG of the serviced container, up to 10 MB.",
    }
    assert completion["required"] == ["photo"]


@pytest.mark.django_db
def test_the_offer_schema_has_no_customer_name_or_street(openapi):
    offer = openapi["components"]["schemas"]["Offer"]["properties"]
    assert not {"business", "customer", "street", "location", "contact", "access_notes", "name"} & set(offer)
    job = openapi["components"]["schemas"]["Job"]["properties"]
    assert {"business", "location", "contact"} <= set(job)


@pytest.mark.django_db
def test_responses_match_the_schema(
    openapi, hauler_api, hauler, rival_api, book, make_jobs, media, tiny_png, django_capture_on_commit_callbacks
):
    def check(response, path, method, status):
        assert response.status_code == status, response.json()
        assert_matches_schema(openapi, response.json(), path=path, method=method, status=status)

    first, second, third = book(), book(days=4), book(days=5)
    check(hauler_api.get(OFFERS), OFFERS, "get", 200)
    check(hauler_api.get(OFFERS, {"page_size": 1}), OFFERS, "get", 200)
    offer = first.offers.get()
    check(hauler_api.post(f"{OFFERS}{offer.pk}/accept/"), "/api/v1/hauler/offers/{id}/accept/", "post", 200)
    check(hauler_api.post(f"{OFFERS}{offer.pk}/accept/"), "/api/v1/hauler/offers/{id}/accept/", "post", 409)
    with django_capture_on_commit_callbacks(execute=True):
        declined = hauler_api.post(f"{OFFERS}{second.offers.get().pk}/decline/", {"reason": "Full"}, format="json")
    check(declined, "/api/v1/hauler/offers/{id}/decline/", "post", 200)
    check(
        hauler_api.post(f"{OFFERS}{third.offers.get().pk}/decline/", {"reason": []}, format="json"),
        "/api/v1/hauler/offers/{id}/decline/",
        "post",
        400,
    )

    check(hauler_api.get(JOBS), JOBS, "get", 200)
    check(hauler_api.get(JOBS, {"order": "sideways"}), JOBS, "get", 400)
    check(hauler_api.get(f"{JOBS}{first.pk}/"), "/api/v1/hauler/jobs/{id}/", "get", 200)
    check(rival_api.get(f"{JOBS}{first.pk}/"), "/api/v1/hauler/jobs/{id}/", "get", 404)

    today = make_jobs(hauler=hauler, days=0)[0]
    upload = SimpleUploadedFile("bin.png", tiny_png, content_type="image/png")
    completed = hauler_api.post(f"{JOBS}{today.pk}/complete/", {"photo": upload, "weight": "12"}, format="multipart")
    check(completed, "/api/v1/hauler/jobs/{id}/complete/", "post", 200)
    assert completed.json()["proof"] is not None
    check(
        hauler_api.post(f"{JOBS}{today.pk}/complete/", {"weight": "-3"}, format="multipart"),
        "/api/v1/hauler/jobs/{id}/complete/",
        "post",
        400,
    )
    check(
        hauler_api.post(f"{JOBS}{today.pk}/complete/", {}, format="json"),
        "/api/v1/hauler/jobs/{id}/complete/",
        "post",
        415,
    )
    with time_machine.travel(in_window(first)):  # a visit is reported once its window has started
        missed = hauler_api.post(
            f"{JOBS}{first.pk}/exception/", {"reason": "not_out", "notes": "Gate shut"}, format="json"
        )
        check(missed, "/api/v1/hauler/jobs/{id}/exception/", "post", 200)
        assert missed.json()["exception"] is not None
        again = hauler_api.post(f"{JOBS}{first.pk}/exception/", {"reason": "not_out"}, format="json")
        check(again, "/api/v1/hauler/jobs/{id}/exception/", "post", 409)

    area = "/api/v1/hauler/service-area/"
    check(hauler_api.get(area), area, "get", 200)
    check(hauler_api.put(area, {"centre_zip": "78701", "radius_miles": 2}, format="json"), area, "put", 200)
    check(hauler_api.put(area, {}, format="json"), area, "put", 400)
    check(hauler_api.put(area, "zip_codes=78701", content_type="text/plain"), area, "put", 415)

    rates = "/api/v1/hauler/rates/"
    check(hauler_api.get(rates), rates, "get", 200)
    card = [{"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 8_000}]
    check(hauler_api.put(rates, card, format="json"), rates, "put", 200)
    check(hauler_api.put(rates, [*card, *card], format="json"), rates, "put", 400)
    check(hauler_api.put(rates, [{"price_cents": -1}], format="json"), rates, "put", 400)


@pytest.mark.django_db
def test_error_responses_match_the_schema(openapi, anonymous, api):
    unauthenticated = anonymous.get(JOBS)
    assert_matches_schema(openapi, unauthenticated.json(), path=JOBS, method="get", status=401)
    not_a_hauler = api.get(JOBS)
    assert_matches_schema(openapi, not_a_hauler.json(), path=JOBS, method="get", status=403)
    no_organisation = client_for(factories.UserFactory()).put("/api/v1/hauler/rates/", [], format="json")
    assert_matches_schema(openapi, no_organisation.json(), path="/api/v1/hauler/rates/", method="put", status=403)


@pytest.mark.django_db
def test_an_unknown_offer_matches_the_schema(openapi, hauler_api):
    missing = hauler_api.post(f"{OFFERS}999999/accept/")
    assert missing.status_code == 404
    assert_matches_schema(openapi, missing.json(), path="/api/v1/hauler/offers/{id}/accept/", method="post", status=404)
