"""A quote read back, and the arrival windows a quote may choose."""

import pytest

from tests.marketplace.api.conftest import client_for

QUOTES = "/api/v1/quotes/"


@pytest.mark.django_db
def test_a_quote_reads_back_as_priced_and_names_its_pickup_once_booked(api, quote_body, in_area_hauler, run_on_commit):
    made = api.post(QUOTES, quote_body(window_start="11:00", window_end="15:00"), format="json").json()

    read = api.get(f"{QUOTES}{made['id']}/").json()
    assert {key: read[key] for key in made} == made
    assert (read["window_start"], read["window_end"], read["pickup"], read["plan"]) == (
        "11:00:00",
        "15:00:00",
        None,
        None,
    )
    assert (read["frequency"], read["weekdays"], read["start_date"]) == ("once", [], None)

    booked = run_on_commit(api.post, "/api/v1/pickups/", {"quote": made["id"]}, format="json").json()
    assert api.get(f"{QUOTES}{made['id']}/").json()["pickup"] == booked["id"]


@pytest.mark.django_db
def test_another_business_quote_is_a_404(api, other_customer, make_quote):
    theirs = make_quote(other_customer)
    response = api.get(f"{QUOTES}{theirs.pk}/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert api.get(f"{QUOTES}{2**63}/").status_code == 404


@pytest.mark.django_db
def test_the_arrival_windows_are_listed_and_a_quote_takes_only_those(api, quote_body, in_area_hauler, settings):
    windows = api.get("/api/v1/arrival-windows/").json()

    assert [(w["window_start"], w["window_end"], w["default"]) for w in windows] == [
        (f"{start:%H:%M:%S}", f"{end:%H:%M:%S}", index == 0)
        for index, (start, end) in enumerate(settings.ARRIVAL_WINDOWS)
    ]
    assert windows[1]["label"] == "07:00-11:00"
    for window in windows:
        body = quote_body(window_start=window["window_start"][:5], window_end=window["window_end"][:5])
        assert api.post(QUOTES, body, format="json").status_code == 201
    refused = api.post(QUOTES, quote_body(window_start="08:00", window_end="09:00"), format="json")
    assert (refused.status_code, list(refused.json())) == (400, ["window"])
    assert "07:00-11:00" in refused.json()["window"][0]


@pytest.mark.django_db
def test_the_windows_need_a_business_account(anonymous, hauler_user):
    assert anonymous.get("/api/v1/arrival-windows/").status_code == 401
    assert client_for(hauler_user).get("/api/v1/arrival-windows/").status_code == 403
