"""A hauler's service area and rate card through the API: read them, replace them whole, and refuse bad input."""

import pytest

from core import geo
from haulers.models import Rate, ServiceZip

AREA = "/api/v1/hauler/service-area/"
RATES = "/api/v1/hauler/rates/"


def zips_of(hauler) -> list[str]:
    return list(ServiceZip.objects.filter(hauler=hauler).order_by("zip_code").values_list("zip_code", flat=True))


def card_of(hauler) -> list[tuple]:
    return list(
        Rate.objects.filter(hauler=hauler)
        .order_by("waste_stream", "container")
        .values_list("waste_stream", "container", "price_cents", "extra_container_cents")
    )


# --- Service area ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_service_area_is_the_zip_codes_and_their_count(hauler_api, rival):
    response = hauler_api.get(AREA)
    assert response.status_code == 200
    assert response.json() == {"zip_codes": ["78701", "78702", "78703"], "count": 3}


@pytest.mark.django_db
def test_the_service_area_is_replaced_by_a_list(hauler_api, hauler, rival):
    response = hauler_api.put(AREA, {"zip_codes": ["78705", " 78701", "78705", "78704"]}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {"zip_codes": ["78701", "78704", "78705"], "count": 3}
    assert zips_of(hauler) == ["78701", "78704", "78705"]
    assert zips_of(rival) == ["78701"]
    assert hauler_api.get(AREA).json() == response.json()


@pytest.mark.django_db
def test_an_empty_list_stops_serving_anywhere(hauler_api, hauler):
    response = hauler_api.put(AREA, {"zip_codes": []}, format="json")
    assert (response.status_code, response.json()) == (200, {"zip_codes": [], "count": 0})
    assert zips_of(hauler) == []


@pytest.mark.django_db
def test_the_service_area_is_replaced_by_a_centre_and_radius(hauler_api, hauler):
    response = hauler_api.put(AREA, {"centre_zip": "78701", "radius_miles": 10}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["zip_codes"] == sorted(geo.zips_within("78701", 10))
    assert body["count"] == len(body["zip_codes"]) > 10
    assert {"78701", "78702", "78704"} <= set(body["zip_codes"])
    assert "78664" not in body["zip_codes"]  # Round Rock is 20 miles north
    assert zips_of(hauler) == body["zip_codes"]

    smaller = hauler_api.put(AREA, {"centre_zip": "78701", "radius_miles": 1.5}, format="json").json()
    assert set(smaller["zip_codes"]) < set(body["zip_codes"])
    assert zips_of(hauler) == smaller["zip_codes"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"zip_codes": ["78701"], "centre_zip": "78701", "radius_miles": 5}, "non_field_errors"),
        ({"zip_codes": "78701"}, "zip_codes"),
        ({"zip_codes": {"78701": True}}, "zip_codes"),
        ({"zip_codes": None}, "zip_codes"),
        ({"zip_codes": ["78701", "7870"]}, "zip_codes"),
        ({"zip_codes": ["78701", 78702]}, "zip_codes"),
        ({"zip_codes": ["78701", ["78702"]]}, "zip_codes"),
        ({"zip_codes": ["78701", "00000"]}, "zip_codes"),  # five digits, but no such ZIP
        ({"zip_codes": ["78701"] * 5_001}, "zip_codes"),
        ({"centre_zip": "78701"}, "radius_miles"),
        ({"radius_miles": 10}, "centre_zip"),
        ({"centre_zip": "00000", "radius_miles": 10}, "centre_zip"),
        ({"centre_zip": "Austin", "radius_miles": 10}, "centre_zip"),
        ({"centre_zip": "78701", "radius_miles": 0}, "radius_miles"),
        ({"centre_zip": "78701", "radius_miles": -5}, "radius_miles"),
        ({"centre_zip": "78701", "radius_miles": 101}, "radius_miles"),
        ({"centre_zip": "78701", "radius_miles": "far"}, "radius_miles"),
    ],
)
def test_a_bad_service_area_is_a_field_error_and_nothing_changes(hauler_api, hauler, body, field):
    response = hauler_api.put(AREA, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert all(isinstance(message, str) for message in response.json()[field])
    assert zips_of(hauler) == ["78701", "78702", "78703"]


@pytest.mark.django_db
def test_a_service_area_that_is_not_json_is_415(hauler_api, hauler):
    response = hauler_api.put(AREA, "zip_codes=78705", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert zips_of(hauler) == ["78701", "78702", "78703"]


# --- Rates ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rate_card_lists_every_rate_in_cents(hauler_api, rival):
    response = hauler_api.get(RATES)
    assert response.status_code == 200
    assert response.json() == [
        {"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 8_500, "extra_container_cents": 4_000}
    ]


@pytest.mark.django_db
def test_the_rate_card_is_replaced_whole_and_reads_back_the_same(hauler_api, hauler, rival):
    card = [
        {"waste_stream": "trash", "container": "dumpster_8yd", "price_cents": 14_000, "extra_container_cents": 9_000},
        {"waste_stream": "recycling", "container": "cart_96gal", "price_cents": 2_500},
        {"waste_stream": "cardboard", "container": "dumpster_4yd", "price_cents": 6_000, "extra_container_cents": 0},
    ]

    response = hauler_api.put(RATES, card, format="json")

    assert response.status_code == 200, response.json()
    expected = [
        {"waste_stream": "cardboard", "container": "dumpster_4yd", "price_cents": 6_000, "extra_container_cents": 0},
        {"waste_stream": "recycling", "container": "cart_96gal", "price_cents": 2_500, "extra_container_cents": 0},
        {"waste_stream": "trash", "container": "dumpster_8yd", "price_cents": 14_000, "extra_container_cents": 9_000},
    ]
    assert response.json() == expected
    assert hauler_api.get(RATES).json() == expected
    assert ("trash", "dumpster_4yd", 8_500, 4_000) not in card_of(hauler)  # left out, so no longer offered
    assert card_of(rival) == [("trash", "dumpster_4yd", 9_000, 4_000)]

    assert hauler_api.put(RATES, response.json(), format="json").json() == expected  # GET's shape is PUT's


@pytest.mark.django_db
def test_an_empty_rate_card_offers_nothing(hauler_api, hauler):
    assert hauler_api.put(RATES, [], format="json").json() == []
    assert card_of(hauler) == []


@pytest.mark.django_db
def test_one_row_the_service_refuses_changes_nothing(hauler_api, hauler):
    card = [
        {"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 1},
        {"waste_stream": "recycling", "container": "cart_96gal", "price_cents": 2_500},
        {"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 2},
    ]

    response = hauler_api.put(RATES, card, format="json")

    assert response.status_code == 400
    assert response.json() == {"rows.2": ["This stream and container appear twice."]}
    assert card_of(hauler) == [("trash", "dumpster_4yd", 8_500, 4_000)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "key"),
    [
        ({"container": "cart_96gal", "price_cents": 100}, "rows.1.waste_stream"),
        ({"waste_stream": "glass", "container": "cart_96gal", "price_cents": 100}, "rows.1.waste_stream"),
        ({"waste_stream": "trash", "container": "bucket", "price_cents": 100}, "rows.1.container"),
        ({"waste_stream": "trash", "container": "cart_96gal"}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": None}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": 0}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": -500}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": 12.5}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": "cheap"}, "rows.1.price_cents"),
        ({"waste_stream": "trash", "container": "cart_96gal", "price_cents": 10**12}, "rows.1.price_cents"),
        (
            {"waste_stream": "trash", "container": "cart_96gal", "price_cents": 100, "extra_container_cents": -1},
            "rows.1.extra_container_cents",
        ),
        ("trash, cart, $1", "rows.1"),
        (None, "rows.1"),
    ],
)
def test_a_bad_row_is_a_field_error_keyed_by_its_position_and_nothing_changes(hauler_api, hauler, row, key):
    card = [{"waste_stream": "recycling", "container": "cart_96gal", "price_cents": 2_500}, row]
    response = hauler_api.put(RATES, card, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [key]
    assert all(isinstance(message, str) for message in response.json()[key])
    assert card_of(hauler) == [("trash", "dumpster_4yd", 8_500, 4_000)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {"waste_stream": "trash", "container": "cart_96gal", "price_cents": 100},
        "trash",
        [{"waste_stream": "trash", "container": "cart_96gal", "price_cents": 100}] * 33,
    ],
)
def test_a_rate_card_that_is_not_a_list_of_rows_is_refused(hauler_api, hauler, body):
    response = hauler_api.put(RATES, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert card_of(hauler) == [("trash", "dumpster_4yd", 8_500, 4_000)]


@pytest.mark.django_db
def test_a_rate_card_that_is_not_json_is_415(hauler_api, hauler):
    response = hauler_api.put(RATES, "trash,dumpster_4yd,100", content_type="text/csv")
    assert response.status_code == 415
    assert card_of(hauler) == [("trash", "dumpster_4yd", 8_500, 4_000)]
