"""A hauler's trucks through the API: list, add, replace, retire; bad input is a 400 that changes nothing, another
hauler's truck a 404."""

import datetime as dt

import pytest

from haulers.models import Truck
from tests import factories
from tests.marketplace.api.hauler.conftest import TRUCK_FIELDS, site_body, truck_body
from tests.marketplace.api.hauler.conftest import truck_row as row
from tests.marketplace.api.test_schema import assert_matches_schema

TRUCKS = "/api/v1/hauler/trucks/"
SITES = "/api/v1/hauler/disposal-sites/"


@pytest.mark.django_db
def test_the_trucks_are_yours_only_by_name_with_their_sites(
    hauler_api, hauler, truck, site, rival, openapi, django_assert_max_num_queries
):
    truck.disposal_sites.set([site])
    with django_assert_max_num_queries(6):  # token, membership, hauler, count, trucks, their sites
        response = hauler_api.get(TRUCKS)

    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body["results"]] == ["Front-load 1", "Roll-off 1"]
    assert body["results"][0] == {
        "id": truck.pk,
        "name": "Front-load 1",
        "kind": "front_load",
        "containers": truck.containers,
        "capacity_per_trip": 30,
        "stops_per_shift": 10,
        "shift_start": "06:00:00",
        "shift_end": "18:00:00",
        "depot_latitude": float(hauler.depot_latitude),
        "depot_longitude": float(hauler.depot_longitude),
        "disposal_sites": [site.pk],
        "active": True,
        "created_at": body["results"][0]["created_at"],
    }
    assert_matches_schema(openapi, body, path=TRUCKS, method="get", status=200)


@pytest.mark.django_db
def test_the_truck_list_is_a_constant_number_of_queries(hauler_api, hauler, django_assert_max_num_queries):
    for n in range(8):
        factories.TruckFactory(hauler=hauler, name=f"Spare {n}").disposal_sites.set(
            [factories.DisposalSiteFactory(hauler=hauler)]
        )
    with django_assert_max_num_queries(6):
        assert hauler_api.get(TRUCKS).json()["count"] == 10


@pytest.mark.django_db
def test_adding_a_truck_puts_it_at_the_depot_with_its_sites(hauler_api, hauler, site, openapi):
    response = hauler_api.post(TRUCKS, truck_body(disposal_sites=[site.pk]), format="json")

    assert response.status_code == 201, response.json()
    truck = Truck.objects.get(pk=response.json()["id"])
    assert truck.hauler == hauler
    assert row(truck) == (
        "Front-load 2",
        "front_load",
        ["dumpster_4yd", "dumpster_8yd"],  # in catalog order
        28,
        60,
        dt.time(5, 30),
        dt.time(14, 0),
        True,
        [site.pk],
    )
    assert (truck.depot_latitude, truck.depot_longitude) == (hauler.depot_latitude, hauler.depot_longitude)
    assert response.json()["containers"] == ["dumpster_4yd", "dumpster_8yd"]
    assert response.json()["disposal_sites"] == [site.pk]
    assert_matches_schema(openapi, response.json(), path=TRUCKS, method="post", status=201)
    assert hauler_api.get(f"{TRUCKS}{truck.pk}/").json() == response.json()


@pytest.mark.django_db
def test_a_roll_off_truck_hauls_boxes_and_seconds_are_read(hauler_api):
    body = truck_body(
        name="Roll-off 2", kind="roll_off", containers=["rolloff_30yd"], capacity_per_trip=1, shift_start="06:00:00"
    )
    response = hauler_api.post(TRUCKS, body, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["kind"], response.json()["shift_start"]) == ("roll_off", "06:00:00")


@pytest.mark.django_db
def test_a_dispatcher_manages_the_fleet_too(dispatcher_api, truck):
    assert dispatcher_api.get(TRUCKS).status_code == 200
    assert dispatcher_api.post(TRUCKS, truck_body(), format="json").status_code == 201
    assert dispatcher_api.put(f"{TRUCKS}{truck.pk}/", truck_body(name="Front-load 1"), format="json").status_code == 200
    assert dispatcher_api.post(SITES, site_body(), format="json").status_code == 201


@pytest.mark.django_db
def test_a_driver_neither_sees_nor_changes_the_fleet(member_api, truck):
    refused = member_api.post(TRUCKS, truck_body(), format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert "Only an owner or a dispatcher" in refused.json()["detail"]
    assert member_api.get(TRUCKS).status_code == 403
    assert member_api.put(f"{TRUCKS}{truck.pk}/", truck_body(name="Renamed"), format="json").status_code == 403
    truck.refresh_from_db()
    assert truck.name != "Renamed"


BAD_TRUCKS = [
    ({"capacity_per_trip": 0}, "capacity_per_trip"),
    ({"capacity_per_trip": -5}, "capacity_per_trip"),
    ({"capacity_per_trip": 201}, "capacity_per_trip"),
    ({"capacity_per_trip": 10**40}, "capacity_per_trip"),
    ({"capacity_per_trip": "lots"}, "capacity_per_trip"),
    ({"capacity_per_trip": 2.5}, "capacity_per_trip"),
    ({"capacity_per_trip": True}, "capacity_per_trip"),
    ({"capacity_per_trip": None}, "capacity_per_trip"),
    ({"stops_per_shift": 0}, "stops_per_shift"),
    ({"stops_per_shift": 301}, "stops_per_shift"),
    ({"shift_end": "05:00"}, "shift_end"),
    ({"shift_end": "05:30"}, "shift_end"),
    ({"shift_start": "6am"}, "shift_start"),
    ({"shift_start": "25:00"}, "shift_start"),
    ({"shift_start": 600}, "shift_start"),
    ({"shift_end": None}, "shift_end"),
    ({"containers": "dumpster_4yd"}, "containers"),
    ({"containers": ["bucket"]}, "containers"),
    ({"containers": ["dumpster_4yd", 4]}, "containers"),
    ({"containers": []}, "containers"),
    ({"containers": ["dumpster_4yd", "rolloff_20yd"]}, "containers"),
    ({"kind": "roll_off", "containers": ["dumpster_4yd"]}, "containers"),
    ({"kind": "tanker"}, "kind"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": ["Truck"]}, "name"),
    ({"name": "front-LOAD 1"}, "name"),  # the hauler's own truck's name, in other letters
    ({"disposal_sites": [0]}, "disposal_sites"),
    ({"disposal_sites": ["first"]}, "disposal_sites"),
    ({"disposal_sites": 3}, "disposal_sites"),
    ({"disposal_sites": [2**70]}, "disposal_sites"),
    ({"disposal_sites": [999_999]}, "disposal_sites"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), BAD_TRUCKS)
def test_a_bad_truck_is_a_field_error_and_nothing_is_added(hauler_api, hauler, openapi, changes, field):
    response = hauler_api.post(TRUCKS, truck_body(**changes), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert all(isinstance(message, str) for message in response.json()[field])
    assert_matches_schema(openapi, response.json(), path=TRUCKS, method="post", status=400)
    assert hauler.trucks.count() == 2


@pytest.mark.django_db
def test_the_rules_say_why(hauler_api):
    def errors(**changes):
        return hauler_api.post(TRUCKS, truck_body(**changes), format="json").json()

    assert errors(capacity_per_trip=0) == {"capacity_per_trip": ["Capacity per trip must be between 1 and 200."]}
    assert errors(shift_end="05:00") == {"shift_end": ["The shift must end after it starts, on the same day."]}
    assert errors(kind="roll_off") == {"containers": ["A roll-off truck hauls roll-off boxes only."]}
    assert errors(containers=["rolloff_20yd"]) == {"containers": ["Only a roll-off truck can haul roll-off boxes."]}
    assert errors(containers=["dumpster_4yd", "bucket"]) == {"containers": ['Item 1: "bucket" is not a valid choice.']}


@pytest.mark.django_db
def test_another_haulers_disposal_site_is_refused_and_nothing_is_added(hauler_api, hauler, rival_site, site):
    response = hauler_api.post(TRUCKS, truck_body(disposal_sites=[site.pk, rival_site.pk]), format="json")
    assert response.json() == {"disposal_sites": ["Choose among your own disposal sites."]}
    assert hauler.trucks.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("body", [[], "truck", [truck_body()], None])
def test_a_body_that_is_not_an_object_is_a_400(hauler_api, hauler, body):
    response = hauler_api.post(TRUCKS, body, format="json")
    assert response.status_code == 400
    assert hauler.trucks.count() == 2


@pytest.mark.django_db
def test_missing_truck_fields_are_all_named(hauler_api):
    response = hauler_api.post(TRUCKS, {}, format="json")
    assert set(response.json()) == set(TRUCK_FIELDS)


@pytest.mark.django_db
def test_a_truck_that_is_not_json_is_415(hauler_api, hauler):
    assert hauler_api.post(TRUCKS, truck_body()).status_code == 415  # multipart
    assert hauler.trucks.count() == 2


@pytest.mark.django_db
def test_replacing_a_truck_changes_it_whole(hauler_api, truck, site, openapi):
    truck.disposal_sites.set([site])
    body = truck_body(name="Front-load 1", containers=["cart_96gal"], capacity_per_trip=12, stops_per_shift=200)
    response = hauler_api.put(f"{TRUCKS}{truck.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert row(truck) == ("Front-load 1", "front_load", ["cart_96gal"], 12, 200, dt.time(5, 30), dt.time(14), True, [])
    assert response.json()["disposal_sites"] == []  # left out: none
    assert_matches_schema(openapi, response.json(), path="/api/v1/hauler/trucks/{id}/", method="put", status=200)


@pytest.mark.django_db
def test_a_truck_is_retired_and_brought_back(hauler_api, truck, site):
    retired = hauler_api.put(f"{TRUCKS}{truck.pk}/", truck_body(active=False, disposal_sites=[site.pk]), format="json")
    assert (retired.status_code, retired.json()["active"]) == (200, False)
    assert row(truck)[-2:] == (False, [site.pk])
    assert hauler_api.get(TRUCKS).json()["count"] == 2  # still listed

    back = hauler_api.put(f"{TRUCKS}{truck.pk}/", truck_body(), format="json")
    assert back.json()["active"] is True
    truck.refresh_from_db()
    assert truck.active


@pytest.mark.django_db
def test_a_get_can_be_put_back_as_it_is(hauler_api, truck, site):
    truck.disposal_sites.set([site])
    before = hauler_api.get(f"{TRUCKS}{truck.pk}/").json()
    after = hauler_api.put(f"{TRUCKS}{truck.pk}/", before, format="json")
    assert (after.status_code, after.json()) == (200, before)


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "field"), [*BAD_TRUCKS[:-6], ({"name": "roll-off 1"}, "name")])
def test_a_bad_replacement_is_a_field_error_and_changes_nothing(hauler_api, truck, site, changes, field):
    truck.disposal_sites.set([site])
    before = row(truck)
    body = truck_body(**{"name": "Front-load 1", "disposal_sites": [], "active": False, **changes})
    response = hauler_api.put(f"{TRUCKS}{truck.pk}/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert row(truck) == before


@pytest.mark.django_db
@pytest.mark.parametrize("changes", [{"active": "maybe"}, {"active": None}, {"disposal_sites": [-1]}])
def test_a_bad_replacement_of_the_status_or_sites_changes_nothing(hauler_api, truck, site, changes):
    truck.disposal_sites.set([site])
    before = row(truck)
    response = hauler_api.put(f"{TRUCKS}{truck.pk}/", truck_body(**changes), format="json")
    assert response.status_code == 400
    assert row(truck) == before


@pytest.mark.django_db
@pytest.mark.parametrize("truck_id", [999_999, 2**70])
def test_an_unknown_truck_is_404(hauler_api, truck_id):
    assert hauler_api.get(f"{TRUCKS}{truck_id}/").status_code == 404
    assert hauler_api.put(f"{TRUCKS}{truck_id}/", truck_body(), format="json").status_code == 404


@pytest.mark.django_db
def test_another_haulers_truck_is_404_and_untouched(hauler_api, rival, openapi):
    theirs = rival.trucks.get(name="Front-load 1")
    before = row(theirs)
    read = hauler_api.get(f"{TRUCKS}{theirs.pk}/")
    assert read.json() == {"detail": "No such truck.", "code": "not_found"}
    assert_matches_schema(openapi, read.json(), path="/api/v1/hauler/trucks/{id}/", method="get", status=404)
    written = hauler_api.put(f"{TRUCKS}{theirs.pk}/", truck_body(active=False), format="json")
    assert written.status_code == 404
    assert_matches_schema(openapi, written.json(), path="/api/v1/hauler/trucks/{id}/", method="put", status=404)
    assert row(theirs) == before
    assert [row["id"] for row in hauler_api.get(TRUCKS).json()["results"]] == list(
        Truck.objects.exclude(hauler=rival).order_by("name").values_list("pk", flat=True)
    )
