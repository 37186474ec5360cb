"""A hauler's roles hold in its services: drivers work their day, dispatchers run the day's work and the fleet,
owners alone set the commercial terms (rates, service area), the company's details, payouts and the team."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from core.errors import Forbidden
from haulers import fleet, services
from haulers.models import Membership
from tests import factories

TRUCK = {
    "name": "Truck 7", "kind": "front_load", "containers": ["dumpster_4yd"], "capacity_per_trip": 25,
    "stops_per_shift": 40, "shift_start": dt.time(6), "shift_end": dt.time(16),
}  # fmt: skip


@pytest.fixture
def crew(db):
    owner = factories.HaulerMembershipFactory(hauler__name="Eastside Hauling", hauler__stops=0, role="owner")
    hauler = owner.hauler
    return {
        "hauler": hauler,
        "owner": owner.user,
        "dispatcher": factories.HaulerMembershipFactory(hauler=hauler, role="dispatcher").user,
        "driver_seat": factories.HaulerMembershipFactory(hauler=hauler, role="driver"),
    }


def test_rates_and_the_service_area_are_the_owners(crew):
    hauler, dispatcher = crew["hauler"], crew["dispatcher"]
    rate = {"waste_stream": "trash", "container": "dumpster_4yd", "price_cents": 9_000}
    with pytest.raises(Forbidden, match="Only an owner of Eastside Hauling can change rates or the service area"):
        services.set_rate(hauler=hauler, by=dispatcher, **rate)
    with pytest.raises(Forbidden):
        services.set_rate_card(hauler=hauler, by=dispatcher, rows=[rate])
    with pytest.raises(Forbidden):
        services.set_service_zips(hauler=hauler, by=dispatcher, zip_codes=["78701"])
    with pytest.raises(Forbidden):
        services.set_service_radius(hauler=hauler, by=dispatcher, centre_zip="78701", radius_miles=5)
    assert not hauler.rates.exists() and not hauler.service_zips.exists()
    services.set_rate(hauler=hauler, by=crew["owner"], **rate)
    services.set_service_zips(hauler=hauler, by=crew["owner"], zip_codes=["78701"])
    assert hauler.rates.count() == 1 and hauler.service_zips.count() == 1


def test_the_company_details_and_credentials_are_the_owners(crew):
    hauler = crew["hauler"]
    with pytest.raises(Forbidden):
        services.update_operations(
            hauler=hauler, by=crew["dispatcher"], name="Renamed", phone="", depot_zip="78702", working_days=31
        )
    with pytest.raises(Forbidden):
        services.add_credential(
            hauler=hauler, by=crew["dispatcher"], kind="licence", number="L-1", issuer="Austin",
            valid_from=dt.date(2026, 1, 1), expires_on=dt.date(2027, 1, 1),
        )  # fmt: skip
    hauler.refresh_from_db()
    assert hauler.name == "Eastside Hauling"


def test_a_dispatcher_keeps_the_fleet_and_assigns_drivers_a_driver_does_neither(crew):
    hauler, driver_seat = crew["hauler"], crew["driver_seat"]
    with pytest.raises(Forbidden, match="Only an owner or a dispatcher"):
        fleet.add_truck(hauler=hauler, by=driver_seat.user, **TRUCK)
    truck = fleet.add_truck(hauler=hauler, by=crew["dispatcher"], **TRUCK)
    with pytest.raises(Forbidden):
        fleet.assign_driver(truck=truck, day=dt.date(2026, 12, 2), driver=driver_seat, by=driver_seat.user)
    assignment = fleet.assign_driver(truck=truck, day=dt.date(2026, 12, 2), driver=driver_seat, by=crew["dispatcher"])
    assert assignment.driver == driver_seat


def test_the_team_is_the_owners_and_a_handed_on_ownership_leaves_a_dispatcher(crew):
    hauler = crew["hauler"]
    with pytest.raises(Forbidden):
        services.invite_member(
            hauler=hauler, email="new@eastside.example", role="driver", invited_by=crew["dispatcher"]
        )
    invitation = services.invite_member(
        hauler=hauler, email="new@eastside.example", role="driver", invited_by=crew["owner"]
    )
    with pytest.raises(Forbidden):
        services.change_role(membership=invitation, role="dispatcher", by=crew["dispatcher"])
    services.change_role(membership=invitation, role="dispatcher", by=crew["owner"])
    services.transfer_ownership(membership=crew["driver_seat"], by=crew["owner"])
    roles = dict(hauler.memberships.values_list("email", "role"))
    assert roles[crew["driver_seat"].email] == "owner" and roles[crew["owner"].email] == "dispatcher"
    assert roles["new@eastside.example"] == "dispatcher"


@pytest.mark.django_db(transaction=True)
def test_todays_hauler_members_become_drivers():
    """Migration 0005: a member worked the truck they were assigned to and planned nothing, so a driver."""
    executor = MigrationExecutor(connection)
    before, after = (
        [("haulers", "0004_trucks_and_disposal_sites")],
        [("haulers", "0005_hauler_roles_member_becomes_driver")],
    )
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    hauler = old.get_model("haulers", "Hauler").objects.create(
        name="Old Hauling", depot_zip="78702", depot_latitude=30.26, depot_longitude=-97.71, working_days=31
    )
    Seats = old.get_model("haulers", "Membership")
    Seats.objects.create(hauler=hauler, email="boss@old.example", role="owner", token="t1")
    Seats.objects.create(hauler=hauler, email="crew@old.example", role="member", token="t2")

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor.loader.build_graph()
    assert dict(Membership.objects.values_list("email", "role")) == {
        "boss@old.example": "owner",
        "crew@old.example": "driver",
    }
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_dispatcher_reads_the_company_terms_without_the_forms_to_change_them(client, crew):
    client.force_login(crew["dispatcher"])
    pages = {
        "hauler_company": "Your company's owners change its details.",
        "hauler_credentials": "Your company's owners add licences and certificates.",
        "hauler_rates": "Your company's owners set its rates",
        "hauler_area": "Your company's owners set its service area",
    }
    for name, sentence in pages.items():
        page = client.get(reverse(name)).content.decode()
        assert sentence in page, name
        assert 'type="submit"' not in page.split("<main")[-1].split("</main>")[0], name
