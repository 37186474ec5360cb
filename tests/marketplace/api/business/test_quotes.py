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
        "window_start": "07:00:00",
        "window_end": "17:00:00",
        "price_cents": 15_000,
        "currency": "usd",
        "expires_at": response.json()["expires_at"],
        "frequency": "once",
        "weekdays": [],
        "day_of_month": None,
        "start_date": None,
        "end_date": None,
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


# --- Arrival windows ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_quote_keeps_the_arrival_window_chosen_and_the_pickup_gets_it(
    api, location, in_area_hauler, quote_body, django_capture_on_commit_callbacks
):
    response = api.post(URL, quote_body(window_start="07:00", window_end="11:00"), format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["window_start"], response.json()["window_end"]) == ("07:00:00", "11:00:00")
    quote = Quote.objects.get()
    assert (quote.window_start, quote.window_end) == (dt.time(7), dt.time(11))

    with django_capture_on_commit_callbacks(execute=True):
        booked = api.post("/api/v1/pickups/", {"quote": quote.pk}, format="json").json()
    assert (booked["window_start"], booked["window_end"]) == ("07:00:00", "11:00:00")
    listed = api.get("/api/v1/pickups/").json()["results"][0]
    assert (listed["window_start"], listed["window_end"]) == ("07:00:00", "11:00:00")


@pytest.mark.django_db
def test_a_window_as_the_api_writes_it_is_read_too(api, in_area_hauler, quote_body):
    response = api.post(URL, quote_body(window_start="13:00:00", window_end="17:00:00"), format="json")
    assert response.status_code == 201, response.json()
    assert Quote.objects.get().window_start == dt.time(13)


@pytest.mark.django_db
def test_without_a_window_the_quote_has_the_default_one(api, in_area_hauler, quote_body, settings):
    settings.ARRIVAL_WINDOWS = [(dt.time(8), dt.time(12)), (dt.time(12), dt.time(16))]
    settings.PICKUP_WINDOW = settings.ARRIVAL_WINDOWS[0]
    response = api.post(URL, quote_body(), format="json")
    assert (response.json()["window_start"], response.json()["window_end"]) == ("08:00:00", "12:00:00")


@pytest.mark.django_db
def test_a_window_not_offered_is_a_400_that_names_the_choices(api, in_area_hauler, quote_body):
    response = api.post(URL, quote_body(window_start="08:00", window_end="12:00"), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "window": ["Choose one of the arrival windows: 07:00-17:00, 07:00-11:00, 11:00-15:00, 13:00-17:00."]
    }
    assert not Quote.objects.exists()
    assert not UnmetDemand.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"window_start": "07:00"}, "window_end"),
        ({"window_end": "11:00"}, "window_start"),
        ({"window_start": "7am", "window_end": "11:00"}, "window_start"),
        ({"window_start": "07:00", "window_end": "25:00"}, "window_end"),
        ({"window_start": 700, "window_end": "11:00"}, "window_start"),
        ({"window_start": None, "window_end": "11:00"}, "window_start"),
        ({"window_start": "11:00", "window_end": "07:00"}, "window"),
    ],
)
def test_a_bad_window_is_a_field_error_and_nothing_is_recorded(api, in_area_hauler, quote_body, window, field):
    response = api.post(URL, quote_body(**window), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_the_schema_offers_the_windows_and_the_answers_match_it(api, in_area_hauler, quote_body):
    from drf_spectacular.generators import SchemaGenerator

    from tests.marketplace.api.test_schema import assert_matches_schema

    openapi = SchemaGenerator().get_schema(request=None, public=True)
    operation = openapi["paths"][URL]["post"]
    assert "07:00-17:00, 07:00-11:00, 11:00-15:00, 13:00-17:00" in operation["description"]
    request = openapi["components"]["schemas"]["QuoteRequest"]
    assert {"window_start", "window_end"} <= set(request["properties"])
    assert not {"window_start", "window_end"} & set(request["required"])
    assert {"window_start", "window_end"} <= set(openapi["components"]["schemas"]["Quote"]["required"])

    quote = api.post(URL, quote_body(window_start="11:00", window_end="15:00"), format="json")
    assert_matches_schema(openapi, quote.json(), path=URL, method="post", status=201)
    refused = api.post(URL, quote_body(window_start="11:00", window_end="16:00"), format="json")
    assert_matches_schema(openapi, refused.json(), path=URL, method="post", status=400)


@pytest.mark.django_db
def test_a_quote_costs_the_same_queries_whatever_the_candidates_and_builds_no_queryset_for_matching(
    api, location, quote_body, django_assert_num_queries, monkeypatch
):
    from marketplace import matching
    from tests import factories

    for n in range(6):  # candidates with trucks and a job that day each
        hauler = factories.HaulerFactory(zips=["78701"])
        factories.RateFactory(hauler=hauler, price_cents=8_000 + n)
        factories.PickupFactory(hauler=hauler, location=location, service_date=in_days(3))
    assert api.post(URL, quote_body(), format="json").status_code == 201  # matching's statements compiled
    built = []
    for statement in (matching._CANDIDATES, matching._FLEETS, matching._DAYS):
        monkeypatch.setattr(statement, "build", lambda **values: built.append(values))
    # the token with its seat, the location, matching's three (candidates, their trucks, their jobs), the quote
    with django_assert_num_queries(6):
        response = api.post(URL, quote_body(quantity=2, service_date=in_days(4).isoformat()), format="json")
    assert response.status_code == 201, response.json()
    assert built == []  # the same shapes: nothing for the ORM to build or compile
    assert len(Quote.objects.get(pk=response.json()["id"]).ranking) == 6
