"""A hauler's planned day for the page tests: two dumpster trucks, a landfill, jobs around Austin, planned."""

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from haulers import fleet
from haulers.models import Hauler, HaulerRole, Truck
from marketplace import routes, scheduling
from marketplace.models import Pickup, RouteStop
from marketplace.web.formatting import clock
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
ZIPS = ["78701", "78702", "78703", "78704", "78705", "78721", "78722", "78723", "78751", "78756", "78741", "78744"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


@dataclass
class Day:
    hauler: Hauler
    day: dt.date
    trucks: list[Truck]
    jobs: list[Pickup]
    owner: object
    driver: object  # a member driving trucks[0]
    extra: dict = field(default_factory=dict)

    def route_of(self, truck: Truck) -> list[RouteStop]:
        return list(
            RouteStop.objects.filter(route__plan__hauler=self.hauler, route__plan__day=self.day, route__truck=truck)
            .select_related("pickup__location", "disposal_site")
            .order_by("sequence")
        )

    def pickups_of(self, truck: Truck) -> list[Pickup]:
        return [stop.pickup for stop in self.route_of(truck) if stop.pickup_id]

    @staticmethod
    def arrival(stop: RouteStop) -> str:
        return clock(timezone.localtime(stop.arrives_at, AUSTIN))


@contextlib.contextmanager
def austin_morning() -> Iterator[dt.date]:
    """Today at 6 a.m. in Austin, the clock running: a day planned from now has all its windows ahead of it, so a
    test of today's route reads the same whenever it runs (today is re-planned from now, and by late afternoon
    little of a day is left to plan)."""
    today = scheduling.local_today("America/Chicago")
    with time_machine.travel(dt.datetime.combine(today, dt.time(6), AUSTIN), tick=True):
        yield today


def tomorrow() -> dt.date:
    return scheduling.local_today("America/Chicago") + dt.timedelta(days=1)


def add_jobs(
    hauler: Hauler, day: dt.date, count: int, *, start: int = 0, customer=None, container="dumpster_4yd", quantity=2
) -> list[Pickup]:
    customer = customer or factories.CustomerFactory(
        name="Congress Avenue Café", contact_name="Ana Reyes", contact_phone="512-555-0101"
    )
    jobs = []
    for index in range(start, start + count):
        location = factories.LocationFactory(
            customer=customer,
            zip_code=ZIPS[index % len(ZIPS)],
            street=f"{600 + index} Congress Ave",
            access_notes=f"Gate code {4500 + index}; bins behind the loading dock.",
        )
        jobs.append(
            factories.PickupFactory(
                location=location, hauler=hauler, service_date=day, container=container, quantity=quantity
            )
        )
    return jobs


def planned_day(*, jobs: int = 6, day: dt.date | None = None, stops_per_shift: int = 4, **job_fields) -> Day:
    """Two front-load trucks sharing a landfill, `jobs` scheduled dumpster jobs, the day planned."""
    day = day or tomorrow()
    hauler = factories.HaulerFactory(name="Eastside Hauling", zips=ZIPS, stops=0)
    site = factories.DisposalSiteFactory(hauler=hauler, name="Eastside Landfill", zip_code="78725")
    trucks = []
    for name in ("Truck 1", "Truck 2"):
        truck = factories.TruckFactory(hauler=hauler, name=name, stops_per_shift=stops_per_shift)
        truck.disposal_sites.add(site)
        trucks.append(truck)
    created = add_jobs(hauler, day, jobs, **job_fields)
    routes.plan_day(hauler_id=hauler.pk, day=day)
    owner = factories.HaulerMembershipFactory(hauler=hauler, user__full_name="Olga Owner").user
    driver = factories.HaulerMembershipFactory(hauler=hauler, role=HaulerRole.DRIVER, user__full_name="Dan Driver")
    fleet.assign_driver(by=None, truck=trucks[0], day=day, driver=driver)
    return Day(hauler=hauler, day=day, trucks=trucks, jobs=created, owner=owner, driver=driver.user)
