"""A driver closes the jobs on the route of the truck they drive that day; the office closes any of the hauler's."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import Forbidden
from haulers.models import DriverAssignment
from marketplace import services
from marketplace.models import DayPlan, Pickup, Route, RouteStop
from tests import factories

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo():
    return SimpleUploadedFile("bins.png", PNG, content_type="image/png")


@pytest.fixture
def day():
    hauler = factories.HaulerFactory(name="Eastside Hauling", zips=["78701"])
    first, second = hauler.trucks.order_by("pk")[:2]
    jobs = [factories.PickupFactory(hauler=hauler, service_date=timezone.localdate()) for _ in range(2)]
    plan = DayPlan.objects.create(hauler=hauler, day=jobs[0].service_date)
    now = timezone.now()
    for truck, job in zip((first, second), jobs, strict=True):
        route = Route.objects.create(plan=plan, truck=truck, starts_at=now, ends_at=now, distance_m=0)
        RouteStop.objects.create(
            route=route, sequence=1, kind=RouteStop.Kind.PICKUP, pickup=job, arrives_at=now, departs_at=now,
            load_after=1,
        )  # fmt: skip
    driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver")
    DriverAssignment.objects.create(truck=first, day=plan.day, driver=driver)
    # Within the jobs' window, so no reason for an early completion is asked: here it is who may close them.
    with time_machine.travel(factories.in_window(jobs[0])):
        yield {"hauler": hauler, "mine": jobs[0], "theirs": jobs[1], "driver": driver.user}


def test_a_driver_completes_a_job_on_their_route(day):
    services.complete_pickup(pickup_id=day["mine"].pk, hauler=day["hauler"], photo=photo(), by=day["driver"])
    assert Pickup.objects.get(pk=day["mine"].pk).status == Pickup.Status.COMPLETED


def test_a_driver_cannot_close_another_trucks_job(day):
    with pytest.raises(Forbidden, match="the truck they drive that day"):
        services.complete_pickup(pickup_id=day["theirs"].pk, hauler=day["hauler"], photo=photo(), by=day["driver"])
    with pytest.raises(Forbidden):
        services.report_exception(pickup_id=day["theirs"].pk, hauler=day["hauler"], reason="blocked", by=day["driver"])
    assert Pickup.objects.get(pk=day["theirs"].pk).status == Pickup.Status.SCHEDULED


def test_a_dispatcher_closes_any_job_of_the_hauler(day):
    dispatcher = factories.HaulerMembershipFactory(hauler=day["hauler"], role="dispatcher").user
    services.complete_pickup(pickup_id=day["theirs"].pk, hauler=day["hauler"], photo=photo(), by=dispatcher)
    assert Pickup.objects.get(pk=day["theirs"].pk).status == Pickup.Status.COMPLETED
