"""Words people read: the dashboard's recent activity in sentences, in the location's zone, at no query more."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.models import StatusChange
from marketplace import dispatch, services
from marketplace.models import Pickup, Quote
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=AUSTIN)  # a Tuesday, noon in Austin (18:00 UTC)
WEDNESDAY = dt.date(2026, 12, 9)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def activity_of(client) -> str:
    page = client.get(reverse("dashboard")).content.decode()
    return page.split('<h2 id="activity">')[1]


def booked(customer, location, run_on_commit, *, day=WEDNESDAY) -> Pickup:
    quote = services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=day,
    )  # fmt: skip
    pickup = run_on_commit(services.book_quote, quote=quote, customer=customer)
    pickup.refresh_from_db()
    return pickup


def logged(pickup, to_status, reason, *, at=NOW, from_status="requested"):
    change = StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Pickup), object_id=pickup.pk, from_status=from_status,
        to_status=to_status, reason=reason,
    )  # fmt: skip
    StatusChange.objects.filter(pk=change.pk).update(at=at)
    Pickup.objects.filter(pk=pickup.pk).update(updated_at=at)


def test_an_offer_and_its_acceptance_read_as_sentences_with_the_hauler_s_name_as_written(
    owner_client, customer, location, run_on_commit
):
    hauler = factories.HaulerFactory(name="McAllister & Sons Hauling", zips=["78701"])
    factories.RateFactory(hauler=hauler)
    pickup = booked(customer, location, run_on_commit)
    offer = pickup.offers.get()
    run_on_commit(dispatch.accept_offer, offer_id=offer.pk, hauler=hauler)

    feed = activity_of(owner_client)

    link = f'<a href="/pickups/{pickup.pk}/">'
    assert f"{link}McAllister &amp; Sons Hauling accepted your trash pickup for Wed, Dec 9</a>." in feed
    assert f"{link}We offered your trash pickup for Wed, Dec 9 to a hauler</a>." in feed
    assert feed.index("accepted") < feed.index("We offered")  # newest first
    # the old status log: raw statuses, lower-cased names, "hauler(s)"
    assert "scheduled," not in feed and "mcallister" not in feed and "hauler(s)" not in feed
    assert f"Pickup #{pickup.pk}" not in feed


def test_plurals_are_right(owner_client, location):
    pickup = factories.PickupFactory(location=location, hauler=None, status="offered", service_date=WEDNESDAY)
    logged(pickup, "offered", "Offered to 3 hauler(s)")
    assert "We offered your trash pickup for Wed, Dec 9 to 3 haulers</a>." in activity_of(owner_client)


def test_a_change_s_time_is_said_in_the_location_s_zone_with_the_zone(owner_client, location):
    pickup = factories.PickupFactory(location=location, hauler=None, status="unmatched", service_date=WEDNESDAY)
    # 03:30 UTC on Dec 1 is 9:30 PM on Nov 30 in Austin: yesterday there, today in UTC
    logged(pickup, "unmatched", "No eligible hauler", at=dt.datetime(2026, 12, 1, 3, 30, tzinfo=dt.UTC))
    feed = activity_of(owner_client)
    assert "No hauler could take your trash pickup for Wed, Dec 9: pick another date, or cancel it at no charge" in feed
    assert '<time datetime="2026-12-01T03:30:00+00:00">Yesterday, 9:30 PM CST</time>' in feed
    assert "ago" not in feed and "UTC" not in feed


def test_the_hauler_named_is_the_one_that_acted_then(owner_client, location, in_area_hauler):
    pickup = factories.PickupFactory(location=location, hauler=in_area_hauler, status="completed")
    logged(pickup, "scheduled", "Accepted by Old Name Hauling", at=NOW - dt.timedelta(days=3), from_status="offered")
    logged(pickup, "completed", "Completed with proof", from_status="scheduled")
    feed = activity_of(owner_client)
    assert "Old Name Hauling accepted your trash pickup" in feed
    assert "Downtown Disposal completed your trash pickup" in feed


def test_moves_cancellations_and_sensor_skips_say_who_did_what(
    owner_client, customer, location, in_area_hauler, run_on_commit
):
    moved = booked(customer, location, run_on_commit)
    run_on_commit(
        dispatch.reschedule, pickup=moved, service_date=dt.date(2026, 12, 10), reason="Date changed by the customer"
    )
    cancelled = booked(customer, location, run_on_commit, day=dt.date(2026, 12, 11))
    run_on_commit(services.cancel_pickup, pickup=cancelled)
    skipped = factories.PickupFactory(location=location, status="skipped", service_date=dt.date(2026, 12, 3))
    logged(skipped, "skipped", "The sensor read 12% at the cutoff, under the 20% below which a visit is skipped.")

    feed = activity_of(owner_client)
    assert "You moved your trash pickup to Thu, Dec 10; we are finding a hauler for the new day" in feed
    assert "You cancelled your trash pickup for Fri, Dec 11" in feed
    assert "Your bin sensor skipped your trash pickup for Thu, Dec 3: the bin was nearly empty" in feed


def test_a_business_with_several_locations_is_told_which(owner_client, customer, location):
    other = factories.LocationFactory(customer=customer, name="Warehouse")
    location.name = "Congress Avenue"
    location.save()
    for place in (location, other):
        pickup = factories.PickupFactory(location=place, hauler=None, status="offered", service_date=WEDNESDAY)
        logged(pickup, "offered", "Offered to 1 hauler(s)")
    feed = activity_of(owner_client)
    assert "to a hauler at Warehouse</a>" in feed and "to a hauler at Congress Avenue</a>" in feed


def test_a_quiet_dashboard_says_what_to_do_next(owner_client):
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert 'Nothing coming up. <a href="/book/">Book a pickup</a>' in page
    assert "Nothing has happened to your pickups in the last 30 days." in page


def test_the_quote_s_hold_is_said_in_the_location_s_zone_with_the_zone(owner_client, location, in_area_hauler):
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": WEDNESDAY.isoformat(), "frequency": "once", "window": "07:00-11:00",
    }  # fmt: skip
    page = owner_client.post(reverse("book"), form).content.decode()
    quote = Quote.objects.get()
    held = quote.expires_at.astimezone(AUSTIN)
    assert held.utcoffset() != dt.timedelta(0)  # the case tells the two clocks apart
    said = f"{held:%a, %b} {held.day}, {held.hour % 12 or 12}:{held.minute:02d} {held:%p} CST"
    assert f"This price is held until {said}." in page  # not the UTC clock with no zone
    assert "Wednesday, December 9, 2026, arrival window 7:00\u201311:00 AM CST" in page


def test_no_notifications_says_what_will_come_and_where_to_choose(owner_client):
    page = owner_client.get(reverse("notifications")).content.decode()
    assert "No notifications yet. We tell you here, and by email," in page
    assert '<a href="/notifications/preferences/">Choose which ones are emailed</a>' in page


def test_a_plan_visit_reads_as_one(owner_client, location, in_area_hauler):
    pickup = factories.PickupFactory(location=location, hauler=in_area_hauler, service_date=WEDNESDAY)
    logged(pickup, "scheduled", "Visit of the plan")
    assert "Downtown Disposal will do your trash plan visit on Wed, Dec 9</a>." in activity_of(owner_client)


def test_the_pickup_tables_label_each_cell_for_a_phone(owner_client, location):
    factories.PickupFactory(location=location, hauler=None, status="requested", service_date=WEDNESDAY)
    page = owner_client.get(reverse("dashboard")).content.decode()
    assert '<table class="stack">' in page  # a card a row under 640 px, not a table cut off at the phone's edge
    assert '<td data-label="Hauler">None yet</td>' in page and '<td data-label="Price">' in page


def test_the_times_filters_say_one_clock_in_the_zone_they_are_given():
    from django.template import Context, Template

    template = Template(
        '{% load times tz %}{% timezone "America/Chicago" %}{{ at|when:"zone" }} | {{ at|when }} | {{ at|clock }}'
        "{% endtimezone %} | {{ start|until:end }} | {{ zone|zone_on:winter }} {{ zone|zone_on:summer }}"
    )
    said = template.render(
        Context({
            "at": dt.datetime(2026, 12, 2, 13, 1, tzinfo=dt.UTC), "start": dt.time(11, 50), "end": dt.time(12, 20),
            "zone": "America/Chicago", "winter": dt.date(2026, 12, 2), "summer": dt.date(2026, 6, 2),
        })
    )  # fmt: skip
    assert said == "Wed, Dec 2, 7:01 AM CST | Wed, Dec 2, 7:01 AM | 7:01 AM | 11:50 AM\u201312:20 PM | CST CDT"
