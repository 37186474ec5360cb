"""A hauler's fleet: its trucks (what each serves, carries and works), the disposal sites they tip at, and drivers.

Each change takes `by`, the person acting (None for the platform): owners and dispatchers keep the fleet."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core import geo
from core.catalog import Container, WasteStream, is_roll_off
from core.permissions import require
from haulers.models import DisposalSite, DriverAssignment, Hauler, Membership, Truck

MAX_CAPACITY_PER_TRIP = 200  # cubic yards (a transfer trailer holds about 120) or roll-off boxes
MAX_STOPS_PER_SHIFT = 300
SITE_FIELDS = ("name", "kind", "zip_code", "opens_at", "closes_at", "open_days", "waste_streams")
TAKEN = "You already have a truck of that name."
TRUCK_FIELDS = ("name", "kind", "containers", "capacity_per_trip", "stops_per_shift", "shift_start", "shift_end")


def _check_truck(*, name: str, kind: str, containers: list[str], capacity_per_trip: int, stops_per_shift: int,
                 shift_start: dt.time, shift_end: dt.time) -> list[str]:  # fmt: skip
    """The truck's fields checked together; returns its containers in catalog order."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Give the truck a name, e.g. its number."
    if kind not in Truck.Kind.values:
        errors["kind"] = "Choose the kind of truck."
    unknown = [c for c in containers if c not in Container.values]
    if not containers or unknown:
        errors["containers"] = "Choose the containers this truck can serve."
    elif kind == Truck.Kind.ROLL_OFF and not all(is_roll_off(c) for c in containers):
        errors["containers"] = "A roll-off truck hauls roll-off boxes only."
    elif kind != Truck.Kind.ROLL_OFF and any(is_roll_off(c) for c in containers):
        errors["containers"] = "Only a roll-off truck can haul roll-off boxes."
    if not isinstance(capacity_per_trip, int) or not 1 <= capacity_per_trip <= MAX_CAPACITY_PER_TRIP:
        errors["capacity_per_trip"] = f"Capacity per trip must be between 1 and {MAX_CAPACITY_PER_TRIP}."
    if not isinstance(stops_per_shift, int) or not 1 <= stops_per_shift <= MAX_STOPS_PER_SHIFT:
        errors["stops_per_shift"] = f"Stops per shift must be between 1 and {MAX_STOPS_PER_SHIFT}."
    if shift_start is None or shift_end is None or shift_end <= shift_start:
        errors["shift_end"] = "The shift must end after it starts, on the same day."
    if errors:
        raise ValidationError(errors)
    return sorted(set(containers), key=Container.values.index)


def _sites_of(hauler: Hauler, site_ids) -> list[DisposalSite]:
    sites = list(DisposalSite.objects.filter(hauler=hauler, pk__in=list(site_ids or [])))
    if len(sites) != len(set(site_ids or [])):
        raise ValidationError({"disposal_sites": "Choose among your own disposal sites."})
    return sites


@transaction.atomic
def add_truck(*, hauler: Hauler, by, disposal_site_ids=(), **fields) -> Truck:
    """Add a truck, based at the hauler's depot, tipping at the given sites of its own."""
    require(user=by, organisation=hauler, action="fleet")
    fields["containers"] = _check_truck(**{name: fields.get(name) for name in TRUCK_FIELDS})
    fields["name"] = fields["name"].strip()
    sites = _sites_of(hauler, disposal_site_ids)
    if hauler.trucks.filter(name__iexact=fields["name"]).exists():
        raise ValidationError({"name": TAKEN})
    try:
        with transaction.atomic():  # the same name added twice at once: the constraint decides
            truck = Truck.objects.create(
                hauler=hauler, depot_latitude=hauler.depot_latitude, depot_longitude=hauler.depot_longitude, **fields
            )
    except IntegrityError:
        raise ValidationError({"name": TAKEN}) from None
    truck.disposal_sites.set(sites)
    return truck


@transaction.atomic
def update_truck(*, truck: Truck, by, disposal_site_ids=(), active: bool = True, **fields) -> Truck:
    """Change a truck's work, capacity, shift and sites; an inactive truck takes no new work."""
    require(user=by, organisation=truck.hauler, action="fleet")
    fields["containers"] = _check_truck(**{name: fields.get(name) for name in TRUCK_FIELDS})
    fields["name"] = fields["name"].strip()
    sites = _sites_of(truck.hauler, disposal_site_ids)
    if truck.hauler.trucks.filter(name__iexact=fields["name"]).exclude(pk=truck.pk).exists():
        raise ValidationError({"name": TAKEN})
    for name, value in fields.items():
        setattr(truck, name, value)
    truck.active = active
    try:
        with transaction.atomic():
            truck.save(update_fields=[*TRUCK_FIELDS, "active"])
    except IntegrityError:
        raise ValidationError({"name": TAKEN}) from None
    truck.disposal_sites.set(sites)
    return truck


def _check_site(*, name: str, kind: str, zip_code: str, opens_at: dt.time, closes_at: dt.time, open_days: int,
                waste_streams: list[str]) -> geo.ZipInfo:  # fmt: skip
    """The site's fields checked together; returns its ZIP's place."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Enter the site's name."
    if kind not in DisposalSite.Kind.values:
        errors["kind"] = "Choose the kind of site."
    info = geo.lookup(zip_code) if zip_code and len(zip_code) == 5 and zip_code.isdigit() else None
    if info is None:
        errors["zip_code"] = f"{zip_code or 'That'} is not a US ZIP code we know."
    if opens_at is None or closes_at is None or closes_at <= opens_at:
        errors["closes_at"] = "The site must close after it opens."
    if not isinstance(open_days, int) or not 0 <= open_days <= 0b1111111:
        errors["open_days"] = "Choose the days the site is open."
    if any(stream not in WasteStream.values for stream in waste_streams or []):
        errors["waste_streams"] = "Choose among the waste streams."
    if errors:
        raise ValidationError(errors)
    return info


def add_disposal_site(
    *, hauler: Hauler, by, address: str = "", latitude=None, longitude=None, **fields
) -> DisposalSite:
    """Add a disposal site (its street address is for people); placed at its ZIP's centre unless coordinates given."""
    require(user=by, organisation=hauler, action="fleet")
    fields["address"] = (address or "").strip()
    info = _check_site(**{name: fields.get(name) for name in SITE_FIELDS})
    if len(fields["address"]) > 300:
        raise ValidationError({"address": "Keep the address under 300 characters."})
    return DisposalSite.objects.create(
        hauler=hauler,
        latitude=latitude if latitude is not None else info.latitude,
        longitude=longitude if longitude is not None else info.longitude,
        **{**fields, "name": fields["name"].strip(), "waste_streams": list(fields.get("waste_streams") or [])},
    )


def update_disposal_site(
    *, site: DisposalSite, by, address: str = "", latitude=None, longitude=None, **fields
) -> DisposalSite:
    """Change a disposal site's details; a new ZIP moves it to that ZIP's centre unless coordinates are given."""
    require(user=by, organisation=site.hauler, action="fleet")
    fields["address"] = (address or "").strip()
    info = _check_site(**{name: fields.get(name) for name in SITE_FIELDS})
    moved = fields["zip_code"] != site.zip_code
    for name, value in fields.items():
        setattr(site, name, value)
    site.name = site.name.strip()
    site.waste_streams = list(site.waste_streams or [])
    if latitude is not None and longitude is not None:
        site.latitude, site.longitude = latitude, longitude
    elif moved:
        site.latitude, site.longitude = info.latitude, info.longitude
    site.save()
    return site


def assign_driver(*, truck: Truck, day: dt.date, driver: Membership | None, by) -> DriverAssignment | None:
    """Put a member of the hauler behind the wheel of a truck for a day (None: nobody assigned)."""
    require(user=by, organisation=truck.hauler, action="dispatch")
    with transaction.atomic():
        DriverAssignment.objects.filter(truck=truck, day=day).delete()
        if driver is None:
            return None
        if driver.hauler_id != truck.hauler_id or driver.user_id is None:
            raise ValidationError({"driver": "Choose one of your team who has joined."})
        DriverAssignment.objects.filter(driver=driver, day=day).delete()  # one truck a day: the latest choice wins
        try:
            return DriverAssignment.objects.create(truck=truck, day=day, driver=driver)
        except IntegrityError:
            raise ValidationError(
                {"driver": "Someone else assigned this truck at the same moment; try again."}
            ) from None
