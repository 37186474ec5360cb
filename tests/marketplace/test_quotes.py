"""Instant quotes and booking."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict, NotFound
from marketplace import services
from marketplace.models import Offer, Pickup, Quote, UnmetDemand
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")


def quote_for(customer, location, **overrides):
    values = {
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 1,
        "service_date": timezone.localdate() + dt.timedelta(days=3),
    }
    return services.create_quote(customer=customer, location=location, **{**values, **overrides})


@pytest.mark.django_db
def test_a_quote_is_the_best_haulers_price_plus_the_fee(customer, location, in_area_hauler, out_of_area_hauler):
    pricier = factories.HaulerFactory(zips=["78701"])
    factories.RateFactory(hauler=pricier, price_cents=9_900)

    quote = quote_for(customer, location, quantity=2)

    assert quote.payout_cents == 8_500 + 4_000  # in_area_hauler: $85 + one extra container at $40
    assert quote.price_cents == 12_500 + 2_500  # plus 20%
    assert quote.currency == "usd"
    assert quote.ranking == [
        {"hauler": in_area_hauler.pk, "payout_cents": 12_500},
        {"hauler": pricier.pk, "payout_cents": 9_900 + 4_000},
    ]
    assert quote.expires_at - timezone.now() == pytest.approx(dt.timedelta(hours=24), abs=dt.timedelta(seconds=5))


@pytest.mark.django_db
def test_no_hauler_is_a_clear_answer_and_the_demand_is_recorded(customer, location, out_of_area_hauler):
    with pytest.raises(services.NoHaulerAvailable, match="No hauler serves this yet"):
        quote_for(customer, location, container="rolloff_40yd")
    demand = UnmetDemand.objects.get()
    assert (demand.zip_code, demand.waste_stream, demand.container, demand.customer) == (
        "78701",
        "trash",
        "rolloff_40yd",
        customer,
    )
    assert not Quote.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"waste_stream": "glitter"}, "waste_stream"),
        ({"container": "bucket"}, "container"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 10_000}, "quantity"),
        ({"quantity": "2"}, "quantity"),
        ({"service_date": timezone.localdate() - dt.timedelta(days=1)}, "service_date"),
    ],
)
def test_bad_requests_get_field_errors(customer, location, in_area_hauler, overrides, field):
    with pytest.raises(ValidationError) as raised:
        quote_for(customer, location, **overrides)
    assert field in raised.value.message_dict
    assert not Quote.objects.exists()
    assert not UnmetDemand.objects.exists()


@pytest.mark.django_db
def test_another_business_location_is_not_found(customer, in_area_hauler):
    elsewhere = factories.LocationFactory()
    with pytest.raises(NotFound):
        quote_for(customer, elsewhere)


@pytest.mark.django_db
def test_an_archived_location_cannot_be_quoted(customer, location, in_area_hauler):
    from customers.services import archive_location

    archive_location(by=None, location=location)
    with pytest.raises(ValidationError) as raised:
        quote_for(customer, location)
    assert "archived" in raised.value.message_dict["location"][0]


@pytest.mark.django_db
def test_same_day_respects_the_minimum_notice(customer, location, in_area_hauler):
    # 15:30 in Austin: the default window ends at 17:00, inside the 2-hour notice
    with time_machine.travel(dt.datetime(2027, 3, 10, 15, 30, tzinfo=AUSTIN), tick=False):
        with pytest.raises(ValidationError) as raised:
            quote_for(customer, location, service_date=dt.date(2027, 3, 10))
        assert "at least 2 hours" in raised.value.message_dict["service_date"][0]
    # 09:00 the same day is fine
    with time_machine.travel(dt.datetime(2027, 3, 10, 9, 0, tzinfo=AUSTIN), tick=False):
        assert quote_for(customer, location, service_date=dt.date(2027, 3, 10)).price_cents > 0


@pytest.mark.django_db
def test_the_service_date_is_judged_in_the_locations_timezone(customer, location, in_area_hauler):
    # 02:00 UTC on the 11th is 20:00 on the 10th in Austin
    with time_machine.travel(dt.datetime(2027, 3, 11, 2, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(ValidationError):  # the 10th's window has ended in Austin
            quote_for(customer, location, service_date=dt.date(2027, 3, 10))
        assert quote_for(customer, location, service_date=dt.date(2027, 3, 11)).pk


@pytest.mark.django_db
def test_booking_snapshots_the_price_and_offers_the_cheapest_hauler(
    customer, customer_owner, location, in_area_hauler, django_capture_on_commit_callbacks
):
    quote = quote_for(customer, location)
    with django_capture_on_commit_callbacks(execute=True):
        pickup = services.book_quote(quote=quote, customer=customer, by=customer_owner)

    pickup.refresh_from_db()
    assert (pickup.price_cents, pickup.payout_cents, pickup.service_date) == (
        quote.price_cents,
        quote.payout_cents,
        quote.service_date,
    )
    assert pickup.status == Pickup.Status.OFFERED
    offer = pickup.offers.get()
    assert (offer.hauler, offer.status, offer.payout_cents) == (in_area_hauler, Offer.Status.PENDING, 8_500)

    # a later rate change never rewrites what was agreed
    in_area_hauler.rates.update(price_cents=1)
    pickup.refresh_from_db()
    assert pickup.payout_cents == 8_500


@pytest.mark.django_db
def test_booking_a_quote_twice_gives_one_pickup(customer, location, in_area_hauler):
    quote = quote_for(customer, location)
    first = services.book_quote(quote=quote, customer=customer)
    second = services.book_quote(quote=quote, customer=customer)
    assert first.pk == second.pk
    assert Pickup.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_quote_cannot_be_booked(customer, location, in_area_hauler):
    quote = quote_for(customer, location)
    later = timezone.now() + dt.timedelta(hours=24, seconds=1)
    with time_machine.travel(later), pytest.raises(Conflict, match="expired"):
        services.book_quote(quote=quote, customer=customer)
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_another_business_cannot_book_my_quote(customer, location, in_area_hauler):
    quote = quote_for(customer, location)
    with pytest.raises(NotFound):
        services.book_quote(quote=quote, customer=factories.CustomerFactory())
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_a_quote_for_a_location_archived_since_cannot_be_booked(customer, location, in_area_hauler):
    from customers.services import archive_location

    quote = quote_for(customer, location)
    archive_location(by=None, location=location)
    with pytest.raises(Conflict, match="archived"):
        services.book_quote(quote=quote, customer=customer)
    assert not Pickup.objects.exists()
