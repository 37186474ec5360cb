"""One-time and recurring booking are two forms: the one-time form asks nothing about recurrence."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from marketplace.models import Quote
from tests import factories

RECURRENCE_FIELDS = {"frequency", "weekdays", "day_of_month", "end_date"}


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC), tick=False):
        yield


def field_names(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_0-9]+)"', page))


def base(location, **fields):
    return {"location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
            "service_date": "2026-11-23", **fields}  # fmt: skip


@pytest.mark.django_db
def test_the_one_time_form_has_no_recurring_fields(owner_client, location):
    page = owner_client.get(reverse("book")).content.decode()
    assert not RECURRENCE_FIELDS & field_names(page)
    assert "Day of the month" not in page and "Until" not in page
    assert "Pickup date" in page and "the first one, for recurring service" not in page
    assert 'href="/book/?kind=recurring"' in page  # recurring is one link away


@pytest.mark.django_db
def test_the_recurring_form_asks_how_often_and_never_offers_one_time(owner_client, location):
    response = owner_client.get(reverse("book"), {"kind": "recurring"})
    page = response.content.decode()
    assert field_names(page) >= RECURRENCE_FIELDS
    assert "Set up recurring service" in page and "First visit" in page
    assert [value for value, _ in response.context["form"].fields["frequency"].choices] == [
        "weekly",
        "biweekly",
        "monthly",
    ]


@pytest.mark.django_db
def test_a_one_time_booking_ignores_recurring_values_sent_with_it(owner_client, location, in_area_hauler, clock):
    stray = {"kind": "once", "weekdays": ["0", "3"], "day_of_month": "40", "end_date": "nonsense"}
    response = owner_client.post(reverse("book"), base(location, **stray))
    assert response.status_code == 200
    quote = Quote.objects.get()
    assert (quote.frequency, quote.weekdays, quote.day_of_month, quote.end_date) == ("once", 0, None, None)


@pytest.mark.django_db
def test_a_recurring_booking_is_checked_on_the_server(owner_client, location, in_area_hauler, clock):
    once = owner_client.post(reverse("book"), base(location, kind="recurring", frequency="once"))
    assert once.status_code == 400 and "frequency" in once.context["form"].errors
    no_days = owner_client.post(reverse("book"), base(location, kind="recurring", frequency="weekly"))
    assert no_days.status_code == 400 and "weekday" in no_days.content.decode().lower()
    assert 'name="weekdays"' in no_days.content.decode()  # the recurring form comes back, not the one-time one
    assert not Quote.objects.exists()

    factories.RateFactory(hauler=in_area_hauler, waste_stream="recycling", price_cents=5_000)
    weekly = base(location, kind="recurring", frequency="weekly", weekdays=["0", "3"], waste_stream="recycling")
    assert "Per visit, every week" in owner_client.post(reverse("book"), weekly).content.decode()
    assert (Quote.objects.get().frequency, Quote.objects.get().weekdays) == ("weekly", 0b1001)


@pytest.mark.django_db
def test_a_monthly_plan_keeps_no_stray_weekdays(owner_client, location, in_area_hauler, clock):
    monthly = base(location, kind="recurring", frequency="monthly", day_of_month="23", weekdays=["1"])
    owner_client.post(reverse("book"), monthly)
    quote = Quote.objects.get()
    assert (quote.frequency, quote.day_of_month, quote.weekdays) == ("monthly", 23, 0)


@pytest.mark.django_db
def test_change_the_details_keeps_every_detail_of_the_quote(owner_client, location, in_area_hauler, clock):
    factories.RateFactory(hauler=in_area_hauler, waste_stream="recycling", price_cents=5_000)
    weekly = base(location, kind="recurring", frequency="biweekly", weekdays=["1", "4"], waste_stream="recycling",
                  quantity=2, end_date="2027-03-01", window="07:00-11:00")  # fmt: skip
    quote_page = owner_client.post(reverse("book"), weekly).content.decode()
    change = re.search(r'<a href="([^"]+)">Change the details</a>', quote_page).group(1).replace("&amp;", "&")

    form = owner_client.get(change).context["form"]
    assert form.kind == "recurring"
    assert {key: form.initial[key] for key in ("waste_stream", "quantity", "frequency", "end_date", "window")} == {
        "waste_stream": "recycling", "quantity": "2", "frequency": "biweekly", "end_date": "2027-03-01",
        "window": "07:00-11:00",
    }  # fmt: skip
    assert form.initial["weekdays"] == ["1", "4"]

    once = owner_client.post(reverse("book"), base(location, quantity=3)).content.decode()
    again = re.search(r'<a href="([^"]+)">Change the details</a>', once).group(1).replace("&amp;", "&")
    form = owner_client.get(again).context["form"]
    assert form.kind == "once" and form.initial["quantity"] == "3"
    assert form.initial["service_date"] == "2026-11-23"
