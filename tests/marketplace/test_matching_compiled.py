"""Matching through its compiled statements answers exactly as through the ORM's querysets, on the seeded market.

matching runs its three queries as core.compiled statements (the ORM's SQL, compiled once, new values bound).
Here the Austin demo market gets a busy day (scheduled pickups on planned routes, pending, declined and expired
offers) and every answer matching gives (quotes, the cascade's re-ranking of a pickup, an accept's eligibility
check, both rankings) is compared with the same call made through the ORM querysets built per call.
"""

import datetime as dt
import random

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from core.compiled import CompiledQuery
from customers.models import ServiceLocation
from haulers.models import Hauler, Rate
from marketplace import matching, routes
from marketplace.demo.seed import seed_demo
from marketplace.models import Offer, Pickup

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAYS = [TODAY + dt.timedelta(days=n) for n in (4, 5, 6)]  # three days in a row: a weekend among them or not


@pytest.fixture
def market():
    """The demo market with a busy book on DAYS."""
    seed_demo(today=TODAY)
    rng = random.Random(16)
    locations = list(ServiceLocation.objects.filter(archived_at__isnull=True).order_by("pk"))
    haulers = list(Hauler.objects.filter(status=Hauler.Status.ACTIVE).order_by("pk"))
    for day in DAYS:
        for hauler in haulers:
            for _ in range(rng.randint(0, 4)):
                book(rng, rng.choice(locations), day, hauler=hauler, status=Pickup.Status.SCHEDULED)
        for _ in range(15):  # offered around: pending with some haulers, answered no by others
            pickup = book(rng, rng.choice(locations), day, hauler=None, status=Pickup.Status.OFFERED)
            for hauler, status in zip(
                rng.sample(haulers, 4), ["pending", "pending", "declined", "expired"], strict=True
            ):
                Offer.objects.create(
                    pickup=pickup, hauler=hauler, status=status, payout_cents=pickup.payout_cents,
                    answer_by=timezone.now() + dt.timedelta(hours=1),
                )  # fmt: skip
        for hauler in haulers[::3]:
            routes.plan_day(hauler_id=hauler.pk, day=day, time_limit_s=0.1)
    return locations


def book(rng, location, day, *, hauler, status) -> Pickup:
    start, end = rng.choice(settings.ARRIVAL_WINDOWS)
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, status=status, service_date=day,
        waste_stream="trash", container=rng.choice(["dumpster_4yd", "dumpster_6yd", "cart_96gal"]),
        quantity=rng.randint(1, 2), window_start=start, window_end=end, price_cents=12_000, payout_cents=9_000,
    )  # fmt: skip


def quote_requests(locations) -> list[matching.Request]:
    rng = random.Random(2026)
    services = sorted(set(Rate.objects.values_list("waste_stream", "container")))
    return [
        matching.Request.at(
            rng.choice(locations),
            waste_stream=stream,
            container=container,
            quantity=rng.randint(1, 3),
            service_date=rng.choice(DAYS),
            window=tuple(rng.choice(settings.ARRIVAL_WINDOWS)),
        )
        for stream, container in rng.choices(services, k=60)
    ]


def answers(requests, pickups, haulers) -> dict:
    """Everything matching says about the market, as callers see it, ranked by depot distance and route-aware."""
    found = {}
    for route_aware in (False, True):
        with override_settings(MATCH_ROUTE_AWARE=route_aware):
            found[route_aware, "quotes"] = [matching.ranked_haulers(request) for request in requests]
            found[route_aware, "cascade"] = [
                matching.ranked_haulers(matching.Request.for_pickup(pickup), pickup=pickup) for pickup in pickups
            ]
    found["accepts"] = [
        matching.is_eligible(matching.Request.for_pickup(pickup), hauler_id=hauler, pickup=pickup, offers=offers)
        for pickup in pickups[:5]
        for hauler in haulers
        for offers in (True, False)
    ]
    found["days"] = [matching.day_jobs(haulers, day, offers=offers) for day in DAYS for offers in (True, False)]
    return found


def test_matching_answers_as_the_orm_querysets_do(market, monkeypatch):
    requests = quote_requests(market)
    pickups = list(Pickup.objects.filter(status=Pickup.Status.OFFERED).order_by("pk")[:20])
    haulers = list(Hauler.objects.order_by("pk").values_list("pk", flat=True))
    compiled = answers(requests, pickups, haulers)
    with monkeypatch.context() as orm:  # as matching ran before: each queryset built and run by the ORM
        orm.setattr(CompiledQuery, "rows", lambda self, **values: list(self.build(**values)))
        built = answers(requests, pickups, haulers)

    assert compiled == built
    # and the market exercised what could differ: many candidates, none, answered offers, full days, routes
    sizes = [len(ranked) for ranked in compiled[False, "quotes"]]
    assert max(sizes) >= 5 and 0 in sizes
    assert compiled[False, "quotes"] != compiled[True, "quotes"]
    assert any(compiled["accepts"]) and not all(compiled["accepts"])
    jobs = [job for found in compiled["days"] for held in found.values() for job in held]
    assert any(job.truck_id is not None for job in jobs) and any(job.truck_id is None for job in jobs)
