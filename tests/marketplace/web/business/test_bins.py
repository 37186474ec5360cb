"""The location sensor page: each bin's last 30 days drawn, its rules, forecast and right-size advice."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import dateformat

from marketplace.models import ServicePlan
from sensors import forecast
from sensors.models import Reading
from sensors.services import register_device
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=AUSTIN)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def sensor(location, stream="trash", container="dumpster_4yd", **rules):
    device, _token = register_device(
        by=None, location=location, serial=f"SN-{stream}", waste_stream=stream, container=container, **rules
    )
    return device


def fill_up(device, count: int, *, cycle: int = 84, battery: int = 77) -> list[tuple[dt.datetime, int]]:
    """`count` readings two hours apart up to now: rising from 2% to 32% over `cycle` readings, then emptied;
    half-way through a cycle now."""
    readings = []
    for index in range(count):
        at = NOW - dt.timedelta(hours=2) * (count - 1 - index)
        position = (index - count + 1 + cycle // 2) % cycle
        readings.append((at, 2 + round(30 * position / (cycle - 1))))
    Reading.objects.bulk_create(
        Reading(device=device, measured_at=at, fill_percent=fill, battery_percent=battery) for at, fill in readings
    )
    return readings


def page_of(client, location):
    return client.get(reverse("location_sensors", args=[location.pk]))


def test_the_owner_sees_each_bin_drawn_with_its_rules_forecast_and_advice(client, customer_owner, location):
    device = sensor(location, collect_at_percent=75, auto_book=True, skip_below_percent=25)
    readings = fill_up(device, 300)
    client.force_login(customer_owner)

    response = page_of(client, location)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Sensors at {location.name}" in page
    assert "Trash, 4-yard dumpster" in page
    latest = readings[-1][1]
    assert f"<strong>{latest}%</strong> at Wed, Nov 18, 10:00 AM" in page  # the site's one clock
    assert "<dd>77%</dd>" in page  # battery
    assert "Collect at 75% · auto-book on · skip a plan visit below 25%" in page
    for name, argument in (("sensor_rules", device.pk), ("sensor_rotate", device.pk), ("sensor_add", location.pk)):
        assert f'"{reverse(name, args=[argument])}"' in page
    # The chart: one point per reading, grid at 0/50/100%, the threshold dashed, dates at the ends.
    svg = re.search(r"<svg[^>]*>.*?</svg>", page, re.S).group()
    assert 'role="img"' in svg
    label = re.search(r'aria-label="([^"]*)"', svg).group(1)
    assert label.startswith("Fill level of the trash 4-yard dumpster from Oct 19 to Nov 18: now ")
    assert f"collect at 75%; emptied {len(forecast.emptying_indexes(readings))} times." in label
    points = re.search(r'<polyline points="([^"]*)"', svg).group(1).split()
    assert len(points) == 300
    assert all(0 <= float(y) <= 220 for y in (point.split(",")[1] for point in points))
    assert [f">{percent}%</text>" in svg for percent in (0, 50, 100)] == [True] * 3
    assert re.search(r'class="threshold"[^>]*stroke-dasharray', svg)
    assert ">Oct 19</text>" in svg and ">Nov 18</text>" in svg
    # The table fallback: the highest fill of each local day.
    details = re.search(r"<details>.*?</details>", page, re.S).group()
    days = {at.astimezone(AUSTIN).date() for at, _ in readings}
    assert details.count("<tr><td>") == len(days)
    today = max(fill for at, fill in readings if at.astimezone(AUSTIN).date() == NOW.date())
    assert f"<tr><td>Wed, Nov 18</td><td>{today}%</td></tr>" in details
    # Forecast and advice, from the sensors' own forecast functions.
    rate = forecast.fill_rate_per_day(readings)
    assert f"{rate:.1f}% a day since it was last emptied" in page
    full_at = forecast.predicted_full_at(readings).astimezone(AUSTIN)
    assert full_at > NOW
    assert f"<dd>About {dateformat.format(full_at, 'D, M j, g:i A')}</dd>" in page  # the site's one clock
    average = round(forecast.average_fill_at_pickup(forecast.fills_before_emptying(readings)))
    assert f"Your 4-yard trash bin averages {average}% at pickup: a smaller container would do." in page


def test_the_advice_follows_the_plan_when_there_is_one(client, customer_owner, location, in_area_hauler):
    device = sensor(location, stream="cardboard")
    fill_up(device, 360, cycle=168)  # emptied every two weeks
    client.force_login(customer_owner)
    assert "averages 32% at pickup: every 4 weeks would do." in page_of(client, location).content.decode()

    ServicePlan.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="cardboard",
        container="dumpster_4yd", quantity=1, frequency="weekly", weekdays=1, start_date=NOW.date(),
        status="active", price_cents=6_000, payout_cents=5_000,
    )  # fmt: skip
    assert "averages 32% at pickup: every 2 weeks would do." in page_of(client, location).content.decode()


def test_a_location_without_sensors_says_how_to_add_one(client, customer_owner, location):
    client.force_login(customer_owner)
    page = page_of(client, location).content.decode()
    assert "No sensors here yet." in page
    assert f'href="{reverse("sensor_add", args=[location.pk])}"' in page
    listing = client.get(reverse("location_list")).content.decode()
    assert f'href="{reverse("location_sensors", args=[location.pk])}">Sensors</a>' in listing


def test_another_business_location_is_not_found(client, customer_owner):
    theirs = factories.LocationFactory()
    sensor(theirs)
    client.force_login(customer_owner)
    assert page_of(client, theirs).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, location):
    response = page_of(client, location)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def queries_for(client, location) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert page_of(client, location).status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [10, 300])
def test_the_query_count_does_not_grow_with_the_readings(
    client, customer_owner, location, count, django_assert_max_num_queries
):
    for stream in ("trash", "recycling"):
        fill_up(sensor(location, stream=stream), count)
    client.force_login(customer_owner)
    with django_assert_max_num_queries(12):  # one of them for every bin's open alarms at once
        assert page_of(client, location).status_code == 200


def test_one_query_per_sensor_whatever_the_readings(client, customer_owner, location):
    trash = sensor(location)
    fill_up(trash, 10)
    client.force_login(customer_owner)
    few = queries_for(client, location)
    fill_up(sensor(location, stream="recycling"), 300)
    assert queries_for(client, location) == few + 1
