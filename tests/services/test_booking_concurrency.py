"""One quote booked by many requests at the same instant, on PostgreSQL: one pickup, and one answer says created."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from marketplace import services
from marketplace.models import Pickup
from tests.services.threads import race

REQUESTS = 10

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def quote_for(customer, location):
    return services.create_quote(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )


def at_once(send) -> list:
    """`send()` from REQUESTS threads released together, each on its own connection; what each returned."""
    return race(send, REQUESTS)


def test_ten_api_bookings_of_one_quote_at_once_answer_201_once_and_200_with_the_same_pickup(
    postgres, customer, location, customer_owner, in_area_hauler
):
    quote = quote_for(customer, location)
    token = Token.objects.create(user=customer_owner).key

    def book():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")  # as a script sends it
        response = client.post("/api/v1/pickups/", {"quote": quote.pk}, format="json")
        return response.status_code, response.json().get("id")

    outcomes = at_once(book)

    pickup = Pickup.objects.get(quote=quote)
    assert sorted(outcomes) == [(200, pickup.pk)] * (REQUESTS - 1) + [(201, pickup.pk)], outcomes
    assert Pickup.objects.filter(customer=customer).count() == 1


def test_ten_website_bookings_of_one_quote_at_once_say_booked_once(
    postgres, customer, location, customer_owner, in_area_hauler
):
    quote = quote_for(customer, location)

    def book():
        client = Client()
        client.force_login(customer_owner)
        return client.post(reverse("book_quote", args=[quote.pk]))["Location"]

    outcomes = at_once(book)

    detail = reverse("pickup_detail", args=[Pickup.objects.get(quote=quote).pk])
    assert sorted(outcomes) == [detail] * (REQUESTS - 1) + [f"{detail}?booked=1"], outcomes
