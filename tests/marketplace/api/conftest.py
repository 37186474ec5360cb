"""API fixtures: clients signed in with a real token, and quick ways to make quotes and pickups."""

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketplace import scheduling, services
from marketplace.models import Pickup
from tests import factories


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def api(customer_owner):
    """The owner of `customer` (with one location downtown), signed in with a token."""
    return client_for(customer_owner)


@pytest.fixture
def other_customer(db):
    """Another business, with a location in the same ZIP."""
    membership = factories.CustomerMembershipFactory(customer__name="Rival Diner")
    factories.LocationFactory(customer=membership.customer, name="Rival kitchen")
    return membership.customer


@pytest.fixture
def hauler_user(db):
    return factories.HaulerMembershipFactory().user


def in_days(days: int) -> dt.date:
    """A date counted from today where the test locations are (Austin), not from today in UTC."""
    return scheduling.local_today("America/Chicago") + dt.timedelta(days=days)


@pytest.fixture
def quote_body(location):
    def body(**overrides):
        return {
            "location": location.pk,
            "waste_stream": "trash",
            "container": "dumpster_4yd",
            "quantity": 1,
            "service_date": in_days(3).isoformat(),
            **overrides,
        }

    return body


@pytest.fixture
def make_quote(in_area_hauler):
    def make(customer, location=None, days=3):
        return services.create_quote(
            customer=customer,
            location=location or customer.locations.first(),
            waste_stream="trash",
            container="dumpster_4yd",
            quantity=1,
            service_date=in_days(days),
        )

    return make


@pytest.fixture
def make_pickups(db):
    """Rows straight into the table, for lists: `count` pickups from `days` ahead on, one a day."""

    def make(*, customer, count=1, days=3, status=Pickup.Status.REQUESTED, hauler=None, location=None):
        location = location or customer.locations.first()
        return Pickup.objects.bulk_create(
            Pickup(
                customer=customer,
                location=location,
                waste_stream="trash",
                container="dumpster_4yd",
                quantity=1,
                service_date=in_days(days + n),
                status=status,
                hauler=hauler,
                price_cents=10_200,
                payout_cents=8_500,
            )
            for n in range(count)
        )

    return make
