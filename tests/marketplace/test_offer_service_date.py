"""An offer carries its pickup's service date, which the day's capacity count reads: set wherever an offer is
made, moved with the pickup when it is rescheduled."""

import datetime as dt

import pytest
from django.utils import timezone

from marketplace import dispatch, matching, services
from marketplace.models import Offer
from tests import factories


@pytest.fixture
def market(location, in_area_hauler):
    second = factories.HaulerFactory(name="Second Best", zips=["78701"])
    factories.RateFactory(hauler=second, price_cents=9_000)
    return [in_area_hauler, second]


@pytest.fixture
def book(customer, location, run_on_commit, settings):
    settings.OFFER_FANOUT = 2

    def book(days_ahead=3):
        quote = services.create_quote(
            customer=customer,
            location=location,
            waste_stream="trash",
            container="dumpster_4yd",
            quantity=1,
            service_date=timezone.localdate() + dt.timedelta(days=days_ahead),
        )
        pickup = run_on_commit(services.book_quote, quote=quote, customer=customer)
        pickup.refresh_from_db()
        return pickup

    return book


def dates(pickup):
    return set(pickup.offers.values_list("service_date", flat=True))


@pytest.mark.django_db
def test_the_cascade_s_offers_carry_the_pickup_s_date(market, book):
    pickup = book()
    assert pickup.offers.count() == 2
    assert dates(pickup) == {pickup.service_date}


@pytest.mark.django_db
def test_an_offer_made_one_at_a_time_copies_the_date(market, book, staff_user):
    pickup = book()
    dispatch.assign_by_hand(pickup=pickup, hauler=market[1], by=staff_user)
    assert pickup.offers.get(status="accepted").service_date == pickup.service_date
    made = Offer.objects.create(pickup=pickup, hauler=market[0], payout_cents=1, answer_by=timezone.now())
    made.refresh_from_db()
    assert made.service_date == pickup.service_date


@pytest.mark.django_db
def test_rescheduling_moves_every_offer_s_date_and_the_day_it_counts_on(market, book, run_on_commit):
    pickup = book()
    old, new = pickup.service_date, pickup.service_date + dt.timedelta(days=2)
    ids = [hauler.pk for hauler in market]
    assert sum(map(len, matching.day_jobs(ids, old).values())) == 2

    run_on_commit(dispatch.reschedule, pickup=pickup, service_date=new)

    pickup.refresh_from_db()
    assert pickup.service_date == new
    assert pickup.offers.filter(status="withdrawn").count() == 2  # the old date's offers, moved with it
    assert dates(pickup) == {new}
    assert matching.day_jobs(ids, old) == {}
    assert sum(map(len, matching.day_jobs(ids, new).values())) == pickup.offers.filter(status="pending").count() > 0
