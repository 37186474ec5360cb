"""Getting a token, who may call the business API, and one script's whole journey through it."""

import pytest
from allauth.account.models import EmailAddress
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketplace import dispatch
from marketplace.models import Pickup
from tests import factories
from tests.marketplace.api.conftest import client_for, in_days

TOKEN_URL = "/api/v1/auth/token/"
BUSINESS_ENDPOINTS = [
    ("get", "/api/v1/locations/"),
    ("post", "/api/v1/locations/"),
    ("get", "/api/v1/locations/1/"),
    ("patch", "/api/v1/locations/1/"),
    ("post", "/api/v1/quotes/"),
    ("get", "/api/v1/pickups/"),
    ("post", "/api/v1/pickups/"),
    ("get", "/api/v1/pickups/1/"),
    ("post", "/api/v1/pickups/1/cancel/"),
]


@pytest.mark.django_db
def test_an_email_and_password_get_the_accounts_token_the_same_each_time(anonymous, customer_owner):
    first = anonymous.post(TOKEN_URL, {"email": customer_owner.email, "password": factories.PASSWORD}, format="json")
    again = anonymous.post(
        TOKEN_URL, {"email": customer_owner.email.upper(), "password": factories.PASSWORD}, format="json"
    )

    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"token": Token.objects.get(user=customer_owner).key}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "owner@example.com"}, "password"),
        ({"password": "x"}, "email"),
        ({"email": "not an email", "password": "x"}, "email"),
        ({"email": ["a@example.com"], "password": "x"}, "email"),
        ({"email": "a@example.com", "password": ""}, "password"),
    ],
)
def test_token_requests_missing_or_malformed_fields_get_field_errors(anonymous, body, field):
    response = anonymous.post(TOKEN_URL, body, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()[field], list)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["wrong password", "unknown email", "inactive"])
def test_wrong_credentials_are_a_clear_400_and_no_token(anonymous, customer_owner, who):
    email, password = customer_owner.email, factories.PASSWORD
    if who == "wrong password":
        password = "not-the-password"
    elif who == "unknown email":
        email = "nobody@example.com"
    else:
        customer_owner.is_active = False
        customer_owner.save()

    response = anonymous.post(TOKEN_URL, {"email": email, "password": password}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Unable to sign in with that email and password.",
        "code": "invalid_credentials",
    }
    assert not Token.objects.exists()


@pytest.mark.django_db
def test_where_email_verification_is_mandatory_an_unverified_account_gets_no_token(anonymous, customer_owner, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    body = {"email": customer_owner.email, "password": factories.PASSWORD}

    refused = anonymous.post(TOKEN_URL, body, format="json")
    assert refused.status_code == 400
    assert refused.json()["code"] == "email_unverified"

    EmailAddress.objects.create(user=customer_owner, email=customer_owner.email, verified=True, primary=True)
    assert anonymous.post(TOKEN_URL, body, format="json").status_code == 200


@pytest.mark.django_db
def test_guessing_passwords_is_throttled(anonymous, customer_owner):
    body = {"email": customer_owner.email, "password": "guess"}
    answers = [anonymous.post(TOKEN_URL, body, format="json").status_code for _ in range(11)]
    assert answers == [400] * 10 + [429]
    assert anonymous.post(TOKEN_URL, body, format="json").json()["code"] == "throttled"


@pytest.mark.django_db
def test_a_token_request_that_is_not_json_is_415(anonymous, customer_owner):
    response = anonymous.post(TOKEN_URL, {"email": customer_owner.email, "password": factories.PASSWORD})  # a form
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_malformed_json_is_a_400_parse_error(anonymous):
    response = anonymous.post(TOKEN_URL, '{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), BUSINESS_ENDPOINTS)
def test_without_credentials_every_business_endpoint_is_401_with_a_challenge(anonymous, method, url):
    response = getattr(anonymous, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token not-a-real-token", "Token", "Bearer abc"])
def test_a_bad_token_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/pickups/").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "url"), BUSINESS_ENDPOINTS)
def test_a_hauler_is_not_a_business_and_gets_a_clear_403(hauler_user, method, url):
    response = getattr(client_for(hauler_user), method)(url, {}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This API is for businesses, and your account is not part of one.",
        "code": "not_a_business",
    }


@pytest.mark.django_db
def test_a_person_in_no_organisation_gets_403_too():
    assert client_for(factories.UserFactory()).get("/api/v1/locations/").status_code == 403


@pytest.mark.django_db
def test_the_browser_session_works_and_writes_need_the_csrf_token(customer_owner):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(customer_owner)
    assert browser.get("/api/v1/locations/").status_code == 200

    body = {"street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"}
    refused = browser.post("/api/v1/locations/", body, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    # Swagger UI sends the CSRF token its start-up script is given, as a browser script would.
    browser.get("/api/docs/")
    browser.get("/api/docs/?script=")
    csrf = browser.cookies["csrftoken"].value
    assert browser.post("/api/v1/locations/", body, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 201


@pytest.mark.django_db
def test_a_script_books_and_cancels_a_pickup_end_to_end(
    anonymous, customer_owner, in_area_hauler, django_capture_on_commit_callbacks
):
    token = anonymous.post(
        TOKEN_URL, {"email": customer_owner.email, "password": factories.PASSWORD}, format="json"
    ).json()["token"]
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    location = script.post(
        "/api/v1/locations/",
        {"name": "Back dock", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"},
        format="json",
    )
    assert location.status_code == 201, location.json()
    assert (location.json()["timezone"], location.json()["archived"]) == ("America/Chicago", False)

    quote = script.post(
        "/api/v1/quotes/",
        {
            "location": location.json()["id"],
            "waste_stream": "trash",
            "container": "dumpster_4yd",
            "quantity": 2,
            "service_date": in_days(3).isoformat(),
        },
        format="json",
    )
    assert quote.status_code == 201, quote.json()
    assert (quote.json()["price_cents"], quote.json()["currency"]) == (15_000, "usd")

    with django_capture_on_commit_callbacks(execute=True):  # the cascade offers it to the hauler
        booked = script.post("/api/v1/pickups/", {"quote": quote.json()["id"]}, format="json")
    assert booked.status_code == 201, booked.json()
    pickup_id = booked.json()["id"]
    assert booked.json()["price_cents"] == 15_000
    rebooked = script.post("/api/v1/pickups/", {"quote": quote.json()["id"]}, format="json")
    assert (rebooked.status_code, rebooked.json()["id"]) == (200, pickup_id)
    assert Pickup.objects.count() == 1

    listed = script.get("/api/v1/pickups/").json()
    assert [p["id"] for p in listed["results"]] == [pickup_id]
    assert listed["results"][0]["location"] == {
        "id": location.json()["id"],
        "name": "Back dock",
        "address": "600 Congress Ave, Austin, TX 78701",
    }

    offered = script.get(f"/api/v1/pickups/{pickup_id}/").json()
    assert (offered["status"], offered["hauler"]) == ("offered", None)  # offers do not name the hauler
    dispatch.accept_offer(offer_id=Pickup.objects.get().offers.get().pk, hauler=in_area_hauler)
    scheduled = script.get(f"/api/v1/pickups/{pickup_id}/").json()
    assert (scheduled["status"], scheduled["hauler"]) == ("scheduled", "Downtown Disposal")
    assert [(step["from"], step["to"]) for step in scheduled["history"]] == [
        ("requested", "offered"),
        ("offered", "scheduled"),
    ]

    cancelled = script.post(f"/api/v1/pickups/{pickup_id}/cancel/")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancellation_fee_cents"]) == ("cancelled", 0)
    assert cancelled.json()["history"][-1]["reason"] == "Cancelled by the customer"

    again = script.post(f"/api/v1/pickups/{pickup_id}/cancel/")
    assert again.status_code == 409
    assert again.json() == {"detail": "A cancelled pickup cannot be cancelled.", "code": "conflict"}


@pytest.mark.django_db
def test_a_token_of_an_inactive_or_unknown_user_is_refused(anonymous, customer_owner):
    token = Token.objects.create(user=customer_owner)
    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert anonymous.get("/api/v1/locations/").status_code == 200

    customer_owner.is_active = False
    customer_owner.save(update_fields=["is_active"])
    refused = anonymous.get("/api/v1/locations/")
    assert (refused.status_code, refused.json()["code"]) == (401, "authentication_failed")

    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert anonymous.get("/api/v1/locations/").status_code == 401
