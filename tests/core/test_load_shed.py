"""core/load_shed.py: a request that waited in gunicorn's queue past LOAD_SHED_WAIT_SECONDS gets a 503, no work done."""

import json
import logging
import time

import pytest
from django.test import Client

from core import load_shed
from marketplace import services
from marketplace.models import Pickup, Quote
from tests.marketplace.api.conftest import client_for, in_days


def stamped(waited: float) -> dict:
    """The header nginx sends, as if it handed the request to gunicorn `waited` seconds ago."""
    return {"HTTP_X_REQUEST_START": f"t={time.time() - waited:.3f}"}


QUOTE = {"waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1}


@pytest.fixture
def api(customer_owner):
    return client_for(customer_owner)


@pytest.fixture
def limit(settings):
    settings.LOAD_SHED_WAIT_SECONDS = 1.0
    settings.LOAD_SHED_RETRY_AFTER_SECONDS = 3
    return settings


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("t=1700000000.123", 1700000000.123),  # nginx's ${msec}
        ("1700000000.5", 1700000000.5),
        ("t=1700000000123", 1700000000.123),  # milliseconds (Heroku's router)
        ("t=1700000000123456", 1700000000.123456),  # microseconds (Apache's %t)
        (" t=1700000000 ", 1700000000.0),
    ],
)
def test_the_stamp_is_read_in_any_unit_proxies_send(value, seconds):
    assert load_shed.started_at(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "t=", "t=soon", "nan", "t=-5", "0", "t=1,5"])
def test_a_stamp_that_is_not_a_time_is_ignored(value):
    assert load_shed.started_at(value) is None


@pytest.mark.django_db
def test_a_request_that_waited_too_long_is_answered_503_before_any_query(limit, api, location,
                                                                         django_assert_num_queries):  # fmt: skip
    body = QUOTE | {"location": location.pk, "service_date": in_days(3).isoformat()}
    with django_assert_num_queries(0):  # not even the token's lookup
        response = api.post("/api/v1/quotes/", body, format="json", **stamped(5))
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "overloaded"
    assert 4900 <= int(response["X-Queue-Wait-Ms"]) < 6000
    assert response["X-Request-ID"]  # the request id middleware runs first, and logs the 503
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_a_booking_shed_is_not_half_saved(limit, api, customer, location, in_area_hauler):
    quote = services.create_quote(customer=customer, location=location, service_date=in_days(3), **QUOTE)
    shed = api.post("/api/v1/pickups/", {"quote": quote.pk}, format="json", **stamped(2))
    assert shed.status_code == 503
    assert not Pickup.objects.exists()
    # The client sends it again when the queue is short: it books, once.
    again = api.post("/api/v1/pickups/", {"quote": quote.pk}, format="json", **stamped(0.01))
    assert again.status_code == 201, again.content
    assert Pickup.objects.count() == 1


@pytest.mark.django_db
def test_a_page_gets_a_short_html_page(limit, client):
    response = client.get("/dashboard/", **stamped(1.5))
    assert response.status_code == 503
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"HaulMatch is busy" in response.content
    assert response["Retry-After"] == "3"


@pytest.mark.django_db
def test_a_request_under_the_limit_is_served(limit, client):
    assert client.get("/healthz/", **stamped(0.9)).status_code == 200
    assert client.get("/healthz/", **stamped(-0.5)).status_code == 200  # the stamp a little ahead: no wait


@pytest.mark.django_db
def test_without_the_header_nothing_is_shed(limit, client):
    """No nginx in front (development, tests): nothing says how long the request waited."""
    assert client.get("/healthz/").status_code == 200
    assert client.get("/healthz/", HTTP_X_REQUEST_START="t=yesterday").status_code == 200


@pytest.mark.django_db
def test_zero_turns_it_off(settings):
    settings.LOAD_SHED_WAIT_SECONDS = 0
    assert Client().get("/healthz/", **stamped(3600)).status_code == 200


@pytest.mark.django_db
def test_the_shed_request_is_logged_with_its_status(limit, client, caplog):
    with caplog.at_level(logging.INFO, logger="haulmatch.request"):
        response = client.get("/healthz/", HTTP_X_REQUEST_ID="shed-1", **stamped(2))
    assert response["X-Request-ID"] == "shed-1"
    (record,) = [record for record in caplog.records if record.name == "haulmatch.request"]
    assert (record.status, record.path) == (503, "/healthz/")
