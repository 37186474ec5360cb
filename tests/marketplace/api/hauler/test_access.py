"""Who may call the hauler API, and one hauler's script through a day's work."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from marketplace import services
from marketplace.models import Pickup
from tests import factories
from tests.factories import in_window
from tests.marketplace.api.conftest import client_for

HAULER_ENDPOINTS = [
    ("get", "/api/v1/hauler/offers/"),
    ("post", "/api/v1/hauler/offers/1/accept/"),
    ("post", "/api/v1/hauler/offers/1/decline/"),
    ("get", "/api/v1/hauler/jobs/"),
    ("get", "/api/v1/hauler/jobs/1/"),
    ("post", "/api/v1/hauler/jobs/1/complete/"),
    ("post", "/api/v1/hauler/jobs/1/exception/"),
    ("get", "/api/v1/hauler/service-area/"),
    ("put", "/api/v1/hauler/service-area/"),
    ("get", "/api/v1/hauler/rates/"),
    ("put", "/api/v1/hauler/rates/"),
    ("get", "/api/v1/hauler/trucks/"),
    ("post", "/api/v1/hauler/trucks/"),
    ("get", "/api/v1/hauler/trucks/1/"),
    ("put", "/api/v1/hauler/trucks/1/"),
    ("get", "/api/v1/hauler/disposal-sites/"),
    ("post", "/api/v1/hauler/disposal-sites/"),
    ("get", "/api/v1/hauler/disposal-sites/1/"),
    ("put", "/api/v1/hauler/disposal-sites/1/"),
    ("get", "/api/v1/hauler/routes/"),
    ("post", "/api/v1/hauler/routes/move/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), HAULER_ENDPOINTS)
def test_without_credentials_every_hauler_endpoint_is_401_with_a_challenge(anonymous, method, url):
    response = getattr(anonymous, method)(url)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token", "Bearer abc"])
def test_a_bad_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/hauler/offers/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), HAULER_ENDPOINTS)
def test_a_business_is_not_a_hauler_and_gets_a_clear_403(api, method, url):
    response = getattr(api, method)(url)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API is for haulers, and your account is not part of one.",
        "code": "not_a_hauler",
    }


@pytest.mark.django_db
def test_a_person_in_no_organisation_gets_403_too():
    response = client_for(factories.UserFactory()).get("/api/v1/hauler/jobs/")
    assert (response.status_code, response.json()["code"]) == (403, "not_a_hauler")


@pytest.mark.django_db
def test_a_hauler_still_gets_403_from_the_business_api(hauler_api):
    assert hauler_api.get("/api/v1/pickups/").json()["code"] == "not_a_business"


@pytest.mark.django_db
def test_the_browser_session_works_and_writes_need_the_csrf_token(hauler_owner, hauler):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(hauler_owner)
    assert browser.get("/api/v1/hauler/service-area/").status_code == 200

    body = {"zip_codes": ["78704"]}
    refused = browser.put("/api/v1/hauler/service-area/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    browser.get("/api/docs/")
    browser.get("/api/docs/?script")  # the page's start-up script, which the docs page loads, sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    assert browser.put("/api/v1/hauler/service-area/", body, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 200


@pytest.mark.django_db
def test_a_script_sets_up_takes_an_offer_and_proves_the_job(
    anonymous, hauler, hauler_owner, customer, media, tiny_png, make_quote, django_capture_on_commit_callbacks
):
    token = anonymous.post(
        "/api/v1/auth/token/", {"email": hauler_owner.email, "password": factories.PASSWORD}, format="json"
    ).json()["token"]
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    area = script.put("/api/v1/hauler/service-area/", {"centre_zip": "78701", "radius_miles": 3}, format="json")
    assert area.status_code == 200 and "78701" in area.json()["zip_codes"]
    card = [{"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 8_000, "extra_container_cents": 0}]
    assert script.put("/api/v1/hauler/rates/", card, format="json").json() == card

    quote = make_quote(customer, days=1)
    assert quote.payout_cents == 8_000  # the new rate is the price now
    with django_capture_on_commit_callbacks(execute=True):
        pickup = services.book_quote(quote=quote, customer=customer)

    offers = script.get("/api/v1/hauler/offers/").json()["results"]
    assert [(offer["pickup"], offer["payout_cents"]) for offer in offers] == [(pickup.pk, 8_000)]
    job = script.post(f"/api/v1/hauler/offers/{offers[0]['id']}/accept/").json()
    assert (job["id"], job["status"], job["business"]) == (pickup.pk, "scheduled", customer.name)

    route = script.get("/api/v1/hauler/jobs/", {"order": "zip"}).json()
    assert [row["id"] for row in route["results"]] == [pickup.pk]

    with time_machine.travel(in_window(pickup)):  # the next morning, within the window: no reason is asked
        done = script.post(
            f"/api/v1/hauler/jobs/{pickup.pk}/complete/",
            {"photo": SimpleUploadedFile("bin.png", tiny_png, content_type="image/png"), "weight": "80"},
            format="multipart",
        )
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["proof"]["weight_kg"]) == ("completed", 80.0)
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.COMPLETED
    assert script.get("/api/v1/hauler/jobs/").json()["results"] == []
    assert len(script.get("/api/v1/hauler/jobs/", {"status": "completed"}).json()["results"]) == 1
