"""The operations map: who sees which bins, the filters, the JSON the map loads, a bin's panel, and query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marketplace import operations
from marketplace.models import Pickup
from sensors import alarms as sensor_alarms
from sensors.models import Alarm, Device
from tests import factories
from tests.marketplace.web.bins_cast import fill_history, place, seed_bins

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=AUSTIN)
MAP, BINS = reverse("operations_map"), reverse("operations_bins")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def bin_url(device) -> str:
    return reverse("operations_bin", args=[device.pk])


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row[0] for row in response.json()["bins"]}


def row_of(response, device) -> dict:
    body = response.json()
    for row in body["bins"]:
        if row[0] == device.pk:
            return dict(zip(body["columns"], row, strict=True))
    raise AssertionError(f"bin {device.pk} is not on the map")


def alarm(device, kind=Alarm.Kind.OFFLINE, *, opened_at=NOW - dt.timedelta(hours=3), closed_at=None, detail=""):
    return Alarm.objects.create(device=device, kind=kind, opened_at=opened_at, closed_at=closed_at, detail=detail)


def visit(device, service_date, *, status=Pickup.Status.SCHEDULED, window=(dt.time(7), dt.time(11))):
    return factories.PickupFactory(
        location=device.location,
        waste_stream=device.waste_stream,
        container=device.container,
        service_date=service_date,
        window_start=window[0],
        window_end=window[1],
        status=status,
    )


def one_bin(customer, *, fill=50, full_in=dt.timedelta(days=3), zip_code="78701", **fields) -> Device:
    """A reporting bin at a new location of the business, full in `full_in` (None: not filling)."""
    location = place(customer, zip_code=zip_code, name=f"Site {Device.objects.count()}")
    location.save()
    return Device.objects.create(
        serial=f"ONE-{Device.objects.count()}",
        location=location,
        waste_stream=fields.pop("waste_stream", "trash"),
        container="dumpster_4yd",
        token_hash=f"{Device.objects.count():064d}",
        token_hint="x",
        last_reading_at=NOW - dt.timedelta(minutes=5),
        last_fill_percent=fill,
        full_at=NOW + full_in if full_in is not None else None,
        **fields,
    )


# --- who sees what --------------------------------------------------------------------------------------------


def test_staff_see_every_business_bins(staff_client, customer):
    mine = seed_bins(3, now=NOW, customer=customer)
    theirs = seed_bins(2, now=NOW, prefix="OTHER")
    assert ids(staff_client.get(BINS)) == {device.pk for device in mine + theirs}
    page = staff_client.get(MAP)
    assert page.status_code == 200
    assert "Every bin of every business" in page.content.decode()
    assert staff_client.get(bin_url(theirs[0])).status_code == 200


def test_a_business_sees_only_its_own_bins_and_another_business_bin_is_a_404(owner_client, customer):
    mine = seed_bins(3, now=NOW, customer=customer)
    theirs = seed_bins(2, now=NOW, prefix="OTHER")
    alarm(theirs[0], detail="Someone else's bin")
    assert ids(owner_client.get(BINS)) == {device.pk for device in mine}
    assert owner_client.get(bin_url(mine[0])).status_code == 200
    assert owner_client.get(bin_url(theirs[0])).status_code == 404
    assert owner_client.get(bin_url(theirs[0]), HTTP_HX_REQUEST="true").status_code == 404
    page = owner_client.get(MAP).content.decode()
    assert "Someone else" not in page
    assert "OTHER site" not in page


def test_haulers_and_strangers_are_refused_and_visitors_sent_to_log_in(client):
    hauler = factories.HaulerMembershipFactory().user
    client.force_login(hauler)
    assert client.get(MAP).status_code == 403
    assert client.get(BINS).status_code == 403
    client.force_login(factories.UserFactory())
    assert client.get(MAP).status_code == 403
    client.logout()
    response = client.get(MAP)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_inactive_bins_and_archived_locations_are_left_off(owner_client, customer):
    live, off, archived = seed_bins(3, now=NOW, customer=customer)
    Device.objects.filter(pk=off.pk).update(active=False)
    archived.location.archived_at = NOW
    archived.location.save()
    assert ids(owner_client.get(BINS)) == {live.pk}


# --- states, colours and the forecast ring ------------------------------------------------------------------


def test_state_by_fill_against_each_bin_mark_and_offline_after_two_intervals(owner_client, customer, settings):
    settings.SENSOR_ALARM_OVERFLOW_HORIZON = dt.timedelta(days=4)
    fine = one_bin(customer, fill=59)
    nearly = one_bin(customer, fill=60)
    full = one_bin(customer, fill=80)
    high_mark = one_bin(customer, fill=85, collect_at_percent=95)  # within 20 points of its own 95%
    silent = one_bin(customer, fill=40, reporting_interval_minutes=30)
    Device.objects.filter(pk=silent.pk).update(last_reading_at=NOW - dt.timedelta(minutes=61))
    quiet = one_bin(customer, fill=40, reporting_interval_minutes=30)
    Device.objects.filter(pk=quiet.pk).update(last_reading_at=NOW - dt.timedelta(minutes=59))
    never = one_bin(customer, fill=None, full_in=None)
    response = owner_client.get(BINS)
    states = {device: row_of(response, device)["state"] for device in (fine, nearly, full, high_mark, silent, quiet)}
    assert states == {
        fine: "ok",
        nearly: "nearly_full",
        full: "full",
        high_mark: "nearly_full",
        silent: "offline",
        quiet: "ok",
    }
    assert row_of(response, never)["state"] == "offline"
    assert response.json()["counts"] == {
        "ok": 2,
        "nearly_full": 2,
        "full": 1,
        "offline": 2,
        "alarm": 0,
        "at_risk": 6,  # each that has a forecast is full in 3 days, with no visit booked, within the 4-day horizon
        "total": 7,
    }


def test_forecast_full_before_the_next_visit_gets_the_ring(owner_client, customer):
    today = NOW.date()
    before = one_bin(customer, full_in=dt.timedelta(days=2))
    visit(before, today + dt.timedelta(days=4))
    after = one_bin(customer, full_in=dt.timedelta(days=5))
    visit(after, today + dt.timedelta(days=4))
    visit(after, today + dt.timedelta(days=1), status=Pickup.Status.CANCELLED)  # not open: not its next visit
    same_day = one_bin(customer, full_in=dt.timedelta(hours=20))  # full tomorrow at 6 AM, before a 7-11 AM window
    visit(same_day, today + dt.timedelta(days=1))
    # With no visit coming, the overflow alarm's horizon (SENSOR_ALARM_OVERFLOW_HORIZON, 2 days) decides.
    no_visit_soon = one_bin(customer, full_in=dt.timedelta(days=1, hours=12))
    no_visit_late = one_bin(customer, full_in=dt.timedelta(days=3))
    not_filling = one_bin(customer, full_in=None)
    unmatched = one_bin(customer, full_in=dt.timedelta(days=1))
    visit(unmatched, today + dt.timedelta(days=4), status=Pickup.Status.UNMATCHED)  # no hauler is coming
    response = owner_client.get(BINS)
    risk = {device: row_of(response, device)["at_risk"] for device in (before, after, same_day)}
    assert risk == {before: 1, after: 0, same_day: 1}
    assert row_of(response, unmatched)["at_risk"] == 1
    assert row_of(response, no_visit_soon)["at_risk"] == 1
    assert row_of(response, no_visit_late)["at_risk"] == 0
    assert row_of(response, not_filling)["at_risk"] == 0
    urgent = operations.needing_a_visit(operations.bins_in_view(customer=customer, now=NOW))
    assert [item.id for item in urgent] == [same_day.pk, unmatched.pk, no_visit_soon.pk, before.pk]


def test_the_next_visit_is_from_each_location_own_today(owner_client, customer):
    """At 1 AM UTC it is still yesterday in Austin: yesterday's open visit there is not past yet."""
    late = dt.datetime(2026, 11, 19, 1, 0, tzinfo=dt.UTC)  # Nov 18, 7 PM in Austin
    device = one_bin(customer, full_in=dt.timedelta(days=2))
    visit(device, dt.date(2026, 11, 18), window=(dt.time(13), dt.time(17)))
    found = operations.bins_in_view(customer=customer, now=late)
    assert found[0].visit_at == dt.datetime(2026, 11, 18, 13, 0, tzinfo=AUSTIN)
    after_midnight = operations.bins_in_view(customer=customer, now=late + dt.timedelta(hours=6))
    assert after_midnight[0].visit_at is None


# --- filters ------------------------------------------------------------------------------------------------------


def test_filter_by_market_stream_and_state(owner_client, customer):
    austin = seed_bins(8, now=NOW, customer=customer)
    dallas = seed_bins(3, now=NOW, customer=customer, zips=["75201"], city="Dallas", prefix="DAL")
    alarm(austin[1])
    assert ids(owner_client.get(BINS, {"market": "Dallas, TX"})) == {device.pk for device in dallas}
    trash = {device.pk for device in austin + dallas if device.waste_stream == "trash"}
    assert ids(owner_client.get(BINS, {"stream": "trash"})) == trash
    # Fills run 0, 37, 74, 10, 47, 84, ... (n * 37 % 101): at or above the usual 80% is full.
    full = {device.pk for device in austin + dallas if device.last_fill_percent >= 80}
    assert full and ids(owner_client.get(BINS, {"state": "full"})) == full
    assert ids(owner_client.get(BINS, {"state": "alarm"})) == {austin[1].pk}
    both = ids(owner_client.get(BINS, {"market": "Austin, TX", "stream": "recycling"}))
    assert both == {device.pk for device in austin if device.waste_stream == "recycling"}
    page = owner_client.get(MAP, {"market": "Dallas, TX"}).content.decode()
    assert '<option value="Dallas, TX" selected>' in page
    assert "3 bins in view" in page
    assert f'data-bins-url="{BINS}?market=Dallas%2C+TX"' in page


def test_bad_filters_are_a_400_naming_them_in_json_and_left_out_with_a_message_on_the_page(owner_client, customer):
    seed_bins(4, now=NOW, customer=customer)
    response = owner_client.get(BINS, {"state": "exploded", "market": "Gotham, NJ", "stream": "trash"})
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "market": ["There are no bins in Gotham, NJ; choose a market listed."],
            "state": ["exploded is not a state; choose one listed."],
        }
    }
    page = owner_client.get(MAP, {"state": "exploded", "stream": "trash"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Some filters were not understood, so they are left out" in text
    assert "State: exploded is not a state; choose one listed." in text
    assert f'data-bins-url="{BINS}?stream=trash"' in text  # the good filter still applies


def test_alarm_list_beside_the_map_open_only_in_the_location_zone(owner_client, customer):
    device = one_bin(customer, fill=90, full_in=dt.timedelta(hours=2))
    alarm(
        device,
        Alarm.Kind.OVERFLOW_RISK,
        opened_at=dt.datetime(2026, 11, 18, 14, 5, tzinfo=dt.UTC),
        detail="Full by noon.",
    )
    alarm(device, Alarm.Kind.TILT, closed_at=NOW - dt.timedelta(hours=1))
    page = owner_client.get(MAP).content.decode()
    assert "Will overflow before the next visit" in page
    assert "Since Wed, Nov 18, 8:05 AM CST. Full by noon." in page
    assert f"Trash, 4-yard dumpster at {device.location.name}" in page
    assert "Tipped over" not in page
    assert row_of(owner_client.get(BINS), device)["alarms"] == 1


def test_a_business_is_not_shown_the_staff_cases_about_its_bins(owner_client, staff_user, customer):
    device = one_bin(customer, fill=90)
    alarm(device, Alarm.Kind.FILL_NOT_DROPPING, detail="Still 90% two hours after the visit.")
    alarm(device, Alarm.Kind.IMPOSSIBLE_VALUE, detail="It sent a fill of 140%.")

    assert "Still full after a completed visit" not in owner_client.get(MAP).content.decode()
    assert row_of(owner_client.get(BINS), device)["alarms"] == 0
    assert "Still full after a completed visit" not in owner_client.get(bin_url(device)).content.decode()
    staff = Client()
    staff.force_login(staff_user)
    assert "Still full after a completed visit" in staff.get(MAP).content.decode()
    assert row_of(staff.get(BINS), device)["alarms"] == 2


def test_a_long_alarm_list_shows_the_newest_and_says_how_many_there_are(staff_client, customer):
    devices = seed_bins(55, now=NOW, customer=customer)
    for minutes, device in enumerate(devices):
        alarm(device, opened_at=NOW - dt.timedelta(minutes=minutes))
    response = staff_client.get(MAP)
    assert [item.device_id for item in response.context["alarms"]] == [device.pk for device in devices[:50]]
    assert "The newest 50 of 55." in response.content.decode()


# --- the JSON and its cost ----------------------------------------------------------------------------------------


def test_json_shape_is_compact_rows_with_named_columns(staff_client, customer):
    device = seed_bins(1, now=NOW, customer=customer)[0]
    body = staff_client.get(BINS).json()
    assert body["columns"] == ["id", "lat", "lng", "fill", "state", "at_risk", "alarms", "location", "stream"]
    location = device.location
    # The first seeded bin: empty, filling 5 points a day (full in 20 days, so not at risk), no alarm.
    assert body["bins"] == [
        [device.pk, float(location.latitude), float(location.longitude), 0, "ok", 0, 0, location.pk, "trash"]
    ]
    assert body["locations"] == {str(location.pk): f"{location.name} ({customer.name})"}
    assert body["streams"]["trash"] == "Trash"
    assert body["states"]["offline"] == "Not reporting"
    assert body["filters"] == {}


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", [MAP, BINS, f"{BINS}?state=alarm&market=Austin%2C+TX"])
def test_the_map_costs_the_same_queries_at_10_and_100_bins(staff_client, customer, url):
    def grow(count):
        devices = seed_bins(count, now=NOW, customer=factories.CustomerFactory(), prefix=f"N{count}")
        for device in devices[::3]:
            alarm(device)
            visit(device, NOW.date() + dt.timedelta(days=2))

    grow(10)
    small = queries(staff_client, url)
    grow(90)
    assert queries(staff_client, url) == small
    assert small <= 9


# --- a bin's panel ------------------------------------------------------------------------------------------------


def test_a_bin_panel_has_its_chart_next_visit_and_recent_visits(owner_client, customer):
    device = seed_bins(1, now=NOW, customer=customer)[0]
    readings = fill_history(device, now=NOW)
    Device.objects.filter(pk=device.pk).update(full_at=NOW + dt.timedelta(days=2), fill_rate_per_day=10.0)
    upcoming = visit(device, NOW.date() + dt.timedelta(days=3))
    visit(device, NOW.date() - dt.timedelta(days=4), status=Pickup.Status.COMPLETED)
    visit(device, NOW.date() - dt.timedelta(days=11), status=Pickup.Status.SKIPPED)
    alarm(device, Alarm.Kind.BATTERY_LOW)
    with CaptureQueriesContext(connection) as captured:
        response = owner_client.get(bin_url(device), HTTP_HX_REQUEST="true")
    assert (
        len(captured.captured_queries) <= 10
    )  # signed-in user (4), the bin, readings, visit and hauler, history, alarms
    text = response.content.decode()
    assert "<html" not in text  # a fragment for the map page
    assert "HX-Request" in response["Vary"]
    assert "Sat, Nov 21, 7\u201311 am" in text and upcoming.hauler.name in text
    assert f'href="{reverse("pickup_detail", args=[upcoming.pk])}"' in text
    assert "Forecast to be full before its next visit." in text
    assert "Completed</span> Sat, Nov 14" in text and "Skipped</span> Sat, Nov 7" in text
    assert "Battery running out since" in text
    chart = response.context["chart"]
    assert chart["timezone"] == "America/Chicago" and chart["collect_at"] == 80
    assert chart["visit_at"] == int(dt.datetime(2026, 11, 21, 7, tzinfo=AUSTIN).timestamp())
    recent = [reading for reading in readings if reading.measured_at > NOW - dt.timedelta(days=14)]
    assert [fill for fill in chart["fill"] if fill is not None] == [reading.fill_percent for reading in recent]
    # The forecast: from the latest reading up to 100% at full_at (two days on, inside the seven drawn).
    assert [value for value in chart["forecast"] if value is not None] == [float(recent[-1].fill_percent), 100.0]
    # The axis runs on to the next visit (Sat 7 AM), a point with no fill and no forecast of its own.
    assert chart["x"][-2:] == [int((NOW + dt.timedelta(days=2)).timestamp()), chart["visit_at"]]
    assert chart["fill"][-1] is None and chart["forecast"][-1] is None
    page = owner_client.get(bin_url(device))
    assert "<html" in page.content.decode() and "Back to the operations map" in page.content.decode()


def test_a_silent_bin_panel_says_when_it_was_last_heard_from(staff_client, customer):
    device = one_bin(customer, fill=30)
    Device.objects.filter(pk=device.pk).update(last_reading_at=NOW - dt.timedelta(days=1))
    text = staff_client.get(bin_url(device)).content.decode()
    assert "Not reporting." in text and "Last heard from Tue, Nov 17, 10:00 AM CST (30% then)" in text
    assert "No readings in the last two weeks." in text and "No visits to this bin yet." in text
    assert reverse("admin:sensors_device_change", args=[device.pk]) in text


# --- where people find it ------------------------------------------------------------------------------------


def test_staff_find_it_in_the_admin_and_the_nav(staff_client):
    assert f'href="{MAP}"' in staff_client.get(reverse("admin:index")).content.decode()
    assert f'href="{MAP}"' in staff_client.get(reverse("home")).content.decode()


def test_a_business_with_sensors_finds_it_on_its_dashboard(owner_client, customer):
    assert f'href="{MAP}"' not in owner_client.get(reverse("dashboard")).content.decode()
    seed_bins(1, now=NOW, customer=customer)
    assert f'href="{MAP}"' in owner_client.get(reverse("dashboard")).content.decode()


def test_a_bin_is_offline_on_the_map_exactly_when_its_offline_alarm_holds(owner_client, customer, settings):
    settings.SENSOR_ALARM_OFFLINE_INTERVALS = 3
    waiting = one_bin(customer, reporting_interval_minutes=30)
    Device.objects.filter(pk=waiting.pk).update(last_reading_at=NOW - dt.timedelta(minutes=61))  # two intervals
    gone = one_bin(customer, reporting_interval_minutes=30)
    Device.objects.filter(pk=gone.pk).update(last_reading_at=NOW - dt.timedelta(minutes=90))  # three, to the minute

    response = owner_client.get(BINS)

    for device, offline in ((waiting, False), (gone, True)):
        device.refresh_from_db()
        assert sensor_alarms.offline(device, now=NOW).active is offline
        assert (row_of(response, device)["state"] == "offline") is offline
    assert "no reading for 3 of its reporting intervals" in owner_client.get(MAP).content.decode()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.dictionaries(
        st.sampled_from(["market", "stream", "state", "page", "market[]"]),
        st.text(max_size=40) | st.sampled_from(["Austin, TX", "trash", "alarm", "offline", ", ", "%00", "\x00"]),
        max_size=4,
    ),
    device_id=st.integers(min_value=0, max_value=2**70),
)
def test_fuzzed_filters_and_bin_ids_never_fail(owner_client, customer, params, device_id):
    mine = Device.objects.filter(location__customer=customer).first() or one_bin(customer)
    for url in (MAP, BINS):
        response = owner_client.get(url, params)
        assert response.status_code in {200, 400}, (url, params, response.status_code)
    assert owner_client.get(reverse("operations_bin", args=[device_id])).status_code in {200, 404}
    assert owner_client.get(bin_url(mine)).status_code == 200
