"""The demo hauler's working day, routed: a dozen jobs across Austin split between its two trucks.

Jobs are written as already scheduled (the demo's history of accepted offers), with prices from the
hauler's own rates and a mix of arrival windows, then the day is planned by the real router, so the
driver's day screen, the dispatcher's view and the route sheet have something to show. Safe to run
again: a day that already has the demo hauler's jobs is left as it is (and only re-planned if needed).
"""

import datetime as dt
import random

from django.conf import settings
from django.utils import timezone

from customers.models import ServiceLocation
from haulers.models import Hauler, Rate
from marketplace import pricing, routes
from marketplace.demo.market import HAULER_NAME, SEED
from marketplace.models import Pickup

JOBS = 12


def demo_day(hauler: Hauler) -> dt.date:
    """Today where the hauler works, until the first arrival window opens; after, its next working day.

    Today is re-planned from now (nothing before it), so a demo seeded at noon had this morning's windows no
    truck could reach any more: the day shown is one whose whole route is still ahead."""
    zone = routes.zone_of(hauler)
    now = timezone.now().astimezone(zone)
    day = now.date()
    if now.time() >= min(start for start, _ in settings.ARRIVAL_WINDOWS):
        day += dt.timedelta(days=1)
    while not hauler.works_on(day.weekday()):
        day += dt.timedelta(days=1)
    return day


def seed_day() -> dict:
    """Schedule the demo hauler's day (once) and plan its routes; returns what was made."""
    hauler = Hauler.objects.filter(name=HAULER_NAME).first()
    if hauler is None:
        return {}
    day = demo_day(hauler)
    created = 0
    if not Pickup.objects.filter(hauler=hauler, service_date=day).exists():
        created = _schedule(hauler, day)
    plan = routes.plan_day(hauler_id=hauler.pk, day=day, time_limit_s=2)
    return {"demo_day_jobs": created, "demo_day_km": round(plan.distance_m / 1000)}


def _schedule(hauler: Hauler, day: dt.date) -> int:
    rng = random.Random(SEED + day.toordinal())
    rates = list(Rate.objects.filter(hauler=hauler, container__startswith="dumpster").order_by("pk"))
    served = set(hauler.service_zips.values_list("zip_code", flat=True))
    locations = [
        location
        for location in ServiceLocation.objects.filter(archived_at__isnull=True).select_related("customer")
        if location.zip_code in served
    ]
    made = 0
    for location in rng.sample(locations, min(JOBS, len(locations))):
        rate = rng.choice(rates)
        start, end = rng.choice(settings.ARRIVAL_WINDOWS)
        Pickup.objects.create(
            customer=location.customer,
            location=location,
            hauler=hauler,
            waste_stream=rate.waste_stream,
            container=rate.container,
            quantity=1,
            service_date=day,
            window_start=start,
            window_end=end,
            status=Pickup.Status.SCHEDULED,
            price_cents=pricing.customer_price_cents(rate.price_cents),
            payout_cents=rate.price_cents,
        )
        made += 1
    return made
