"""A hauler's disposal sites through the API: list, add, replace; bad input is a 400 that changes nothing, another
hauler's site a 404."""

import datetime as dt
from decimal import Decimal

import pytest

from core import geo
from haulers.models import DisposalSite
from tests.marketplace.api.hauler.conftest import site_body, site_row
from tests.marketplace.api.test_schema import assert_matches_schema

SITES = "/api/v1/hauler/disposal-sites/"


@pytest.mark.django_db
def test_the_disposal_sites_are_yours_only(hauler_api, site, rival_site, openapi):
    response = hauler_api.get(SITES)
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": site.pk,
            "name": "Hornsby Bend",
            "kind": "landfill",
            "address": "",
            "zip_code": "78725",
            "latitude": float(site.latitude),
            "longitude": float(site.longitude),
            "opens_at": "06:00:00",
            "closes_at": "17:00:00",
            "open_days": 0b0111111,
            "waste_streams": [],
        }
    ]
    assert_matches_schema(openapi, response.json(), path=SITES, method="get", status=200)


@pytest.mark.django_db
def test_adding_a_site_places_it_at_its_zip_unless_told(hauler_api, hauler, openapi):
    response = hauler_api.post(SITES, site_body(address="9600 FM 812", waste_streams=["trash"]), format="json")

    assert response.status_code == 201, response.json()
    assert_matches_schema(openapi, response.json(), path=SITES, method="post", status=201)
    site = DisposalSite.objects.get(pk=response.json()["id"])
    centre = geo.lookup("78725")
    assert (site.hauler, site.name, site.kind, site.address) == (
        hauler,
        "Travis County Landfill",
        "landfill",
        "9600 FM 812",
    )
    assert (site.latitude, site.longitude) == (pytest.approx(centre.latitude), pytest.approx(centre.longitude))
    assert (site.opens_at, site.closes_at, site.open_days, site.waste_streams) == (
        dt.time(6),
        dt.time(17, 30),
        0b0111111,
        ["trash"],
    )

    placed = hauler_api.post(
        SITES, site_body(name="Recycler", kind="recycling_facility", latitude=30.2, longitude=-97.6), format="json"
    )
    assert placed.status_code == 201, placed.json()
    site = DisposalSite.objects.get(pk=placed.json()["id"])
    assert (site.latitude, site.longitude) == (Decimal("30.2"), Decimal("-97.6"))


BAD_SITES = [
    ({"closes_at": "06:00"}, "closes_at"),
    ({"closes_at": "05:00"}, "closes_at"),
    ({"opens_at": "noon"}, "opens_at"),
    ({"zip_code": "00000"}, "zip_code"),
    ({"zip_code": "7872"}, "zip_code"),
    ({"zip_code": "abcde"}, "zip_code"),
    ({"zip_code": 78725.5}, "zip_code"),
    ({"open_days": 128}, "open_days"),
    ({"open_days": -1}, "open_days"),
    ({"open_days": "weekdays"}, "open_days"),
    ({"waste_streams": ["glitter"]}, "waste_streams"),
    ({"waste_streams": "trash"}, "waste_streams"),
    ({"kind": "volcano"}, "kind"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"address": "x" * 301}, "address"),
    ({"latitude": 30.2}, "longitude"),
    ({"longitude": -97.6}, "latitude"),
    ({"latitude": 91, "longitude": 0}, "latitude"),
    ({"latitude": "north", "longitude": 0}, "latitude"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), BAD_SITES)
def test_a_bad_site_is_a_field_error_and_nothing_is_added(hauler_api, hauler, openapi, changes, field):
    response = hauler_api.post(SITES, site_body(**changes), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert_matches_schema(openapi, response.json(), path=SITES, method="post", status=400)
    assert not hauler.disposal_sites.exists()


@pytest.mark.django_db
def test_the_site_rules_say_why(hauler_api):
    response = hauler_api.post(SITES, site_body(closes_at="06:00", zip_code="00000"), format="json")
    assert response.json() == {
        "zip_code": ["00000 is not a US ZIP code we know."],
        "closes_at": ["The site must close after it opens."],
    }


@pytest.mark.django_db
def test_replacing_a_site_moves_it_with_its_zip_or_to_its_coordinates(hauler_api, site, openapi):
    url = f"{SITES}{site.pk}/"
    same_place = hauler_api.put(url, site_body(zip_code="78725", waste_streams=["recycling"]), format="json")
    assert same_place.status_code == 200, same_place.json()
    assert_matches_schema(
        openapi, same_place.json(), path="/api/v1/hauler/disposal-sites/{id}/", method="put", status=200
    )
    assert site_row(site)["name"] == "Travis County Landfill"
    assert site_row(site)["waste_streams"] == ["recycling"]

    moved = hauler_api.put(url, site_body(zip_code="78617"), format="json").json()
    centre = geo.lookup("78617")
    assert (moved["zip_code"], moved["latitude"], moved["longitude"]) == (
        "78617",
        pytest.approx(float(centre.latitude)),
        pytest.approx(float(centre.longitude)),
    )
    assert site_row(site)["waste_streams"] == []  # left out: all

    pinned = hauler_api.put(url, site_body(zip_code="78617", latitude=30.15, longitude=-97.61), format="json").json()
    assert (pinned["latitude"], pinned["longitude"]) == (30.15, -97.61)
    assert hauler_api.get(url).json() == pinned


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), BAD_SITES)
def test_a_bad_site_replacement_changes_nothing(hauler_api, site, changes, field):
    before = site_row(site)
    response = hauler_api.put(f"{SITES}{site.pk}/", site_body(**changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert site_row(site) == before


@pytest.mark.django_db
@pytest.mark.parametrize("site_id", [999_999, 2**70])
def test_an_unknown_site_is_404(hauler_api, site_id):
    assert hauler_api.get(f"{SITES}{site_id}/").status_code == 404
    assert hauler_api.put(f"{SITES}{site_id}/", site_body(), format="json").status_code == 404


@pytest.mark.django_db
def test_another_haulers_site_is_404_and_untouched(hauler_api, rival_site):
    before = site_row(rival_site)
    assert hauler_api.get(f"{SITES}{rival_site.pk}/").json()["code"] == "not_found"
    assert hauler_api.put(f"{SITES}{rival_site.pk}/", site_body(), format="json").status_code == 404
    assert site_row(rival_site) == before
    assert hauler_api.get(SITES).json()["count"] == 0
