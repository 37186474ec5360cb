"""Hauler API fixtures: two haulers serving downtown (each with a front-load and a roll-off truck), each with a member
signed in by token, and quick ways to make offers and jobs for them; the schema to check answers against."""

import datetime as dt

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from haulers.models import DisposalSite, HaulerRole, Truck
from marketplace import services
from marketplace.models import Offer, Pickup
from tests import factories
from tests.marketplace.api.conftest import client_for

__all__ = [
    "TRUCK_FIELDS",
    "book",
    "hauler",
    "hauler_api",
    "hauler_owner",
    "make_jobs",
    "make_offers",
    "media",
    "member_api",
    "openapi",
    "rival",
    "rival_api",
    "rival_site",
    "site",
    "site_body",
    "site_row",
    "tiny_png",
    "truck",
    "truck_body",
    "truck_row",
]

# The PNG signature is all the upload check reads; what follows need not be a picture.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def hauler(in_area_hauler):
    """Downtown Disposal: serves 78701-78703, $85 for a 4-yard trash dumpster (the cheapest)."""
    return in_area_hauler


@pytest.fixture
def hauler_owner(hauler):
    return factories.HaulerMembershipFactory(hauler=hauler).user


@pytest.fixture
def hauler_api(hauler_owner):
    return client_for(hauler_owner)


@pytest.fixture
def member_api(hauler):
    """A driver of `hauler`: works the day, sets up nothing."""
    return client_for(factories.HaulerMembershipFactory(hauler=hauler, role=HaulerRole.DRIVER).user)


@pytest.fixture
def dispatcher_api(hauler):
    """A dispatcher of `hauler`: offers, jobs, routes and the fleet, not the commercial terms."""
    return client_for(factories.HaulerMembershipFactory(hauler=hauler, role=HaulerRole.DISPATCHER).user)


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def rival(db):
    """Second Best: serves 78701 too, at $90."""
    rival = factories.HaulerFactory(name="Second Best", zips=["78701"])
    factories.RateFactory(hauler=rival, price_cents=9_000)
    return rival


@pytest.fixture
def rival_api(rival):
    return client_for(factories.HaulerMembershipFactory(hauler=rival).user)


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded proof goes to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def tiny_png():
    return PNG


@pytest.fixture
def book(customer, location, make_quote, django_capture_on_commit_callbacks):
    """Book a pickup at the customer's location and run the cascade, as production does after commit."""

    def book(days: int = 3) -> Pickup:
        quote = make_quote(customer, location, days=days)
        with django_capture_on_commit_callbacks(execute=True):
            pickup = services.book_quote(quote=quote, customer=customer)
        pickup.refresh_from_db()
        return pickup

    return book


@pytest.fixture
def make_offers(customer, make_pickups):
    """Offered pickups straight into the tables, each with a pending offer to `hauler`, for lists."""

    def make(*, hauler, count: int = 1, days: int = 3, status=Offer.Status.PENDING) -> list[Offer]:
        pickups = make_pickups(customer=customer, count=count, days=days, status=Pickup.Status.OFFERED)
        answer_by = timezone.now() + dt.timedelta(hours=2)
        return Offer.objects.bulk_create(
            Offer(
                pickup=pickup,
                hauler=hauler,
                payout_cents=8_500,
                answer_by=answer_by,
                status=status,
                service_date=pickup.service_date,
            )
            for pickup in pickups
        )

    return make


@pytest.fixture
def make_jobs(customer, make_pickups):
    """Pickups the hauler holds, straight into the table: `count` from `days` ahead on, one a day."""

    def make(*, hauler, count: int = 1, days: int = 3, status=Pickup.Status.SCHEDULED, location=None):
        return make_pickups(customer=customer, count=count, days=days, status=status, hauler=hauler, location=location)

    return make


# --- The fleet --------------------------------------------------------------------------

TRUCK_FIELDS = ("name", "kind", "containers", "capacity_per_trip", "stops_per_shift", "shift_start", "shift_end")


def truck_body(**overrides) -> dict:
    return {
        "name": "Front-load 2",
        "kind": "front_load",
        "containers": ["dumpster_8yd", "dumpster_4yd"],
        "capacity_per_trip": 28,
        "stops_per_shift": 60,
        "shift_start": "05:30",
        "shift_end": "14:00",
        **overrides,
    }


def site_body(**overrides) -> dict:
    return {
        "name": "Travis County Landfill",
        "kind": "landfill",
        "zip_code": "78725",
        "opens_at": "06:00",
        "closes_at": "17:30",
        "open_days": 0b0111111,
        **overrides,
    }


def truck_row(truck: Truck) -> tuple:
    truck.refresh_from_db()
    return (
        *(getattr(truck, name) for name in TRUCK_FIELDS),
        truck.active,
        sorted(truck.disposal_sites.values_list("pk", flat=True)),
    )


def site_row(site: DisposalSite) -> dict:
    return DisposalSite.objects.filter(pk=site.pk).values().get()


@pytest.fixture
def truck(hauler):
    return hauler.trucks.get(name="Front-load 1")


@pytest.fixture
def site(hauler):
    return factories.DisposalSiteFactory(hauler=hauler, name="Hornsby Bend")


@pytest.fixture
def rival_site(rival):
    return factories.DisposalSiteFactory(hauler=rival, name="Rival Transfer")
