"""The demo's money, when payments point at the local Stripe stand-in (`make run` starts one).

Every demo business saves the standard test card; the demo café's last week holds one completed trash pickup by the
demo hauler, charged through Stripe. The demo hauler has no payout account yet: setting one up from its earnings
page (the stand-in's onboarding page says yes at once) and `manage.py run_payouts` pay it. Safe to run again.
"""

import datetime as dt

from django.utils import timezone

from billing import cards
from billing.models import BillingAccount, Payment
from billing.stripe_gateway import test_cards_allowed
from customers.models import Customer
from haulers.models import Hauler, Rate
from marketplace import payments, pricing
from marketplace.demo.market import BUSINESS_NAME, HAULER_NAME
from marketplace.models import Pickup

TEST_CARD = "4242424242424242"


def seed_payments(*, today: dt.date | None = None) -> dict:
    """Cards for the demo businesses and one charged demo pickup; nothing unless test cards are allowed."""
    if not test_cards_allowed():
        return {}
    today = today or timezone.localdate()
    carded = set(BillingAccount.objects.exclude(payment_method_id="").values_list("customer_id", flat=True))
    saved = 0
    for customer in Customer.objects.exclude(pk__in=carded).order_by("pk"):
        cards.save_test_card(
            customer=customer, by=None, number=TEST_CARD, exp_month=12, exp_year=today.year + 3, cvc="123"
        )
        saved += 1
    cafe = Customer.objects.filter(name=BUSINESS_NAME).first()
    hauler = Hauler.objects.filter(name=HAULER_NAME).first()
    charged = 0
    if cafe and hauler and not Payment.objects.filter(customer=cafe, pickup__isnull=False).exists():
        charged = _completed_pickup(cafe, hauler, today - dt.timedelta(days=2)) is not None
    return {"cards_saved": saved, "pickups_charged": int(charged)}


def _completed_pickup(customer: Customer, hauler: Hauler, day: dt.date) -> Payment | None:
    """A trash pickup the hauler did on `day` (history, so written directly), then charged as any other."""
    rate = Rate.objects.filter(hauler=hauler, waste_stream="trash").order_by("price_cents").first()
    location = customer.locations.filter(archived_at__isnull=True).order_by("pk").first()
    if rate is None or location is None:
        return None
    done = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))
    pickup = Pickup.objects.create(
        customer=customer,
        location=location,
        hauler=hauler,
        waste_stream=rate.waste_stream,
        container=rate.container,
        quantity=1,
        service_date=day,
        status=Pickup.Status.COMPLETED,
        completed_at=done,
        price_cents=pricing.customer_price_cents(rate.price_cents),
        payout_cents=rate.price_cents,
    )
    return payments.charge_pickup(pickup_id=pickup.pk)
