"""Lockouts on PostgreSQL: offers of different pickups lapsing at one instant for one hauler over the limit pause it
exactly once (the hauler row's lock counts them one after the other; the conditional update writes the pause once)."""

import datetime as dt

import pytest
from django.utils import timezone

from haulers.models import OfferPause
from marketplace import dispatch
from marketplace.models import Offer, Pickup
from tests import factories
from tests.services.threads import at_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_offers_lapsing_at_once_over_the_limit_pause_the_hauler_once(postgres, location, in_area_hauler):
    due = timezone.now() - dt.timedelta(minutes=1)
    offers = []
    for _ in range(8):  # the limit is 3: the fourth and every later one are over it
        pickup = factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.OFFERED)
        offers.append(Offer.objects.create(pickup=pickup, hauler=in_area_hauler, payout_cents=2_000, answer_by=due))

    outcomes = at_once(*[lambda offer=offer: dispatch.expire_offer(offer_id=offer.pk) for offer in offers])

    assert outcomes == [True] * 8
    assert OfferPause.objects.filter(hauler=in_area_hauler).count() == 1
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.offers_paused_until > timezone.now() + dt.timedelta(hours=23)
    assert Offer.objects.filter(hauler=in_area_hauler, status=Offer.Status.EXPIRED).count() == 8
