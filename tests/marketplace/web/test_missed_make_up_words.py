"""A no-show is made up by itself (marketplace/makeups.py), so no page should still ask the business to rebook it."""

import re

import pytest

from marketplace import followup, scheduling
from tests import factories


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.mark.django_db
def test_a_missed_pickup_with_its_make_up_on_the_way_asks_for_nothing(owner_client, customer, run_on_commit):
    location = customer.locations.get()
    missing = factories.HaulerFactory(name="No Show Hauling", zips=["78701"])
    factories.RateFactory(hauler=missing, price_cents=8_000)
    factories.RateFactory(hauler=factories.HaulerFactory(name="Reliable Roll-offs", zips=["78701"]), price_cents=9_000)
    pickup = factories.PickupFactory(
        customer=customer, location=location, hauler=missing, container="dumpster_4yd", price_cents=12_000,
        payout_cents=8_000, service_date=scheduling.local_today(location.timezone),
    )  # fmt: skip
    run_on_commit(followup.mark_missed, pickup_id=pickup.pk, now=pickup.window()[1] + followup.MISSED_AFTER_WINDOW)
    assert pickup.make_ups.get().offers.exists()

    page = text(owner_client.get(f"/pickups/{pickup.pk}/"))
    assert "A make-up visit is on its way" in page
    assert "pick another date" not in page
    dashboard = text(owner_client.get("/dashboard/"))
    assert "pick another date" not in dashboard and "Needs your attention" not in dashboard
    assert "was missed: a make-up visit is on its way" in dashboard
