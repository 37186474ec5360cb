"""The pickup page says when a make-up visit is on its way (and offers no move beside it), and a make-up's page says
what it makes up for and what it costs."""

import pytest
from django.urls import reverse

from marketplace import makeups
from marketplace.models import Pickup
from tests import factories


@pytest.fixture
def missed(customer, location):
    first = factories.HaulerFactory(name="Original Hauling", zips=["78701"])
    factories.RateFactory(hauler=first)
    other = factories.HaulerFactory(name="Second Best", zips=["78701"])
    factories.RateFactory(hauler=other, price_cents=9_000)
    return factories.PickupFactory(
        customer=customer, location=location, hauler=first, container="dumpster_4yd", status=Pickup.Status.MISSED,
        price_cents=12_000, payout_cents=8_500,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_missed_visit_shows_its_make_up_and_no_move(owner_client, missed, run_on_commit):
    before = owner_client.get(reverse("pickup_detail", args=[missed.pk])).content.decode()
    assert "Move to this date" in before and "make-up visit is on its way" not in before

    made = run_on_commit(makeups.book_make_up, pickup=missed, by=None, reason="Missed", same_hauler_first=False)
    page = owner_client.get(reverse("pickup_detail", args=[missed.pk])).content.decode()
    assert "A make-up visit is on its way" in page
    assert "at this visit&#x27;s price, $120.00" in page or "at this visit's price, $120.00" in page
    assert reverse("pickup_detail", args=[made.pk]) in page
    assert "Move to this date" not in page

    own = owner_client.get(reverse("pickup_detail", args=[made.pk])).content.decode()
    assert "This visit makes up for" in own and "It costs what that visit would have: $120.00." in own
    assert "Cancelling it is free." in own
