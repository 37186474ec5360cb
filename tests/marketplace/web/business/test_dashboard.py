"""The business dashboard: each section's rows, cell by cell, and what the page costs in queries."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core.models import StatusChange
from marketplace.models import Pickup, ServicePlan
from tests import factories


def make_pickup(location, status, *, days_ahead=3, hauler=None, **fields):
    values = {
        "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1, "price_cents": 10_200,
        "payout_cents": 8_500, **fields,
    }  # fmt: skip
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, status=status,
        service_date=timezone.localdate() + dt.timedelta(days=days_ahead), **values,
    )  # fmt: skip


def make_plan(location, status, hauler=None, **fields):
    values = {"waste_stream": "cardboard", "frequency": "weekly", "weekdays": 1, **fields}
    return ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=hauler, container="dumpster_4yd", quantity=1,
        start_date=timezone.localdate(), status=status, price_cents=9_000, payout_cents=8_000, **values,
    )  # fmt: skip


ESCAPED = "Bar &amp; Grill &lt;Main&gt;"  # the location's name, as the page must write it


def row(pickup, what, status_label, hauler, price) -> str:
    day = date_format(pickup.service_date, "D, M j")
    return (
        f'<td data-label="Date"><a href="/pickups/{pickup.pk}/">{day}</a></td>\n  <td data-label="What">{what}</td>\n'
        f'  <td data-label="Where">{ESCAPED}</td>\n'
        f'  <td data-label="Status"><span class="badge {pickup.status}">{status_label}</span></td>\n'
        f'  <td data-label="Hauler">{hauler}</td>\n  <td data-label="Price">{price}</td>'
    )


@pytest.mark.django_db
def test_each_section_shows_its_rows_cell_by_cell(owner_client, location, in_area_hauler):
    location.name = "Bar & Grill <Main>"
    location.save()
    booked = make_pickup(location, Pickup.Status.REQUESTED)
    scheduled = make_pickup(
        location, Pickup.Status.SCHEDULED, days_ahead=5, hauler=in_area_hauler, waste_stream="recycling",
        container="dumpster_6yd", quantity=2, price_cents=123_456,
    )  # fmt: skip
    unmatched = make_pickup(location, Pickup.Status.UNMATCHED, days_ahead=9)
    missed = make_pickup(location, Pickup.Status.MISSED, days_ahead=-3, hauler=in_area_hauler)
    done = make_pickup(location, Pickup.Status.COMPLETED, days_ahead=-1, hauler=in_area_hauler)
    weekly = make_plan(location, ServicePlan.Status.ACTIVE, hauler=in_area_hauler)
    monthly = make_plan(location, ServicePlan.Status.PENDING, frequency="monthly", weekdays=0, day_of_month=3)
    make_plan(location, ServicePlan.Status.ENDED, waste_stream="trash")
    pickups = ContentType.objects.get_for_model(Pickup)
    StatusChange.objects.create(
        content_type=pickups, object_id=unmatched.pk, from_status="offered", to_status="unmatched",
        reason="No Hauler Took It",
    )  # fmt: skip
    StatusChange.objects.create(content_type=pickups, object_id=booked.pk, from_status="", to_status="requested")

    page = owner_client.get(reverse("dashboard")).content.decode()

    attention, upcoming = page.split('<h2 id="upcoming">')
    upcoming, rest = upcoming.split('<h2 id="plans">')
    assert row(unmatched, "Trash, 1 \u00d7 4-yard dumpster", "No hauler found", "None yet", "$102.00") in attention
    assert row(missed, "Trash, 1 \u00d7 4-yard dumpster", "Missed", "Downtown Disposal", "$102.00") in attention
    assert attention.index(f"/pickups/{unmatched.pk}/") < attention.index(f"/pickups/{missed.pk}/")  # latest first
    assert row(booked, "Trash, 1 \u00d7 4-yard dumpster", "Requested", "None yet", "$102.00") in upcoming
    assert (
        row(scheduled, "Recycling, 2 \u00d7 6-yard dumpster", "Scheduled", "Downtown Disposal", "$1,234.56") in upcoming
    )
    assert upcoming.index(f"/pickups/{booked.pk}/") < upcoming.index(f"/pickups/{scheduled.pk}/")  # soonest first
    assert f"/pickups/{done.pk}/" not in page
    assert ESCAPED in upcoming and "Bar & Grill" not in page

    assert (
        f'<li><a href="/plans/{weekly.pk}/">Cardboard, every week at {ESCAPED}</a> · Active · Downtown Disposal</li>'
    ) in rest
    assert f'<li><a href="/plans/{monthly.pk}/">Cardboard, every month at {ESCAPED}</a> · Finding a hauler</li>' in rest
    assert rest.count('<li><a href="/plans/') == 2  # not the ended one

    unmatched_day, booked_day = (date_format(pickup.service_date, "D, M j") for pickup in (unmatched, booked))
    assert (
        f'<li><a href="/pickups/{unmatched.pk}/">No hauler could take your trash pickup for {unmatched_day}: pick '
        "another date, or cancel it at no charge</a>. <small>"
    ) in rest
    assert f'<li><a href="/pickups/{booked.pk}/">You booked a trash pickup for {booked_day}</a>. <small>' in rest


@pytest.mark.django_db
def test_another_business_sees_none_of_it(client, location, in_area_hauler):
    make_pickup(location, Pickup.Status.REQUESTED)
    make_pickup(location, Pickup.Status.UNMATCHED)
    make_plan(location, ServicePlan.Status.ACTIVE)
    other = factories.CustomerMembershipFactory().user
    client.force_login(other)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Nothing coming up." in page and "Nothing has happened to your pickups in the last 30 days." in page
    assert "Needs your attention" not in page and "Recurring service" not in page
