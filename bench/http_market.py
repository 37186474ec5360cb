"""The small, realistic market the HTTP bench drives: the Austin demo with a business and a hauler signed in.

Everything is made through the services, as the product makes it: seed_demo's haulers and businesses, the
demo hauler's day, quotes and bookings downtown over the next weeks (where the demo hauler is the cheapest, so
its offers come to it), some of them accepted, bin sensors reporting through one integration.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from core.models import User
from customers.models import Customer
from haulers.models import Hauler
from marketplace import dispatch, services
from marketplace.demo.day import seed_day
from marketplace.demo.market import BUSINESS_EMAIL, BUSINESS_NAME, HAULER_EMAIL, HAULER_NAME
from marketplace.demo.seed import seed_demo
from marketplace.models import Offer, Pickup
from sensors import integrations
from sensors import services as sensor_services
from sensors.models import Device

STREAM, CONTAINER = "trash", "dumpster_4yd"
DAYS_AHEAD = range(2, 62)
DEVICES = 20


@dataclass
class Market:
    business_token: str
    hauler_token: str
    business_cookie: str
    hauler_cookie: str
    integration_key: str
    location_id: int
    dates: list[dt.date]  # where the demo hauler is the cheapest for the request
    quote_ids: list[int] = field(default_factory=list)  # bookable
    pickup_ids: list[int] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    hauler_id: int = 0


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def seed(*, quotes_per_day: int, booked_per_day: int, accepted_per_day: int) -> Market:
    """Seed the market and sign its business and hauler in; ANALYZE after, as production's autovacuum would."""
    seed_demo()
    seed_day()
    customer = Customer.objects.get(name=BUSINESS_NAME)
    hauler = Hauler.objects.get(name=HAULER_NAME)
    business_user = User.objects.get(email=BUSINESS_EMAIL)
    hauler_user = User.objects.get(email=HAULER_EMAIL)
    location = customer.locations.get(zip_code="78701")
    today = timezone.localdate()
    dates, quote_ids, pickup_ids = [], [], []
    for days in DAYS_AHEAD:
        day = today + dt.timedelta(days=days)
        made = []
        for _ in range(quotes_per_day):
            quote = services.create_quote(
                customer=customer,
                location=location,
                waste_stream=STREAM,
                container=CONTAINER,
                quantity=1,
                service_date=day,
            )
            if quote.ranking[0]["hauler"] != hauler.pk:
                break
            made.append(quote)
        if len(made) < quotes_per_day:
            continue
        dates.append(day)
        for number, quote in enumerate(made):
            if number >= booked_per_day:
                quote_ids.append(quote.pk)
                continue
            pickup = services.book_quote(quote=quote, customer=customer, by=business_user)
            # The worker would do this after the booking commits; here the broker is in memory.
            offers = dispatch.dispatch_pickup(pickup_id=pickup.pk)
            mine = [offer for offer in offers if offer.hauler_id == hauler.pk]
            if mine and number < accepted_per_day:
                dispatch.accept_offer(offer_id=mine[0].pk, hauler=hauler, by=hauler_user)
            pickup_ids.append(pickup.pk)
    _, key = integrations.create_integration(name="Bench LoRaWAN", customer=customer)
    devices = []
    for number in range(DEVICES):
        device, _ = sensor_services.register_device(
            location=location, serial=f"BENCH-{number:03d}", waste_stream=STREAM, container=CONTAINER, by=None
        )
        Device.objects.filter(pk=device.pk).update(external_id=f"bench-bin-{number:03d}")
        devices.append(f"bench-bin-{number:03d}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Market(
        business_token=Token.objects.get_or_create(user=business_user)[0].key,
        hauler_token=Token.objects.get_or_create(user=hauler_user)[0].key,
        business_cookie=_session_cookie(business_user),
        hauler_cookie=_session_cookie(hauler_user),
        integration_key=key,
        location_id=location.pk,
        dates=dates,
        quote_ids=quote_ids,
        pickup_ids=pickup_ids,
        devices=devices,
        hauler_id=hauler.pk,
    )


def pending_offer_ids(*, hauler_id: int, exclude: set[int]) -> list[int]:
    """The hauler's open offers with a minute or more to answer (the mix's accepts), not already taken."""
    soon = timezone.now() + dt.timedelta(minutes=1)
    ids = Offer.objects.filter(
        hauler_id=hauler_id, status=Offer.Status.PENDING, answer_by__gt=soon, pickup__status=Pickup.Status.OFFERED
    ).values_list("pk", flat=True)
    return [pk for pk in ids if pk not in exclude]


def counts() -> dict[str, int]:
    """The rows the run touched, for the progress log."""
    return {
        "pickups": Pickup.objects.count(),
        "offers": Offer.objects.count(),
        "pending_offers": Offer.objects.filter(status=Offer.Status.PENDING).count(),
    }
