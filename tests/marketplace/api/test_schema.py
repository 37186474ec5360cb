"""The OpenAPI schema is valid, the docs are served from here, and responses match what the schema says."""

import re

import jsonschema
import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from marketplace import dispatch
from marketplace.models import Pickup
from tests.marketplace.api.conftest import client_for, in_days


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def json_schema(node, *, strict: bool = True):
    """An OpenAPI 3.0 schema object as JSON Schema: `nullable` becomes a null alternative and, when strict,
    objects with listed properties allow no others (so a field the schema does not mention fails)."""
    if isinstance(node, list):
        return [json_schema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value, strict=strict) for key, value in node.items()}
    if strict and "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if converted.pop("nullable", False):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def assert_matches_schema(openapi, body, *, path: str, method: str, status: int):
    """Validate a response body against its documented schema, $refs resolved in the schema's components."""
    operation = openapi["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    document = {"allOf": [json_schema(schema)], "components": json_schema(openapi["components"])}
    jsonschema.Draft4Validator(document).validate(body)


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3(openapi):
    validate_schema(openapi)
    assert openapi["openapi"].startswith("3.")
    assert {
        "/api/v1/auth/token/",
        "/api/v1/locations/",
        "/api/v1/locations/{id}/",
        "/api/v1/quotes/",
        "/api/v1/pickups/",
        "/api/v1/pickups/{id}/",
        "/api/v1/pickups/{id}/cancel/",
    } <= set(openapi["paths"])


@pytest.mark.django_db
def test_the_schema_documents_errors_and_the_booking_status_codes(openapi):
    book = openapi["paths"]["/api/v1/pickups/"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "404", "409", "415"} <= set(book)
    cancel = openapi["paths"]["/api/v1/pickups/{id}/cancel/"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409"} <= set(cancel)
    listing = openapi["paths"]["/api/v1/pickups/"]["get"]
    assert {"status", "date_from", "date_to", "cursor", "page_size"} <= {p["name"] for p in listing["parameters"]}


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?format=json"])
def test_the_schema_is_served_at_api_schema(anonymous, query):
    response = anonymous.get(f"/api/schema/{query}")
    assert response.status_code == 200
    validate_schema(yaml.safe_load(response.content))


@pytest.mark.django_db
def test_the_docs_render_from_local_assets_only(anonymous):
    response = anonymous.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not reach out to a CDN"
    assets = [url for url in re.findall(r'(?:src|href)="([^"]+)"', html) if url != "/api/docs/?script="]
    assert len(assets) >= 4  # css, bundle, preset, favicon
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file here"
    # Its start-up script comes from this URL too (the policy runs no inline script), and so do its settings.
    assert "<style" not in html and re.search(r"<script>", html) is None
    script = anonymous.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()  # else a badge would load from validator.swagger.io
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_responses_match_the_schema(
    openapi, api, customer, location, in_area_hauler, make_pickups, django_capture_on_commit_callbacks
):
    locations = api.get("/api/v1/locations/")
    assert_matches_schema(openapi, locations.json(), path="/api/v1/locations/", method="get", status=200)
    one = api.get(f"/api/v1/locations/{location.pk}/")
    assert_matches_schema(openapi, one.json(), path="/api/v1/locations/{id}/", method="get", status=200)

    quote = api.post(
        "/api/v1/quotes/",
        {
            "location": location.pk,
            "waste_stream": "trash",
            "container": "dumpster_4yd",
            "quantity": 1,
            "service_date": in_days(3).isoformat(),
        },
        format="json",
    )
    assert_matches_schema(openapi, quote.json(), path="/api/v1/quotes/", method="post", status=201)

    with django_capture_on_commit_callbacks(execute=True):
        booked = api.post("/api/v1/pickups/", {"quote": quote.json()["id"]}, format="json")
    assert_matches_schema(openapi, booked.json(), path="/api/v1/pickups/", method="post", status=201)
    pickup = Pickup.objects.get()
    dispatch.accept_offer(offer_id=pickup.offers.get().pk, hauler=in_area_hauler)

    detail = api.get(f"/api/v1/pickups/{pickup.pk}/")
    assert detail.json()["history"] and detail.json()["hauler"]
    assert_matches_schema(openapi, detail.json(), path="/api/v1/pickups/{id}/", method="get", status=200)

    make_pickups(customer=customer, count=3)
    listing = api.get("/api/v1/pickups/", {"page_size": 2})
    assert listing.json()["next"]
    assert_matches_schema(openapi, listing.json(), path="/api/v1/pickups/", method="get", status=200)

    cancelled = api.post(f"/api/v1/pickups/{pickup.pk}/cancel/")
    assert_matches_schema(openapi, cancelled.json(), path="/api/v1/pickups/{id}/cancel/", method="post", status=200)
    conflict = api.post(f"/api/v1/pickups/{pickup.pk}/cancel/")
    assert_matches_schema(openapi, conflict.json(), path="/api/v1/pickups/{id}/cancel/", method="post", status=409)


@pytest.mark.django_db
def test_error_responses_match_the_schema(openapi, anonymous, api, location, out_of_area_hauler, hauler_user):
    unauthenticated = anonymous.get("/api/v1/pickups/")
    assert_matches_schema(openapi, unauthenticated.json(), path="/api/v1/pickups/", method="get", status=401)
    not_a_business = client_for(hauler_user).get("/api/v1/pickups/")
    assert_matches_schema(openapi, not_a_business.json(), path="/api/v1/pickups/", method="get", status=403)
    missing = api.get("/api/v1/pickups/999999/")
    assert_matches_schema(openapi, missing.json(), path="/api/v1/pickups/{id}/", method="get", status=404)
    bad = api.post("/api/v1/quotes/", {"quantity": 0}, format="json")
    assert_matches_schema(openapi, bad.json(), path="/api/v1/quotes/", method="post", status=400)
    no_hauler = api.post(
        "/api/v1/quotes/",
        {
            "location": location.pk,
            "waste_stream": "trash",
            "container": "dumpster_4yd",
            "quantity": 1,
            "service_date": in_days(3).isoformat(),
        },
        format="json",
    )
    assert no_hauler.json()["code"] == "no_hauler"
    assert_matches_schema(openapi, no_hauler.json(), path="/api/v1/quotes/", method="post", status=400)
    not_json = api.post("/api/v1/quotes/", "quantity=1", content_type="text/plain")
    assert_matches_schema(openapi, not_json.json(), path="/api/v1/quotes/", method="post", status=415)


def test_the_schema_check_itself_catches_a_mismatch(openapi):
    with pytest.raises(jsonschema.ValidationError):
        assert_matches_schema(
            openapi, {"token": "abc", "user": 1}, path="/api/v1/auth/token/", method="post", status=200
        )
    with pytest.raises(jsonschema.ValidationError):
        assert_matches_schema(openapi, {"token": None}, path="/api/v1/auth/token/", method="post", status=200)
