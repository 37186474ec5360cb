"""Demo data in one real metro area (Austin, TX): haulers, businesses and one login per role.

Every random choice is drawn from random.Random(2026) into a plan *before* the database is
read, so the plan is the same on every run; rows are then found by natural key (a user's
email, an organisation's name) and an organisation that already exists is left alone.
"""

import datetime as dt
import random
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from core import geo
from core.catalog import Container, is_roll_off
from core.models import User
from customers import services as customer_services
from customers.models import Customer, ServiceLocation
from haulers import fleet
from haulers import services as hauler_services
from haulers.models import WEEKDAYS_MONDAY_TO_FRIDAY as MONDAY_TO_FRIDAY
from haulers.models import Credential, Hauler, Rate, ServiceZip, Truck
from marketplace.demo.market import (
    ACCESS_NOTES,
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AUSTIN_ZIPS,
    BASE_PRICE_CENTS,
    BUSINESS_EMAIL,
    BUSINESS_NAME,
    BUSINESS_PASSWORD,
    BUSINESSES,
    DISPOSAL_SITES,
    EXPIRED_LICENCE_HAULER,
    EXPIRING_SOON,
    FIRST_NAMES,
    HAULER_EMAIL,
    HAULER_NAME,
    HAULER_PASSWORD,
    HAULERS,
    INSURERS,
    LAST_NAMES,
    LICENCE_ISSUER,
    OFFERINGS,
    PENDING_HAULERS,
    ROLL_OFF,
    SEED,
    STREAM_FACTOR,
    STREETS,
    SUSPENDED_HAULERS,
)


@dataclass
class LocationPlan:
    name: str
    street: str
    zip_code: str
    access_notes: str


@dataclass
class BusinessPlan:
    name: str
    owner_email: str
    owner_name: str
    phone: str
    locations: list[LocationPlan]
    password: str | None = None


@dataclass
class CredentialPlan:
    kind: str
    number: str
    issuer: str
    valid_from: dt.date
    expires_on: dt.date


EVERY_DAY = 0b1111111


@dataclass
class HaulerPlan:
    name: str
    owner_email: str
    owner_name: str
    phone: str
    depot_zip: str
    stops_per_truck: int
    reliability_score: Decimal
    radius_miles: int | None
    zip_codes: list[str]
    rates: list[tuple[str, str, int, int]]
    credentials: list[CredentialPlan]
    status: str = Hauler.Status.ACTIVE
    suspension_reason: str = ""
    password: str | None = None
    working_days: int = EVERY_DAY


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _person(rng: random.Random, organisation: str) -> tuple[str, str]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return f"{first.lower()}.{last.lower()}@{_slug(organisation)}.example", f"{first} {last}"


def _phone(number: int) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in every US area code.
    return f"(512) 555-{number:04d}"


def _location(rng: random.Random, neighbourhood: str) -> LocationPlan:
    street, zip_code, lowest, highest = STREETS[neighbourhood]
    number = rng.randint(lowest // 2, highest // 2) * 2 + rng.randint(0, 1)
    notes = rng.choice(ACCESS_NOTES).format(code=rng.randint(1000, 9999))
    return LocationPlan(name=neighbourhood, street=f"{number} {street}", zip_code=zip_code, access_notes=notes)


def _plan_businesses(rng: random.Random) -> list[BusinessPlan]:
    plans = []
    for index, (name, home) in enumerate(BUSINESSES):
        email, full_name = _person(rng, name)
        count = rng.choice([1, 1, 1, 2, 2, 3])
        others = rng.sample(sorted(set(STREETS) - {home}), count - 1)
        plan = BusinessPlan(
            name=name,
            owner_email=email,
            owner_name=full_name,
            phone=_phone(120 + index),
            locations=[_location(rng, neighbourhood) for neighbourhood in [home, *others]],
        )
        if name == BUSINESS_NAME:
            plan.owner_email, plan.owner_name, plan.password = BUSINESS_EMAIL, "Dana Whitfield", BUSINESS_PASSWORD
            plan.locations = [
                LocationPlan(
                    "Downtown", "600 Congress Ave", "78701", "Carts in the alley behind the café, off E 6th St."
                ),
                LocationPlan("South Congress", "1412 S Congress Ave", "78704", "Dumpster enclosure; gate code 2026."),
            ]
        plans.append(plan)
    return plans


def _nearest_zips(depot_zip: str, count: int) -> list[str]:
    depot = geo.lookup(depot_zip)

    def distance(code: str) -> float:
        info = geo.lookup(code)
        return geo.miles_between(
            float(depot.latitude), float(depot.longitude), float(info.latitude), float(info.longitude)
        )

    return sorted(AUSTIN_ZIPS, key=lambda code: (distance(code), code))[:count]


def _round_cents(value: float) -> int:
    return max(50, round(value / 50) * 50)


def _plan_rates(rng: random.Random, offering: str, *, cheapest: bool) -> list[tuple[str, str, int, int]]:
    streams, containers = OFFERINGS[offering]
    price_level = rng.uniform(0.85, 1.2)
    if cheapest:
        # Below every other hauler even after the jitter (0.75 * 1.05 < 0.85 * 0.95), so the demo
        # hauler ranks first downtown and sees the demo business's bookings as offers.
        price_level = 0.75
    rates = []
    for stream in streams:
        for container in containers:
            # Not every hauler runs every size: some gaps make the ranking differ by request.
            if stream != streams[0] and rng.random() < 0.25:
                continue
            price = _round_cents(
                BASE_PRICE_CENTS[container] * STREAM_FACTOR[stream] * price_level * rng.uniform(0.95, 1.05)
            )
            extra_share = 0.85 if container in ROLL_OFF else rng.uniform(0.45, 0.65)
            rates.append((stream, container, price, _round_cents(price * extra_share)))
    return rates


def _plan_credentials(rng: random.Random, name: str, today: dt.date) -> list[CredentialPlan]:
    credentials = []
    for kind in (Credential.Kind.LICENCE, Credential.Kind.INSURANCE):
        valid_from = today - dt.timedelta(days=rng.randint(0, 300))
        expires_on = valid_from + dt.timedelta(days=364)  # a one-year credential, 65 to 364 days left
        if kind == Credential.Kind.LICENCE:
            number = f"PSWH-{today.year - rng.randint(0, 6)}-{rng.randint(100, 999)}"
            issuer = LICENCE_ISSUER
        else:
            number = f"CGL-{rng.randint(1_000_000, 9_999_999)}"
            issuer = rng.choice(INSURERS)
        soon = EXPIRING_SOON.get(name)
        if soon and soon[0] == kind:
            expires_on = today + dt.timedelta(days=soon[1])
            valid_from = expires_on - dt.timedelta(days=364)
        if name == EXPIRED_LICENCE_HAULER and kind == Credential.Kind.LICENCE:
            expires_on = today - dt.timedelta(days=9)
            valid_from = expires_on - dt.timedelta(days=364)
        credentials.append(CredentialPlan(kind, number, issuer, valid_from, expires_on))
    return credentials


def _plan_haulers(rng: random.Random, today: dt.date) -> list[HaulerPlan]:
    plans = []
    for index, (name, depot_zip, offering) in enumerate(HAULERS):
        email, full_name = _person(rng, name)
        by_radius = index % 3 != 1
        plan = HaulerPlan(
            name=name,
            owner_email=email,
            owner_name=full_name,
            phone=_phone(100 + index),
            depot_zip=depot_zip,
            stops_per_truck=rng.randint(4, 25),
            reliability_score=Decimal(rng.randint(700, 990)) / 1000,
            radius_miles=rng.randint(5, 15) if by_radius else None,
            zip_codes=[] if by_radius else _nearest_zips(depot_zip, rng.randint(6, 14)),
            rates=_plan_rates(rng, offering, cheapest=name == HAULER_NAME),
            credentials=_plan_credentials(rng, name, today),
        )
        # Most run Monday to Saturday, a few Monday to Friday; the demo hauler every day, so a demo
        # booking on any date finds it.
        plan.working_days = EVERY_DAY if name == HAULER_NAME else (MONDAY_TO_FRIDAY if index % 4 == 3 else 0b0111111)
        if name == HAULER_NAME:
            plan.owner_email, plan.owner_name, plan.password = HAULER_EMAIL, "Ray Delgado", HAULER_PASSWORD
            plan.radius_miles, plan.zip_codes = 10, []
        if name in PENDING_HAULERS:
            plan.status = Hauler.Status.PENDING
        if name in SUSPENDED_HAULERS:
            plan.status, plan.suspension_reason = Hauler.Status.SUSPENDED, SUSPENDED_HAULERS[name]
        plans.append(plan)
    return plans


def _user(*, email: str, full_name: str, password: str | None = None, staff: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        create = User.objects.create_superuser if staff else User.objects.create_user
        user = create(email, password, full_name=full_name)
    if password is not None:
        # A login shown in the README must work even when email verification is mandatory.
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def _seed_business(plan: BusinessPlan) -> bool:
    if Customer.objects.filter(name=plan.name).exists():
        return False
    owner = _user(email=plan.owner_email, full_name=plan.owner_name, password=plan.password)
    customer = customer_services.create_customer(owner=owner, name=plan.name, phone=plan.phone)
    for location in plan.locations:
        customer_services.add_location(
            customer=customer,
            by=owner,
            name=location.name,
            street=location.street,
            city="Austin",
            state="TX",
            zip_code=location.zip_code,
            access_notes=location.access_notes,
        )
    return True


def _seed_hauler(plan: HaulerPlan, *, staff: User) -> bool:
    if Hauler.objects.filter(name=plan.name).exists():
        return False
    owner = _user(email=plan.owner_email, full_name=plan.owner_name, password=plan.password)
    hauler = hauler_services.register_hauler(
        owner=owner,
        name=plan.name,
        depot_zip=plan.depot_zip,
        working_days=plan.working_days,
        phone=plan.phone,
    )
    # No use case sets the score: the market computes it from history, so the demo writes it directly.
    hauler.reliability_score = plan.reliability_score
    hauler.save(update_fields=["reliability_score"])
    if plan.radius_miles is not None:
        hauler_services.set_service_radius(
            hauler=hauler, by=owner, centre_zip=plan.depot_zip, radius_miles=plan.radius_miles
        )
    else:
        hauler_services.set_service_zips(hauler=hauler, by=owner, zip_codes=plan.zip_codes)
    for stream, container, price, extra in plan.rates:
        hauler_services.set_rate(
            hauler=hauler,
            by=owner,
            waste_stream=stream,
            container=container,
            price_cents=price,
            extra_container_cents=extra,
        )
    for item in plan.credentials:
        credential = hauler_services.add_credential(
            hauler=hauler,
            by=owner,
            kind=item.kind,
            number=item.number,
            issuer=item.issuer,
            valid_from=item.valid_from,
            expires_on=item.expires_on,
        )
        # A pending hauler's documents are what staff have yet to check.
        if plan.status != Hauler.Status.PENDING:
            hauler_services.verify_credential(credential=credential, by=staff)
    _seed_fleet(hauler, plan, by=owner)
    if plan.status != Hauler.Status.PENDING:
        hauler_services.verify_hauler(hauler=hauler, by=staff)
    if plan.status == Hauler.Status.SUSPENDED:
        hauler_services.suspend_hauler(hauler=hauler, by=staff, reason=plan.suspension_reason)
    return True


def _seed_fleet(hauler: Hauler, plan: HaulerPlan, *, by: User) -> None:
    """A truck for each kind of work the hauler prices, tipping at a landfill and a transfer station.

    The demo hauler runs two collection trucks, so its day is split and routed between them.
    """
    sites = [
        fleet.add_disposal_site(hauler=hauler, by=by, open_days=0b0111111, waste_streams=[], **site)
        for site in DISPOSAL_SITES
    ]
    priced = {container for _, container, _, _ in plan.rates}
    collected = [c for c in Container.values if c in priced and not is_roll_off(c)]
    hauled = [c for c in Container.values if c in priced and is_roll_off(c)]
    trucks = []
    if collected:
        count = 2 if plan.name == HAULER_NAME else 1
        trucks += [(f"Truck {n + 1}", Truck.Kind.FRONT_LOAD, collected, 30) for n in range(count)]
    if hauled:
        trucks.append(("Roll-off 1", Truck.Kind.ROLL_OFF, hauled, 1))
    for name, kind, containers, capacity in trucks:
        fleet.add_truck(
            hauler=hauler,
            by=by,
            name=name,
            kind=kind,
            containers=containers,
            capacity_per_trip=capacity,
            stops_per_shift=plan.stops_per_truck,
            shift_start=dt.time(6, 0),
            shift_end=dt.time(16, 0),
            disposal_site_ids=[site.pk for site in sites],
        )


@transaction.atomic
def seed_demo(*, today: dt.date | None = None) -> dict:
    """Create the Austin demo market (idempotent) and return row counts."""
    today = today or timezone.localdate()
    rng = random.Random(SEED)
    hauler_plans = _plan_haulers(rng, today)
    business_plans = _plan_businesses(rng)

    staff = _user(email=ADMIN_EMAIL, full_name="HaulMatch Admin", password=ADMIN_PASSWORD, staff=True)
    haulers_created = sum(_seed_hauler(plan, staff=staff) for plan in hauler_plans)
    customers_created = sum(_seed_business(plan) for plan in business_plans)
    return {
        "users": User.objects.count(),
        "customers": Customer.objects.count(),
        "locations": ServiceLocation.objects.count(),
        "haulers": Hauler.objects.count(),
        "credentials": Credential.objects.count(),
        "service_zips": ServiceZip.objects.count(),
        "rates": Rate.objects.count(),
        "trucks": Truck.objects.count(),
        "customers_created": customers_created,
        "haulers_created": haulers_created,
    }
