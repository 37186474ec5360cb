"""The sensor page never contradicts itself: a bin past its mark with nothing booked says why, and what comes next;
its times are the site's one clock, in the location's zone."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from marketplace.models import Pickup
from sensors import state
from sensors.models import Reading
from sensors.services import register_device
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=AUSTIN)  # a Wednesday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def bin_at(location, fill: int, **rules):
    """A trash sensor whose readings rose over the last two days to `fill` now."""
    values = {"collect_at_percent": 80, "auto_book": True, "use_forecast": False, **rules}
    device, _ = register_device(
        by=None, location=location, serial="SN-1", waste_stream="trash", container="dumpster_4yd", **values
    )
    steps = 24
    Reading.objects.bulk_create(
        Reading(device=device, measured_at=NOW - dt.timedelta(hours=2) * (steps - index),
                fill_percent=round(10 + (fill - 10) * index / steps), battery_percent=80)
        for index in range(steps + 1)
    )  # fmt: skip
    return device


def next_pickup(client, location) -> str:
    page = client.get(reverse("location_sensors", args=[location.pk])).content.decode()
    return re.search(r"<dt>Next pickup</dt>\s*<dd>(.*?)</dd>", page, re.S).group(1)


def test_a_bin_past_its_mark_with_nothing_booked_says_when_it_will_be_not_that_it_is_booked_at_the_mark(
    owner_client, location, in_area_hauler
):
    bin_at(location, 88)
    said = next_pickup(owner_client, location)
    assert "one is booked when the bin reaches 80%" not in said.lower()  # beside "88%": the page contradicted itself
    assert re.fullmatch(
        r"None booked yet\. The bin is past its 80% mark: its next reading books a pickup for (Wed|Thu), Nov 1[89]\.",
        said,
    ), said


def test_a_bin_emptied_since_its_last_reading_says_so(owner_client, location, in_area_hauler):
    device = bin_at(location, 88)
    device.readings.filter(measured_at=NOW).delete()  # its last reading, 8:00 AM, is from before the visit
    factories.PickupFactory(
        location=location, hauler=in_area_hauler, status=Pickup.Status.COMPLETED, service_date=NOW.date(),
        waste_stream="trash", container="dumpster_4yd",
        completed_at=NOW - dt.timedelta(minutes=20),
    )  # fmt: skip
    assert (
        next_pickup(owner_client, location)
        == "None booked. It was emptied on Wed, Nov 18, 9:40 AM CST, after its last reading."
    )


def test_a_bin_past_its_mark_with_auto_book_off_asks_the_business_to_book(owner_client, location):
    bin_at(location, 88, auto_book=False)
    said = next_pickup(owner_client, location)
    assert said.startswith(
        "None booked. The bin is past its 80% mark and auto-book is off: we emailed you to book one."
    )
    assert (
        f'href="/book/?location={location.pk}&amp;waste_stream=trash&amp;container=dumpster_4yd">Book a pickup</a>'
        in said
    )


def test_a_bin_nobody_can_collect_says_so_and_offers_to_book(owner_client, location):
    bin_at(location, 88)  # no hauler serves the location
    said = next_pickup(owner_client, location)
    assert said.startswith("None booked. The bin is past its 80% mark, but no hauler can take it in the next 7 days.")
    assert ">Book a pickup</a>" in said


def test_a_bin_under_its_mark_says_when_one_is_booked(owner_client, location):
    bin_at(location, 40)
    said = next_pickup(owner_client, location)
    assert said == "None booked. One is booked when the bin reaches 80%, or sooner if it would overflow first."


def test_the_forecast_rule_is_asked_too_and_never_contradicts_the_reading(owner_client, location, in_area_hauler):
    device = bin_at(location, 88, use_forecast=True)
    state.refresh([device.pk], now=NOW)
    said = next_pickup(owner_client, location)
    assert said.startswith(
        (
            "None booked yet. The bin is past its 80% mark: its next reading books",
            "None booked yet. The bin is past its 80% mark, and the forecast says it can wait",
        )
    ), said


def test_the_page_says_every_time_on_one_clock_in_the_location_s_zone(owner_client, location):
    bin_at(location, 40)
    page = owner_client.get(reverse("location_sensors", args=[location.pk])).content.decode()
    assert "at Wed, Nov 18, 10:00 AM</dd>" in page
    assert "Times are the location's (CST)." in page
    assert "a.m." not in page and "p.m." not in page


def test_a_sensor_with_no_readings_says_what_to_check(owner_client, location):
    device, _ = register_device(
        by=None, location=location, serial="SN-2", waste_stream="trash", container="dumpster_4yd"
    )
    page = owner_client.get(reverse("location_sensors", args=[location.pk])).content.decode()
    assert "No readings yet. Once the sensor sends its token with a reading, it shows here." in page
    assert f'make a new one on <a href="/sensors/{device.pk}/rules/">its rules page</a>.' in page


def test_a_location_with_no_sensors_links_to_adding_one(owner_client, location):
    page = owner_client.get(reverse("location_sensors", args=[location.pk])).content.decode()
    assert f'<a href="/locations/{location.pk}/sensors/new/">Add a sensor</a> to start.' in page
