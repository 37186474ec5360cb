"""The market's side of a fleet change: a truck or disposal site added, changed or retired, or the depot or working
days changed, re-plans the hauler's upcoming days (capacity and routes follow the trucks). The rules of a truck
are haulers.fleet's, of a company's operations haulers.services'."""

from django.db import transaction

from haulers import fleet
from haulers import services as hauler_services
from haulers.models import DisposalSite, Hauler, Truck
from marketplace import routes


@transaction.atomic
def add_truck(*, hauler: Hauler, **fields) -> Truck:
    """Add a truck (see haulers.fleet.add_truck); the hauler's upcoming days are re-planned with it."""
    truck = fleet.add_truck(hauler=hauler, **fields)
    routes.fleet_changed(hauler_id=hauler.pk)
    return truck


@transaction.atomic
def update_truck(*, truck: Truck, **fields) -> Truck:
    """Change or retire a truck; its upcoming days are re-planned (a retired truck's pins no longer hold)."""
    truck = fleet.update_truck(truck=truck, **fields)
    routes.fleet_changed(hauler_id=truck.hauler_id)
    return truck


@transaction.atomic
def add_disposal_site(*, hauler: Hauler, **fields) -> DisposalSite:
    """Add a disposal site (trucks tip there once they list it)."""
    return fleet.add_disposal_site(hauler=hauler, **fields)


@transaction.atomic
def update_disposal_site(*, site: DisposalSite, **fields) -> DisposalSite:
    """Change a site's place or hours; the trucks tipping there re-plan their upcoming days."""
    site = fleet.update_disposal_site(site=site, **fields)
    routes.fleet_changed(hauler_id=site.hauler_id)
    return site


@transaction.atomic
def update_operations(*, hauler: Hauler, **fields) -> Hauler:
    """Change the company's depot and working days (see haulers.services); its upcoming days are re-planned."""
    hauler = hauler_services.update_operations(hauler=hauler, **fields)
    routes.fleet_changed(hauler_id=hauler.pk)
    return hauler
