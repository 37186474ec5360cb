"""Instant quotes through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace.models import Quote, UnmetDemand
from tests.marketplace.api.conftest import in_days

URL = "/api/v1/quotes/"


@pytest.mark.django_db
def test_a_quote_is_priced_and_kept_for_a_day(api, customer, location, in_area_hauler, quote_body):
    response = api.post(URL, quote_body(quantity=2), format="json")

    assert response.status_code == 201, response.json()
    quote = Quote.objects.get()
    assert response.json() == {
        "id": quote.pk,
        "location": location.pk,
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 2,
        "service_date": in_days(3).isoformat(),
        "price_cents": 15_000,
        "currency": "usd",
        "expires_at": response.json()["expires_at"],
    }
    expires_at = dt.datetime.fromisoformat(response.json()["expires_at"])
    assert expires_at - timezone.now() == pytest.approx(dt.timedelta(hours=24), abs=dt.timedelta(seconds=5))
    assert quote.customer == customer


@pytest.mark.django_db
def test_no_hauler_is_a_400_that_says_so_and_the_demand_is_noted(api, location, out_of_area_hauler, quote_body):
    response = api.post(URL, quote_body(), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "no_hauler"
    assert response.json()["detail"].startswith("No hauler serves this yet")
    assert set(response.json()) == {"detail", "code"}
    assert UnmetDemand.objects.get().zip_code == "78701"
    assert not Quote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 10_000}, "quantity"),
        ({"quantity": 10**40}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": "two"}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"quantity": None}, "quantity"),
        ({"waste_stream": "glitter"}, "waste_stream"),
        ({"container": "bucket"}, "container"),
        ({"container": ["dumpster_4yd"]}, "container"),
        ({"service_date": "tomorrow"}, "service_date"),
        ({"service_date": "2020-02-30"}, "service_date"),
        ({"service_date": in_days(-1).isoformat()}, "service_date"),
        ({"location": "here"}, "location"),
        ({"location": 0}, "location"),
        ({"location": 2**70}, "location"),
    ],
)
def test_bad_requests_get_field_errors_and_nothing_is_recorded(api, in_area_hauler, quote_body, changes, field):
    response = api.post(URL, quote_body(**changes), format="json")

    assert response.status_code == 400
    assert isinstance(response.json()[field], list) and response.json()[field]
    assert not Quote.objects.exists()
    assert not UnmetDemand.objects.exists()


@pytest.mark.django_db
def test_a_past_date_says_why(api, in_area_hauler, quote_body):
    response = api.post(URL, quote_body(service_date=in_days(-3).isoformat()), format="json")
    assert response.json() == {"service_date": ["The service date is in the past at this location."]}


@pytest.mark.django_db
def test_missing_fields_are_all_named(api):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"location", "waste_stream", "container", "quantity", "service_date"}


@pytest.mark.django_db
def test_another_business_location_is_404(api, other_customer, in_area_hauler, quote_body):
    response = api.post(URL, quote_body(location=other_customer.locations.get().pk), format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such location.", "code": "not_found"}
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_an_unknown_location_is_404(api, in_area_hauler, quote_body):
    assert api.post(URL, quote_body(location=999_999), format="json").status_code == 404


@pytest.mark.django_db
def test_a_quote_request_that_is_not_json_is_415(api, in_area_hauler, quote_body):
    response = api.post(URL, quote_body())  # multipart form
    assert response.status_code == 415
    assert not Quote.objects.exists()
