"""What the business sees of the hauler's day: the arrival window it books, then the planned arrival and
"on the way" on the pickup page."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace import routes
from marketplace.models import Pickup, Quote, RouteStop
from marketplace.web.formatting import clock, clock_range
from tests import factories
from tests.marketplace.web.hauler.route_days import AUSTIN, planned_day

pytestmark = pytest.mark.django_db
# The session, the user, the business seat and its business, the pickup (with its location and hauler), its
# timeline, payment and invoice line, the visit's ledger entries (charged, refunded, credited), the route stop for
# the planned arrival and the one before it, the nav's hauler-seat check.
PICKUP_MAX_QUERIES = 15


def quote_form(location, **changes):
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": (timezone.localdate() + dt.timedelta(days=4)).isoformat(), "frequency": "once",
    }  # fmt: skip
    return {**form, **changes}


def test_the_booking_form_offers_the_arrival_windows(owner_client, location, in_area_hauler):
    page = owner_client.get(reverse("book")).content.decode()
    for value, label in [
        ("07:00-17:00", "Any time 7 am\u20135 pm"),
        ("07:00-11:00", "7\u201311 am"),
        ("11:00-15:00", "11 am\u20133 pm"),
        ("13:00-17:00", "1\u20135 pm"),
    ]:
        assert f'value="{value}"' in page and label in page
    assert owner_client.get(reverse("book")).context["form"]["window"].value() == "07:00-17:00"


def test_the_window_chosen_reaches_the_quote_and_the_pickup(
    owner_client, location, in_area_hauler, django_capture_on_commit_callbacks
):
    response = owner_client.post(reverse("book"), quote_form(location, window="07:00-11:00"))
    assert response.status_code == 200
    # the form's "7\u201311 am", said at the place: Austin's zone, standard or daylight time by the date
    assert re.search("arrival window 7:00\u201311:00 AM C[SD]T", response.content.decode())
    quote = Quote.objects.get()
    assert (quote.window_start, quote.window_end) == (dt.time(7), dt.time(11))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("book_quote", args=[quote.pk]))
    pickup = Pickup.objects.get()
    assert (pickup.window_start, pickup.window_end) == (dt.time(7), dt.time(11))
    # the pickup's page says it on the site's one clock, in the place's zone, as the quote did
    page = owner_client.get(response["Location"]).content.decode()
    assert re.search("arrival window 7:00\u201311:00 AM C[SD]T", page)


def test_no_window_chosen_is_any_time(owner_client, location, in_area_hauler):
    owner_client.post(reverse("book"), quote_form(location))
    quote = Quote.objects.get()
    assert (quote.window_start, quote.window_end) == (dt.time(7), dt.time(17))


def test_a_window_not_offered_is_refused(owner_client, location, in_area_hauler):
    response = owner_client.post(reverse("book"), quote_form(location, window="03:00-04:00"))
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    assert not Quote.objects.exists()


@pytest.fixture
def planned():
    return planned_day()


def business_client(client, pickup):
    membership = factories.CustomerMembershipFactory(customer=pickup.customer)
    client.force_login(membership.user)
    return client


def band(pickup, arrives: dt.datetime) -> str:
    """A quarter of an hour either side of the planned stop, inside the window the route keeps."""
    margin = dt.timedelta(minutes=15)
    start, end = (arrives - margin).time(), (arrives + margin).time()
    return clock_range(max(start, pickup.window_start), min(end, pickup.window_end))


def test_the_pickup_page_shows_the_planned_arrival_then_on_the_way(client, planned, django_assert_max_num_queries):
    first, second = planned.pickups_of(planned.trucks[0])[:2]
    business_client(client, second)
    stop = RouteStop.objects.get(pickup=second)
    arrives = timezone.localtime(stop.arrives_at, AUSTIN)

    with django_assert_max_num_queries(PICKUP_MAX_QUERIES):
        page = client.get(reverse("pickup_detail", args=[second.pk])).content.decode()

    assert f"Planned arrival about {band(second, arrives)}." in page
    assert "On the way" not in page

    Pickup.objects.filter(pk=first.pk).update(status=Pickup.Status.COMPLETED, completed_at=timezone.now())
    assert routes.on_the_way(second)
    page = client.get(reverse("pickup_detail", args=[second.pk])).content.decode()
    assert "<strong>On the way.</strong> Planned arrival about" in page


def test_no_planned_arrival_before_the_route_exists(client, location, in_area_hauler):
    pickup = factories.PickupFactory(location=location, hauler=in_area_hauler)
    client.force_login(location.customer.memberships.first().user)
    page = client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()
    assert "Planned arrival" not in page and "On the way" not in page


def test_the_planned_arrival_stays_inside_the_window(client, planned):
    # A stop planned five minutes before its window closes: "about 10:55-11:25" would say the truck may be late.
    pickup = planned.pickups_of(planned.trucks[0])[1]
    business_client(client, pickup)
    arrives = timezone.localtime(RouteStop.objects.get(pickup=pickup).arrives_at, AUSTIN)
    closes = (arrives + dt.timedelta(minutes=5)).time().replace(second=0, microsecond=0)
    Pickup.objects.filter(pk=pickup.pk).update(window_start=min(pickup.window_start, closes), window_end=closes)

    page = client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()

    pickup.refresh_from_db()
    assert f"Planned arrival about {band(pickup, arrives)}." in page
    assert band(pickup, arrives).endswith(clock(closes))  # the window's close, not a quarter past the stop
