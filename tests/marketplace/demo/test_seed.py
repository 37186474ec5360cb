"""The demo data: Austin haulers and businesses, one login per role, safe to seed twice."""

import datetime as dt
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command

from core import geo
from core.models import User
from customers.models import Customer, ServiceLocation
from customers.models import Membership as CustomerMembership
from haulers.models import Credential, DisposalSite, Hauler, Rate, ServiceZip, Truck
from haulers.models import Membership as HaulerMembership
from marketplace.demo import market
from marketplace.demo.seed import seed_demo

TODAY = dt.date(2026, 3, 2)

pytestmark = pytest.mark.django_db


def natural_keys() -> dict[str, set]:
    return {
        "users": set(User.objects.values_list("email", "is_staff")),
        "customers": set(Customer.objects.values_list("name", "phone")),
        "locations": set(ServiceLocation.objects.values_list("customer__name", "name", "street", "zip_code")),
        "customer memberships": set(CustomerMembership.objects.values_list("customer__name", "email", "role")),
        "haulers": set(Hauler.objects.values_list("name", "status", "depot_zip", "reliability_score")),
        "trucks": set(Truck.objects.values_list("hauler__name", "name", "kind", "stops_per_shift")),
        "disposal sites": set(DisposalSite.objects.values_list("hauler__name", "name", "zip_code")),
        "hauler memberships": set(HaulerMembership.objects.values_list("hauler__name", "email", "role")),
        "credentials": set(Credential.objects.values_list("hauler__name", "kind", "number", "expires_on")),
        "service zips": set(ServiceZip.objects.values_list("hauler__name", "zip_code")),
        "rates": set(Rate.objects.values_list("hauler__name", "waste_stream", "container", "price_cents")),
    }


def test_seeding_twice_gives_the_same_rows():
    first = seed_demo(today=TODAY)
    keys = natural_keys()
    second = seed_demo(today=TODAY)

    assert natural_keys() == keys
    assert {k: v for k, v in second.items() if not k.endswith("_created")} == {
        k: v for k, v in first.items() if not k.endswith("_created")
    }
    assert (first["haulers_created"], first["customers_created"]) == (len(market.HAULERS), len(market.BUSINESSES))
    assert (second["haulers_created"], second["customers_created"]) == (0, 0)
    assert {name: len(rows) for name, rows in keys.items()} == {
        "users": first["users"],
        "customers": first["customers"],
        "locations": first["locations"],
        "customer memberships": first["customers"],
        "haulers": first["haulers"],
        "hauler memberships": first["haulers"],
        "credentials": first["credentials"],
        "service zips": first["service_zips"],
        "rates": first["rates"],
        "trucks": first["trucks"],
        "disposal sites": 2 * first["haulers"],
    }


def test_the_demo_logins_work(client):
    seed_demo(today=TODAY)

    assert client.login(email=market.BUSINESS_EMAIL, password=market.BUSINESS_PASSWORD)

    for _role, email, password in market.DEMO_LOGINS:
        assert authenticate(email=email, password=password) is not None, email
        address = EmailAddress.objects.get(email=email)
        assert address.verified and address.primary

    admin = User.objects.get(email=market.ADMIN_EMAIL)
    assert admin.is_staff and admin.is_superuser
    business = User.objects.get(email=market.BUSINESS_EMAIL).customer_membership
    assert business.role == "owner" and business.customer.name == market.BUSINESS_NAME
    hauler = User.objects.get(email=market.HAULER_EMAIL).hauler_membership.hauler
    assert hauler.name == market.HAULER_NAME and hauler.status == Hauler.Status.ACTIVE
    assert hauler.service_zips.filter(zip_code="78701").exists()
    # The demo hauler is the cheapest downtown, so the demo business's bookings are offered to it.
    downtown = Rate.objects.filter(
        hauler__service_zips__zip_code="78701", waste_stream="trash", container="dumpster_4yd"
    )
    assert downtown.order_by("price_cents").first().hauler == hauler


def test_the_market_has_a_realistic_mix_of_haulers():
    seed_demo(today=TODAY)

    assert 18 <= Hauler.objects.count() <= 22
    assert set(Hauler.objects.values_list("status", flat=True)) == {"pending", "active", "suspended"}
    assert Hauler.objects.filter(status="pending").count() == 2
    assert Hauler.objects.filter(status="suspended").count() == 1
    expired = Credential.objects.filter(kind=Credential.Kind.LICENCE, expires_on__lt=TODAY)
    assert expired.values("hauler").distinct().count() == 1
    assert not Credential.objects.filter(kind=Credential.Kind.INSURANCE, expires_on__lt=TODAY).exists()
    expiring = Credential.objects.filter(expires_on__gte=TODAY, expires_on__lte=TODAY + dt.timedelta(days=30))
    assert 2 <= expiring.count() <= 3
    demo_hauler = Hauler.objects.get(name=market.HAULER_NAME)
    assert demo_hauler.trucks.filter(kind=Truck.Kind.FRONT_LOAD).count() == 2  # its day is split between two
    for hauler in Hauler.objects.all():
        assert {c.kind for c in hauler.credentials.all()} == {"licence", "insurance"}
        trucks = list(hauler.trucks.all())
        assert trucks and all(4 <= truck.stops_per_shift <= 25 for truck in trucks)
        assert all(truck.disposal_sites.count() == 2 for truck in trucks)
        # A truck for each kind of work it prices: dumpsters and carts on one, roll-offs on another.
        priced = set(hauler.rates.values_list("container", flat=True))
        assert priced <= {container for truck in trucks for container in truck.containers}
        assert Decimal("0.700") <= hauler.reliability_score <= Decimal("0.990")
        assert hauler.service_zips.exists()
        assert hauler.rates.exists()
        assert geo.lookup(hauler.depot_zip).city == "Austin"
    # The price ranking differs between requests: several haulers quote downtown trash, at different prices.
    downtown = Rate.objects.filter(
        hauler__service_zips__zip_code="78701", waste_stream="trash", container="dumpster_4yd"
    )
    assert len(set(downtown.values_list("price_cents", flat=True))) >= 3


def test_every_business_is_in_austin():
    seed_demo(today=TODAY)

    assert 45 <= Customer.objects.count() <= 55
    for customer in Customer.objects.prefetch_related("locations", "memberships"):
        assert 1 <= len(customer.locations.all()) <= 3
        assert [m.role for m in customer.memberships.all()] == ["owner"]
    for location in ServiceLocation.objects.all():
        info = geo.lookup(location.zip_code)
        assert info is not None, location.zip_code
        assert (location.state, info.state, info.city, location.city) == ("TX", "TX", "Austin", "Austin")


def test_the_command_seeds_and_prints_the_logins(capsys):
    call_command("seed_demo")

    output = capsys.readouterr().out
    assert market.BUSINESS_EMAIL in output and market.HAULER_PASSWORD in output
    assert Customer.objects.filter(name=market.BUSINESS_NAME).count() == 1
    assert Hauler.objects.count() == len(market.HAULERS)
