"""A hauler's fleet: trucks that say what they serve and carry, disposal sites with hours, drivers for a day."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from haulers import fleet
from haulers.models import DisposalSite, DriverAssignment, Truck
from tests import factories

TRUCK = {
    "name": "Truck 7", "kind": "front_load", "containers": ["dumpster_4yd", "cart_96gal"], "capacity_per_trip": 30,
    "stops_per_shift": 40, "shift_start": dt.time(6), "shift_end": dt.time(15),
}  # fmt: skip


@pytest.fixture
def hauler(db):
    return factories.HaulerFactory(name="Fleet Co", stops=0)


@pytest.mark.django_db
def test_a_truck_is_added_at_the_depot_with_its_containers_in_catalog_order(hauler):
    site = factories.DisposalSiteFactory(hauler=hauler)
    truck = fleet.add_truck(by=None, hauler=hauler, disposal_site_ids=[site.pk], **TRUCK)
    assert truck.containers == ["cart_96gal", "dumpster_4yd"]
    assert (truck.depot_latitude, truck.depot_longitude) == (hauler.depot_latitude, hauler.depot_longitude)
    assert list(truck.disposal_sites.all()) == [site]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"capacity_per_trip": 0}, "capacity_per_trip", "Capacity per trip must be between 1 and 200."),
        ({"capacity_per_trip": -5}, "capacity_per_trip", "Capacity per trip must be between 1 and 200."),
        ({"stops_per_shift": 0}, "stops_per_shift", "Stops per shift must be between 1 and 300."),
        ({"shift_end": dt.time(5)}, "shift_end", "The shift must end after it starts, on the same day."),
        ({"shift_end": dt.time(6)}, "shift_end", "The shift must end after it starts, on the same day."),
        ({"containers": []}, "containers", "Choose the containers this truck can serve."),
        ({"containers": ["skip_bin"]}, "containers", "Choose the containers this truck can serve."),
        ({"kind": "roll_off"}, "containers", "A roll-off truck hauls roll-off boxes only."),
        ({"containers": ["rolloff_20yd"]}, "containers", "Only a roll-off truck can haul roll-off boxes."),
        ({"name": "  "}, "name", "Give the truck a name, e.g. its number."),
        ({"kind": "tank"}, "kind", "Choose the kind of truck."),
    ],
)
@pytest.mark.django_db
def test_a_truck_that_cannot_work_is_refused_and_nothing_is_saved(hauler, changes, field, message):
    with pytest.raises(ValidationError) as refused:
        fleet.add_truck(by=None, hauler=hauler, **{**TRUCK, **changes})
    assert message in refused.value.message_dict[field]
    assert not Truck.objects.exists()


@pytest.mark.django_db
def test_trucks_tip_only_at_their_own_hauler_sites_and_names_are_unique(hauler):
    foreign = factories.DisposalSiteFactory(hauler=factories.HaulerFactory(name="Other", stops=0))
    with pytest.raises(ValidationError) as refused:
        fleet.add_truck(by=None, hauler=hauler, disposal_site_ids=[foreign.pk], **TRUCK)
    assert "Choose among your own disposal sites." in refused.value.message_dict["disposal_sites"]
    fleet.add_truck(by=None, hauler=hauler, **TRUCK)
    with pytest.raises(ValidationError, match="already have a truck of that name"):
        fleet.add_truck(by=None, hauler=hauler, **{**TRUCK, "name": "truck 7"})


@pytest.mark.django_db
def test_a_truck_is_changed_and_retired(hauler):
    truck = fleet.add_truck(by=None, hauler=hauler, **TRUCK)
    fleet.update_truck(by=None, truck=truck, active=False, **{**TRUCK, "stops_per_shift": 12})
    truck.refresh_from_db()
    assert (truck.stops_per_shift, truck.active) == (12, False)
    with pytest.raises(ValidationError):
        fleet.update_truck(by=None, truck=truck, **{**TRUCK, "capacity_per_trip": 0})
    truck.refresh_from_db()
    assert truck.capacity_per_trip == 30


SITE = {
    "name": "North Landfill", "kind": "landfill", "zip_code": "78725", "opens_at": dt.time(6),
    "closes_at": dt.time(17), "open_days": 0b0111111, "waste_streams": ["trash"],
}  # fmt: skip


@pytest.mark.django_db
def test_a_disposal_site_is_placed_at_its_zip_and_moves_with_it(hauler):
    site = fleet.add_disposal_site(by=None, hauler=hauler, **SITE)
    assert (site.zip_code, site.accepts("trash"), site.accepts("organics"), site.open_on(6)) == (
        "78725", True, False, False,
    )  # fmt: skip
    before = (site.latitude, site.longitude)
    fleet.update_disposal_site(by=None, site=site, **{**SITE, "zip_code": "78741"})
    site.refresh_from_db()
    assert (site.latitude, site.longitude) != before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"closes_at": dt.time(6)}, "closes_at"),
        ({"closes_at": dt.time(5)}, "closes_at"),
        ({"zip_code": "00000"}, "zip_code"),
        ({"open_days": 200}, "open_days"),
        ({"waste_streams": ["asbestos"]}, "waste_streams"),
        ({"kind": "volcano"}, "kind"),
    ],
)
@pytest.mark.django_db
def test_a_disposal_site_with_impossible_details_is_refused(hauler, changes, field):
    with pytest.raises(ValidationError) as refused:
        fleet.add_disposal_site(by=None, hauler=hauler, **{**SITE, **changes})
    assert field in refused.value.message_dict
    assert not DisposalSite.objects.exists()


@pytest.mark.django_db
def test_a_driver_drives_one_truck_a_day(hauler):
    first, second = (fleet.add_truck(by=None, hauler=hauler, **{**TRUCK, "name": name}) for name in ("T1", "T2"))
    driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver")
    day = dt.date(2026, 12, 2)
    fleet.assign_driver(by=None, truck=first, day=day, driver=driver)
    fleet.assign_driver(by=None, truck=second, day=day, driver=driver)  # the latest choice wins
    assert list(DriverAssignment.objects.values_list("truck", flat=True)) == [second.pk]
    stranger = factories.HaulerMembershipFactory()
    with pytest.raises(ValidationError, match="one of your team"):
        fleet.assign_driver(by=None, truck=first, day=day, driver=stranger)
    fleet.assign_driver(by=None, truck=second, day=day, driver=None)
    assert not DriverAssignment.objects.exists()
