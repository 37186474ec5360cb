"""With payments on, a business without a usable card is told to add one before booking: website and API alike."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import services as market
from marketplace.models import Frequency, Pickup, ServicePlan
from tests import factories
from tests.marketplace.api.conftest import client_for

pytestmark = pytest.mark.django_db

NO_CARD = "Add a payment card before booking: pickups are charged to it once they are done."


@pytest.fixture
def quote(customer, location, in_area_hauler):
    return market.create_quote(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )


def test_the_quote_page_warns_and_booking_is_refused_without_a_card(owner_client, location, in_area_hauler, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(), "frequency": "once",
    }  # fmt: skip
    quote_page = owner_client.post(reverse("book"), form).content.decode()
    assert NO_CARD in quote_page and reverse("billing_card") in quote_page
    assert '<button type="submit" disabled>Book for' in quote_page  # a refusal is not offered as a choice
    quote = quote_page.split('action="/quotes/')[1].split("/")[0]

    response = owner_client.post(reverse("book_quote", args=[quote]))

    assert response.status_code == 409
    page = response.content.decode()
    assert NO_CARD in page
    # The card page returns to this quote once a card is saved.
    card = f"{reverse('billing_card')}?next=%2Fquotes%2F{quote}%2Fbook%2F"
    assert f'<a href="{card}" role="button">Go to your payment card</a>' in page
    assert not Pickup.objects.exists()


def test_a_recurring_booking_is_refused_too(owner_client, customer, location, in_area_hauler, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    quote = market.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3), frequency=Frequency.WEEKLY,
        weekdays=0b0000001,
    )  # fmt: skip

    response = owner_client.post(reverse("book_quote", args=[quote.pk]))

    assert response.status_code == 409
    assert NO_CARD in response.content.decode() and reverse("billing_card") in response.content.decode()
    assert not ServicePlan.objects.exists()


def test_a_paused_business_is_told_why(owner_client, customer, quote, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    factories.BillingAccountFactory(customer=customer, failed_payments=3, bookings_paused_at=timezone.now())

    response = owner_client.post(reverse("book_quote", args=[quote.pk]))

    assert response.status_code == 409
    assert "New bookings are paused: 3 payments in a row failed." in response.content.decode()
    assert reverse("billing_card") in response.content.decode()


def test_with_a_card_booking_goes_through(owner_client, customer, quote, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    factories.BillingAccountFactory(customer=customer)

    response = owner_client.post(reverse("book_quote", args=[quote.pk]))

    pickup = Pickup.objects.get()
    assert response["Location"] == f"{reverse('pickup_detail', args=[pickup.pk])}?booked=1"


def test_an_expired_quote_is_still_a_plain_conflict(owner_client, customer, quote, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    factories.BillingAccountFactory(customer=customer)
    quote.expires_at = timezone.now() - dt.timedelta(minutes=1)
    quote.save()

    response = owner_client.post(reverse("book_quote", args=[quote.pk]))

    assert response.status_code == 409
    assert "This quote has expired" in response.content.decode()
    assert reverse("billing_card") not in response.content.decode()


def test_with_payments_off_no_card_is_needed(owner_client, quote):
    response = owner_client.post(reverse("book_quote", args=[quote.pk]))
    assert response.status_code == 302 and Pickup.objects.count() == 1


def test_the_api_refuses_a_booking_without_a_card_with_409(customer_owner, quote, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"

    response = client_for(customer_owner).post("/api/v1/pickups/", {"quote": quote.pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": NO_CARD, "code": "conflict"}
    assert not Pickup.objects.exists()
