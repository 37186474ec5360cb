"""One recurring quote booked by many API requests at the same instant, on PostgreSQL: one plan, one 201."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from marketplace import services
from marketplace.models import Pickup, ServicePlan
from tests.services.test_booking_concurrency import REQUESTS, at_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_ten_api_bookings_of_one_plan_quote_at_once_answer_201_once_and_200_with_the_same_plan(
    postgres, customer, location, customer_owner, in_area_hauler
):
    start = timezone.localdate() + dt.timedelta(days=3)
    quote = services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=start, frequency="weekly", weekdays=1 << start.weekday(),
    )  # fmt: skip

    def book():
        client = APIClient()
        client.force_authenticate(user=customer_owner)
        response = client.post("/api/v1/plans/", {"quote": quote.pk}, format="json")
        return response.status_code, response.json().get("id")

    outcomes = at_once(book)

    plan = ServicePlan.objects.get(quote=quote)
    assert sorted(outcomes) == [(200, plan.pk)] * (REQUESTS - 1) + [(201, plan.pk)], outcomes
    assert ServicePlan.objects.filter(customer=customer).count() == 1
    assert Pickup.objects.filter(plan=plan).count() == 1  # one first visit
