"""Destructive actions ask first: cancelling a pickup names its fee, ending a plan names the visits it drops."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from core.templatetags.money import dollars
from marketplace import scheduling
from marketplace.models import Pickup, ServicePlan


def make_pickup(location, *, status=Pickup.Status.REQUESTED, days_ahead=3, hauler=None):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1,
        service_date=scheduling.local_today(location.timezone) + dt.timedelta(days=days_ahead),
        status=status, price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


@pytest.mark.django_db
def test_the_pickup_page_links_to_a_question_not_a_one_click_cancel(owner_client, location):
    pickup = make_pickup(location)
    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()
    assert f'<a href="/pickups/{pickup.pk}/cancel/" role="button" class="contrast">Cancel this pickup…</a>' in page
    assert not re.search(rf'<form[^>]*action="/pickups/{pickup.pk}/cancel/"', page)


@pytest.mark.django_db
def test_cancelling_asks_first_and_only_the_confirmation_cancels(owner_client, location):
    pickup = make_pickup(location)
    asked = owner_client.get(reverse("pickup_cancel", args=[pickup.pk]))
    assert asked.status_code == 200
    assert f"Cancel pickup #{pickup.pk}?" in asked.content.decode()
    assert "Cancelling is free:</strong> no hauler has taken it yet." in asked.content.decode()

    owner_client.post(reverse("pickup_cancel", args=[pickup.pk]))  # a bare POST (an old page) only asks
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.REQUESTED

    done = owner_client.post(reverse("pickup_cancel", args=[pickup.pk]), {"confirm": "yes", "fee_cents": "0"})
    assert done["Location"] == reverse("pickup_detail", args=[pickup.pk])
    pickup.refresh_from_db()
    assert (pickup.status, pickup.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 0)


@pytest.mark.django_db
def test_a_late_cancellation_names_the_fee_before_it_is_charged(owner_client, location, in_area_hauler):
    pickup = make_pickup(location, status=Pickup.Status.SCHEDULED, hauler=in_area_hauler, days_ahead=3)
    start, _ = pickup.window()
    with time_machine.travel(start - dt.timedelta(hours=5), tick=False):
        page = owner_client.get(reverse("pickup_cancel", args=[pickup.pk])).content.decode()
        fee = dollars(min(settings.CANCELLATION_FEE_CENTS, pickup.price_cents))
        assert f"A late-cancellation fee of {fee} applies." in page
        assert f"Cancel and pay {fee}" in page
        owner_client.post(reverse("pickup_cancel", args=[pickup.pk]), {"confirm": "yes", "fee_cents": "0"})
        pickup.refresh_from_db()
        assert pickup.status == Pickup.Status.SCHEDULED  # shown free, now costs: asked again, not charged
        fee_cents = min(settings.CANCELLATION_FEE_CENTS, pickup.price_cents)
        owner_client.post(reverse("pickup_cancel", args=[pickup.pk]), {"confirm": "yes", "fee_cents": fee_cents})
    pickup.refresh_from_db()
    assert (pickup.status, pickup.cancellation_fee_cents) == (Pickup.Status.CANCELLED, fee_cents)


@pytest.mark.django_db
def test_a_pickup_that_cannot_be_cancelled_says_why_instead_of_asking(owner_client, location):
    pickup = make_pickup(location, status=Pickup.Status.CANCELLED)
    page = owner_client.get(reverse("pickup_cancel", args=[pickup.pk])).content.decode()
    assert "A cancelled pickup cannot be cancelled." in page and 'name="confirm"' not in page


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.django_db
def test_ending_a_plan_asks_first_and_lists_what_it_drops(owner_client, location, in_area_hauler, clock):
    plan = ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, frequency="weekly", weekdays=0b1, start_date=dt.date(2026, 11, 16),
        price_cents=10_000, payout_cents=8_000, status=ServicePlan.Status.ACTIVE,
    )  # fmt: skip
    for day in (dt.date(2026, 11, 23), dt.date(2026, 11, 30), dt.date(2026, 12, 7)):
        factories_visit(plan, day)
    page = owner_client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert "End on this day…" in page

    asked = owner_client.post(reverse("plan_change", args=[plan.pk, "end"]), {"last_day": "2026-11-24"})
    text = asked.content.decode()
    assert asked.status_code == 200 and f"End recurring service #{plan.pk}?" in text
    assert "2 upcoming visits are dropped: Mon, Nov 30, Mon, Dec 7." in text
    plan.refresh_from_db()
    assert plan.end_date is None and plan.visits.filter(status=Pickup.Status.SCHEDULED).count() == 3

    owner_client.post(reverse("plan_change", args=[plan.pk, "end"]), {"last_day": "2026-11-24", "confirm": "yes"})
    plan.refresh_from_db()
    assert plan.end_date == dt.date(2026, 11, 24)
    assert plan.visits.filter(status=Pickup.Status.SCHEDULED).count() == 1


def factories_visit(plan, day):
    return Pickup.objects.create(
        customer=plan.customer, location=plan.location, hauler=plan.hauler, plan=plan, plan_date=day,
        waste_stream=plan.waste_stream, container=plan.container, quantity=1, service_date=day,
        status=Pickup.Status.SCHEDULED, price_cents=plan.price_cents, payout_cents=plan.payout_cents,
    )  # fmt: skip


@pytest.mark.django_db
@time_machine.travel(dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC), tick=False)  # 17 hours before 7 AM CST
def test_a_skip_that_costs_a_late_fee_says_so_first(owner_client, location, in_area_hauler):
    plan = ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, frequency="weekly", weekdays=0b10000, start_date=dt.date(2026, 11, 16),
        price_cents=10_000, payout_cents=8_000, status=ServicePlan.Status.ACTIVE,
    )  # fmt: skip
    visit = factories_visit(plan, dt.date(2026, 11, 21))  # tomorrow: inside the cutoff, the hauler planned for it
    skip = {"start": "2026-11-21", "end": "2026-11-21"}

    asked = owner_client.post(reverse("plan_change", args=[plan.pk, "pause"]), skip)
    fee = dollars(min(settings.CANCELLATION_FEE_CENTS, visit.price_cents))
    assert "Skip these visits?" in asked.content.decode()
    assert f"Late-cancellation fees of {fee} apply" in asked.content.decode()
    visit.refresh_from_db()
    assert visit.status == Pickup.Status.SCHEDULED

    owner_client.post(reverse("plan_change", args=[plan.pk, "pause"]), {**skip, "confirm": "yes"})
    visit.refresh_from_db()
    assert visit.status == Pickup.Status.SKIPPED and visit.cancellation_fee_cents > 0
