"""Recurring service on the website: book weekly, see the plan, skip a visit, end it; strangers get 404."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from marketplace.models import Quote, ServicePlan
from tests import factories


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.django_db
def test_book_weekly_service_then_skip_and_end_it(owner_client, location, in_area_hauler, clock, run_on_commit):
    form = {
        "location": location.pk, "waste_stream": "recycling", "container": "dumpster_4yd", "quantity": 1,
        "frequency": "weekly", "service_date": "2026-11-23", "weekdays": ["0", "3"], "end_date": "",
    }  # fmt: skip
    factories.RateFactory(hauler=in_area_hauler, waste_stream="recycling", price_cents=5_000)
    page = owner_client.post(reverse("book"), form)
    assert page.status_code == 200
    assert "Per visit, every week" in page.content.decode()
    quote = Quote.objects.get()
    assert (quote.weekdays, quote.frequency) == (0b1001, "weekly")

    response = run_on_commit(owner_client.post, reverse("book_quote", args=[quote.pk]))
    plan = ServicePlan.objects.get()
    assert response["Location"] == reverse("plan_detail", args=[plan.pk]) + "?booked=1"
    detail = owner_client.get(response["Location"]).content.decode()
    assert "Monday, Thursday" in detail and "$60.00 per visit" in detail
    assert "Recurring service" in owner_client.get(reverse("dashboard")).content.decode()

    owner_client.post(reverse("plan_change", args=[plan.pk, "pause"]), {"start": "2026-11-23", "end": "2026-11-23"})
    assert plan.visits.get(plan_date=dt.date(2026, 11, 23)).status == "cancelled"  # no hauler held it yet
    asked = owner_client.post(reverse("plan_change", args=[plan.pk, "end"]), {"last_day": "2026-11-19"})
    assert "the whole plan is cancelled" in asked.content.decode()  # asked first, nothing changed yet
    plan.refresh_from_db()
    assert plan.status == ServicePlan.Status.PENDING
    owner_client.post(reverse("plan_change", args=[plan.pk, "end"]), {"last_day": "2026-11-19", "confirm": "yes"})
    plan.refresh_from_db()
    assert plan.status == ServicePlan.Status.CANCELLED  # ended before it began


@pytest.mark.django_db
def test_weekly_without_days_is_explained(owner_client, location, in_area_hauler, clock):
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "frequency": "weekly", "service_date": "2026-11-23",
    }  # fmt: skip
    response = owner_client.post(reverse("book"), form)
    assert response.status_code == 400
    assert "weekday" in response.content.decode().lower()
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_another_business_plan_is_not_found(owner_client, in_area_hauler):
    other = factories.LocationFactory()
    plan = ServicePlan.objects.create(
        customer=other.customer, location=other, waste_stream="trash", container="dumpster_4yd", quantity=1,
        frequency="weekly", weekdays=1, start_date=dt.date(2026, 11, 23), price_cents=100, payout_cents=50,
    )  # fmt: skip
    assert owner_client.get(reverse("plan_detail", args=[plan.pk])).status_code == 404
    response = owner_client.post(reverse("plan_change", args=[plan.pk, "end"]), {"last_day": "2026-11-30"})
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.end_date is None
