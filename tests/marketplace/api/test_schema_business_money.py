"""The schema is served as JSON to clients that ask for JSON, and documents the money, plan, quote and sensor
endpoints as they answer: cursor lists, PDFs, every status code they return."""

import json

import pytest
import yaml

from tests.billing import support
from tests.marketplace.api.test_schema import assert_matches_schema, openapi

__all__ = ["openapi"]  # the schema fixture, shared

CURSOR_LISTS = ["/api/v1/pickups/", "/api/v1/payments/", "/api/v1/invoices/"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept, query",
    [
        ("application/json", ""),
        ("application/json, text/plain, */*", ""),
        ("application/json, application/yaml", ""),
        ("application/yaml;q=0.5, application/json", ""),
        ("*/*", "?format=json"),
    ],
)
def test_a_client_that_asks_for_json_gets_json(anonymous, accept, query):
    response = anonymous.get(f"/api/schema/{query}", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    assert json.loads(response.content)["openapi"].startswith("3.")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept",
    ["*/*", "", "application/yaml", "application/yaml, application/json", "text/html,application/xhtml+xml,*/*;q=0.8"],
)
def test_other_clients_get_yaml(anonymous, accept):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert "yaml" in response["Content-Type"] or "openapi" in response["Content-Type"]
    assert "json" not in response["Content-Type"]
    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_new_endpoints_are_documented_with_their_errors(openapi):
    paths = openapi["paths"]
    for path in CURSOR_LISTS:
        names = {parameter["name"] for parameter in paths[path]["get"]["parameters"]}
        assert {"cursor", "page_size"} <= names and "page" not in names, path
    pdf = paths["/api/v1/invoices/{id}/pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and {"401", "403", "404"} <= set(pdf)
    assert {"200", "404", "409"} <= set(paths["/api/v1/payments/{id}/receipt/"]["get"]["responses"])
    assert {"200", "201", "400", "404", "409", "415"} <= set(paths["/api/v1/plans/"]["post"]["responses"])
    for action in ("skip", "pause", "resume", "weekdays", "end"):
        assert {"200", "400", "401", "403", "404", "409"} <= set(
            paths[f"/api/v1/plans/{{id}}/{action}/"]["post"]["responses"]
        )
    assert {"200", "404"} <= set(paths["/api/v1/quotes/{id}/"]["get"]["responses"])
    assert {"201", "400", "403", "404"} <= set(paths["/api/v1/sensors/"]["post"]["responses"])
    assert {"200", "403", "404"} <= set(paths["/api/v1/sensors/{id}/rotate-token/"]["post"]["responses"])
    assert "/api/v1/arrival-windows/" in paths


@pytest.mark.django_db
def test_money_answers_match_the_schema(openapi, api, location, in_area_hauler):
    paid = support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
    invoice = support.invoice_for(
        location.customer, [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40)]
    )
    checks = [
        ("/api/v1/pickups/", "/api/v1/pickups/"),
        (f"/api/v1/pickups/{paid.pickup_id}/", "/api/v1/pickups/{id}/"),
        ("/api/v1/payments/", "/api/v1/payments/"),
        (f"/api/v1/payments/{paid.pk}/", "/api/v1/payments/{id}/"),
        ("/api/v1/invoices/", "/api/v1/invoices/"),
        (f"/api/v1/invoices/{invoice.pk}/", "/api/v1/invoices/{id}/"),
        ("/api/v1/arrival-windows/", "/api/v1/arrival-windows/"),
        ("/api/v1/plans/", "/api/v1/plans/"),
        ("/api/v1/sensors/", "/api/v1/sensors/"),
    ]
    for url, path in checks:
        response = api.get(url)
        assert response.status_code == 200, url
        assert_matches_schema(openapi, response.json(), path=path, method="get", status=200)
