"""The fleet pages: owners add and change trucks and disposal sites, members see them, strangers get nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from haulers.models import DisposalSite, HaulerRole, Truck
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def hauler():
    return factories.HaulerFactory(name="Eastside Hauling", zips=["78701", "78702"], stops=0)


@pytest.fixture
def owner_client(client, hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler).user)
    return client


@pytest.fixture
def member_client(client, hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler, role=HaulerRole.DRIVER).user)
    return client


def truck_form(**changes):
    form = {
        "name": "Truck 7", "kind": "front_load", "containers": ["dumpster_4yd", "dumpster_6yd"],
        "capacity_per_trip": "25", "stops_per_shift": "40", "shift_start": "06:00", "shift_end": "16:30",
    }  # fmt: skip
    return {**form, **changes}


def site_form(**changes):
    form = {
        "name": "Eastside Landfill", "kind": "landfill", "address": "9600 FM 812", "zip_code": "78719",
        "opens_at": "06:00", "closes_at": "17:00", "open_days": ["0", "1", "2", "3", "4", "5"], "waste_streams": [],
    }  # fmt: skip
    return {**form, **changes}


def test_an_owner_adds_a_truck_that_tips_at_its_sites(owner_client, hauler):
    site = factories.DisposalSiteFactory(hauler=hauler, name="Eastside Landfill")
    page = owner_client.get(reverse("hauler_trucks")).content.decode()
    assert "No trucks yet. Add your first truck to get offers" in page
    assert page.count('type="checkbox" name="containers"') == 8
    assert 'type="time" name="shift_start"' in page and "Eastside Landfill (Landfill)" in page

    response = owner_client.post(reverse("hauler_trucks"), truck_form(disposal_sites=[str(site.pk)]))

    assert response["Location"] == reverse("hauler_trucks")
    truck = hauler.trucks.get()
    assert (truck.name, truck.kind, truck.containers) == ("Truck 7", "front_load", ["dumpster_4yd", "dumpster_6yd"])
    assert (truck.capacity_per_trip, truck.stops_per_shift) == (25, 40)
    assert (truck.shift_start, truck.shift_end) == (dt.time(6, 0), dt.time(16, 30))
    assert list(truck.disposal_sites.all()) == [site]
    page = owner_client.get(reverse("hauler_trucks")).content.decode()
    assert "Added Truck 7." in page
    assert "4-yard dumpster, 6-yard dumpster" in page and "6:00 AM\u20134:30 PM" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": "roll_off"}, "containers", "A roll-off truck hauls roll-off boxes only."),
        ({"containers": []}, "containers", "Choose the containers this truck can serve."),
        ({"capacity_per_trip": "many"}, "capacity_per_trip", "Enter a whole number."),
        ({"capacity_per_trip": "0"}, "capacity_per_trip", "Capacity per trip must be between 1 and 200."),
        ({"shift_end": "05:00"}, "shift_end", "The shift must end after it starts, on the same day."),
        ({"shift_start": "7 o'clock"}, "shift_start", "Enter a valid time."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_a_bad_truck_is_refused_with_the_reason_by_its_field(owner_client, hauler, changes, field, message):
    response = owner_client.post(reverse("hauler_trucks"), truck_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors[field] == [message]
    assert not Truck.objects.exists()


def test_a_truck_name_is_one_per_hauler(owner_client, hauler):
    factories.TruckFactory(hauler=hauler, name="Truck 7")
    response = owner_client.post(reverse("hauler_trucks"), truck_form(name="truck 7"))
    assert response.status_code == 400
    assert "You already have a truck of that name." in response.content.decode()
    assert hauler.trucks.count() == 1


def test_an_owner_edits_a_truck_and_takes_it_out_of_service(owner_client, hauler):
    truck = factories.TruckFactory(hauler=hauler, name="Truck 1")
    page = owner_client.get(reverse("hauler_truck", args=[truck.pk])).content.decode()
    assert 'value="Truck 1"' in page and 'name="active"' in page and "checked" in page

    form = truck_form(name="Truck 1", containers=["cart_96gal"], stops_per_shift="120")  # "active" unticked
    response = owner_client.post(reverse("hauler_truck", args=[truck.pk]), form)

    assert response["Location"] == reverse("hauler_truck", args=[truck.pk])
    truck.refresh_from_db()
    assert (truck.containers, truck.stops_per_shift, truck.active) == (["cart_96gal"], 120, False)
    assert "It is out of service: it gets no new work." in owner_client.get(response["Location"]).content.decode()


def test_a_bad_edit_saves_nothing(owner_client, hauler):
    truck = factories.TruckFactory(hauler=hauler, name="Truck 1", stops_per_shift=10)
    form = truck_form(name="Truck 1", stops_per_shift="900", active="on")
    response = owner_client.post(reverse("hauler_truck", args=[truck.pk]), form)
    assert response.status_code == 400
    assert "Stops per shift must be between 1 and 300." in response.content.decode()
    truck.refresh_from_db()
    assert (truck.stops_per_shift, truck.containers[0]) == (10, "cart_96gal")


def test_a_driver_neither_sees_nor_changes_the_fleet(member_client, hauler):
    truck = factories.TruckFactory(hauler=hauler, name="Truck 1")
    refused = member_client.get(reverse("hauler_trucks"))
    assert refused.status_code == 403
    assert "Only an owner or a dispatcher of Eastside Hauling can" in refused.content.decode()
    assert member_client.get(reverse("hauler_truck", args=[truck.pk])).status_code == 403

    assert member_client.post(reverse("hauler_trucks"), truck_form()).status_code == 403
    assert member_client.post(reverse("hauler_truck", args=[truck.pk]), truck_form()).status_code == 403
    assert member_client.post(reverse("hauler_disposal_sites"), site_form()).status_code == 403
    assert list(hauler.trucks.values_list("name", flat=True)) == ["Truck 1"]
    assert not DisposalSite.objects.exists()


def test_another_haulers_truck_and_site_are_not_found(owner_client):
    other = factories.HaulerFactory(name="Round Rock Roll-offs", stops=0)
    truck = factories.TruckFactory(hauler=other)
    site = factories.DisposalSiteFactory(hauler=other)
    assert owner_client.get(reverse("hauler_truck", args=[truck.pk])).status_code == 404
    assert owner_client.post(reverse("hauler_truck", args=[truck.pk]), truck_form()).status_code == 404
    assert owner_client.get(reverse("hauler_disposal_site", args=[site.pk])).status_code == 404
    assert owner_client.post(reverse("hauler_disposal_site", args=[site.pk]), site_form()).status_code == 404
    truck.refresh_from_db()
    assert truck.name != "Truck 7"


def test_a_truck_cannot_tip_at_another_haulers_site(owner_client, hauler):
    theirs = factories.DisposalSiteFactory(hauler=factories.HaulerFactory(stops=0))
    response = owner_client.post(reverse("hauler_trucks"), truck_form(disposal_sites=[str(theirs.pk)]))
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not hauler.trucks.exists()


def test_the_fleet_is_for_the_haulers_people_only(client, customer_owner, hauler):
    assert client.get(reverse("hauler_trucks"))["Location"].startswith(reverse("account_login"))
    client.force_login(customer_owner)
    assert client.get(reverse("hauler_trucks")).status_code == 403
    assert client.get(reverse("hauler_disposal_sites")).status_code == 403


def test_an_owner_adds_a_disposal_site_with_its_days_and_streams(owner_client, hauler):
    page = owner_client.get(reverse("hauler_disposal_sites")).content.decode()
    assert page.count('type="checkbox" name="open_days"') == 7 and 'type="time" name="opens_at"' in page

    response = owner_client.post(reverse("hauler_disposal_sites"), site_form(waste_streams=["trash", "organics"]))

    assert response["Location"] == reverse("hauler_disposal_sites")
    site = hauler.disposal_sites.get()
    assert (site.name, site.kind, site.zip_code) == ("Eastside Landfill", "landfill", "78719")
    assert site.address == "9600 FM 812"
    assert (site.opens_at, site.closes_at, site.open_days) == (dt.time(6), dt.time(17), 0b0111111)
    assert site.waste_streams == ["trash", "organics"] and site.latitude is not None
    page = owner_client.get(reverse("hauler_disposal_sites")).content.decode()
    assert "Mon, Tue, Wed, Thu, Fri, Sat, 6:00 AM\u20135:00 PM" in page and "Trash, Organics" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"zip_code": "00000"}, "00000 is not a US ZIP code we know."),
        ({"closes_at": "05:00"}, "The site must close after it opens."),
        ({"kind": "volcano"}, "Select a valid choice. volcano is not one of the available choices."),
        ({"opens_at": ""}, "This field is required."),
    ],
)
def test_a_bad_disposal_site_is_refused(owner_client, hauler, changes, message):
    response = owner_client.post(reverse("hauler_disposal_sites"), site_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not DisposalSite.objects.exists()


def test_an_owner_edits_a_disposal_site(owner_client, hauler):
    site = factories.DisposalSiteFactory(hauler=hauler, name="Old Landfill")
    page = owner_client.get(reverse("hauler_disposal_site", args=[site.pk])).content.decode()
    assert 'value="Old Landfill"' in page
    form = site_form(name="Hornsby Bend", kind="recycling_facility", open_days=["0", "2", "4"])
    response = owner_client.post(reverse("hauler_disposal_site", args=[site.pk]), form)
    assert response["Location"] == reverse("hauler_disposal_sites")
    site.refresh_from_db()
    assert (site.name, site.kind, site.open_days) == ("Hornsby Bend", "recycling_facility", 0b10101)

    response = owner_client.post(reverse("hauler_disposal_site", args=[site.pk]), site_form(closes_at="05:00"))
    assert response.status_code == 400
    site.refresh_from_db()
    assert site.closes_at == dt.time(17)


def test_the_company_checklist_asks_for_a_truck_until_one_is_in_service(owner_client, hauler):
    page = owner_client.get(reverse("hauler_company")).content.decode()
    assert "Add your first truck to get offers" in page
    factories.TruckFactory(hauler=hauler)
    page = owner_client.get(reverse("hauler_company")).content.decode()
    assert "Trucks in service: 1" in page and "Add your first truck" not in page


def test_the_portal_menu_has_the_day_and_the_fleet(owner_client):
    page = owner_client.get(reverse("hauler_trucks")).content.decode()
    for url in ("hauler_day", "hauler_routes", "hauler_trucks", "hauler_disposal_sites"):
        assert f'href="{reverse(url)}"' in page


def test_a_dispatcher_changes_the_fleet(client, hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler, role=HaulerRole.DISPATCHER).user)
    assert client.post(reverse("hauler_trucks"), truck_form())["Location"] == reverse("hauler_trucks")
    assert client.post(reverse("hauler_disposal_sites"), site_form()).status_code == 302
    assert list(hauler.trucks.values_list("name", flat=True)) == ["Truck 7"]
    assert DisposalSite.objects.filter(hauler=hauler).count() == 1


def test_a_drivers_menu_has_no_dispatching(member_client):
    page = member_client.get(reverse("hauler_day")).content.decode()
    assert f'href="{reverse("hauler_day")}"' in page
    for office in ("hauler_routes", "hauler_offers", "hauler_rates", "hauler_trucks", "hauler_earnings"):
        assert f'href="{reverse(office)}"' not in page
