"""factory_boy factories: a small cast in one real metro area (Austin, TX)."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import BillingAccount
from core import geo
from core.catalog import ROLL_OFFS, Container
from core.models import User
from core.permissions import OWNER
from customers.models import Customer, ServiceLocation
from customers.models import Membership as CustomerMembership
from haulers.models import Credential, DisposalSite, Hauler, Rate, ServiceZip, Truck
from haulers.models import Membership as HaulerMembership
from marketplace.models import Pickup

PASSWORD = "correct-horse-battery-staple"
DOWNTOWN_AUSTIN = "78701"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Business {n}")


class CustomerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerMembership

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda m: m.user.email)
    role = OWNER
    accepted_at = factory.LazyFunction(timezone.now)


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLocation

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    street = factory.Sequence(lambda n: f"{100 + n} Congress Ave")
    city = "Austin"
    state = "TX"
    zip_code = DOWNTOWN_AUSTIN
    latitude = factory.LazyAttribute(lambda o: geo.lookup(o.zip_code).latitude)
    longitude = factory.LazyAttribute(lambda o: geo.lookup(o.zip_code).longitude)
    timezone = factory.LazyAttribute(lambda o: geo.lookup(o.zip_code).timezone)


class HaulerFactory(factory.django.DjangoModelFactory):
    """An active, verified hauler. Pass zips=[...] and rates=True for a matchable one."""

    class Meta:
        model = Hauler
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Hauler {n}")
    status = Hauler.Status.ACTIVE
    depot_zip = "78702"
    depot_latitude = factory.LazyAttribute(lambda o: geo.lookup(o.depot_zip).latitude)
    depot_longitude = factory.LazyAttribute(lambda o: geo.lookup(o.depot_zip).longitude)
    working_days = 0b1111111  # every day, so tests do not depend on the day they run
    reliability_score = Decimal("0.900")
    verified_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def stops(obj, create, extracted, **kwargs):
        """A front-load truck for carts and dumpsters and a roll-off truck, each doing this many stops a shift
        (default 10); stops=0 for a hauler with no trucks."""
        if not create or extracted == 0:
            return
        per_shift = extracted or 10
        TruckFactory(hauler=obj, name="Front-load 1", stops_per_shift=per_shift)
        TruckFactory(
            hauler=obj, name="Roll-off 1", kind=Truck.Kind.ROLL_OFF, containers=sorted(ROLL_OFFS),
            capacity_per_trip=1, stops_per_shift=per_shift,
        )  # fmt: skip

    @factory.post_generation
    def zips(obj, create, extracted, **kwargs):
        if create and extracted:
            ServiceZip.objects.bulk_create([ServiceZip(hauler=obj, zip_code=code) for code in extracted])

    @factory.post_generation
    def credentials_until(obj, create, extracted, **kwargs):
        """Licence and insurance valid until this date (default: a year from today)."""
        if not create:
            return
        expires = extracted or (timezone.localdate() + dt.timedelta(days=365))
        for kind in Credential.Kind.values:
            Credential.objects.create(
                hauler=obj,
                kind=kind,
                number=f"{kind[:3].upper()}-{obj.pk}",
                issuer="City of Austin",
                valid_from=min(expires, timezone.localdate()) - dt.timedelta(days=365),
                expires_on=expires,
                verified_at=timezone.now(),
            )


class TruckFactory(factory.django.DjangoModelFactory):
    """A front-load truck serving carts and dumpsters, working 06:00-18:00 from its hauler's depot."""

    class Meta:
        model = Truck

    hauler = factory.SubFactory(HaulerFactory, stops=0)
    name = factory.Sequence(lambda n: f"Truck {n}")
    kind = Truck.Kind.FRONT_LOAD
    containers = factory.LazyFunction(lambda: [c for c in Container.values if c not in ROLL_OFFS])
    capacity_per_trip = 30
    stops_per_shift = 10
    shift_start = dt.time(6, 0)
    shift_end = dt.time(18, 0)
    depot_latitude = factory.LazyAttribute(lambda o: o.hauler.depot_latitude)
    depot_longitude = factory.LazyAttribute(lambda o: o.hauler.depot_longitude)


class DisposalSiteFactory(factory.django.DjangoModelFactory):
    """A landfill east of downtown Austin, open 06:00-17:00 every day but Sunday."""

    class Meta:
        model = DisposalSite

    hauler = factory.SubFactory(HaulerFactory, stops=0)
    name = factory.Sequence(lambda n: f"Landfill {n}")
    kind = DisposalSite.Kind.LANDFILL
    zip_code = "78725"
    latitude = factory.LazyAttribute(lambda o: geo.lookup(o.zip_code).latitude)
    longitude = factory.LazyAttribute(lambda o: geo.lookup(o.zip_code).longitude)


class HaulerMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HaulerMembership

    hauler = factory.SubFactory(HaulerFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.LazyAttribute(lambda m: m.user.email)
    role = OWNER
    accepted_at = factory.LazyFunction(timezone.now)


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rate

    hauler = factory.SubFactory(HaulerFactory)
    waste_stream = "trash"
    container = "dumpster_4yd"
    price_cents = 8_500
    extra_container_cents = 4_000


class PickupFactory(factory.django.DjangoModelFactory):
    """A one-time trash pickup next Monday-ish, scheduled with a hauler unless told otherwise."""

    class Meta:
        model = Pickup

    location = factory.SubFactory(LocationFactory)
    customer = factory.SelfAttribute("location.customer")
    hauler = factory.SubFactory(HaulerFactory)
    waste_stream = "trash"
    container = "cart_96gal"
    quantity = 1
    service_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    status = Pickup.Status.SCHEDULED
    price_cents = 3_000
    payout_cents = 2_400


class BillingAccountFactory(factory.django.DjangoModelFactory):
    """A business with a card on file (as if saved through Stripe; no Stripe call is made)."""

    class Meta:
        model = BillingAccount

    customer = factory.SubFactory(CustomerFactory)
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")
    payment_method_id = factory.Sequence(lambda n: f"pm_test{n:06d}")
    card_brand = "visa"
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = factory.LazyFunction(lambda: timezone.localdate().year + 3)


def in_window(pickup) -> dt.datetime:
    """9 AM on the pickup's date at its location: inside the default arrival window."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(pickup.service_date, dt.time(9, 0), tzinfo=ZoneInfo(pickup.location.timezone))
