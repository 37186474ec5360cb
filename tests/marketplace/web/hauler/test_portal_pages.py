"""The portal's pages as a phone shows them: tables that become cards, nothing that scrolls sideways, and the jobs
after this week one link away."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from haulers import services as hauler_services
from marketplace import scheduling
from marketplace.models import Pickup
from tests import factories
from tests.marketplace.web.hauler.route_days import planned_day

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Tables(HTMLParser):
    """Each table's class, each data cell's data-label, and anything that would scroll sideways."""

    def __init__(self):
        super().__init__()
        self.tables, self.cells, self.scrollers = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append(attrs.get("class") or "")
        elif tag == "td":
            self.cells.append(attrs.get("data-label"))
        if "overflow-auto" in (attrs.get("class") or "").split():
            self.scrollers.append(tag)


def tables_of(page: str) -> Tables:
    parser = Tables()
    parser.feed(page)
    return parser


def assert_stacks(page: str, *, tables: int) -> None:
    seen = tables_of(page)
    assert len(seen.tables) == tables
    assert all("stack" in table.split() for table in seen.tables), seen.tables
    assert seen.cells and all(seen.cells), "every cell says which column it is on a phone"
    assert seen.scrollers == [], "no region scrolls sideways (axe: scrollable-region-focusable)"


@pytest.fixture
def owner(client, in_area_hauler):
    user = factories.HaulerMembershipFactory(hauler=in_area_hauler, role="owner").user
    client.force_login(user)
    return user


def today() -> dt.date:
    return scheduling.local_today("America/Chicago")


def job(location, hauler, *, day, status=Pickup.Status.SCHEDULED) -> Pickup:
    return factories.PickupFactory(
        customer=location.customer, location=location, hauler=hauler, service_date=day, status=status
    )


def test_the_jobs_table_is_cards_on_a_phone(client, owner, location, in_area_hauler):
    job(location, in_area_hauler, day=today())
    job(location, in_area_hauler, day=today() + dt.timedelta(days=2))
    assert_stacks(client.get(reverse("hauler_jobs")).content.decode(), tables=2)


def test_the_earnings_tables_are_cards_on_a_phone(client, owner, location, in_area_hauler):
    done = job(location, in_area_hauler, day=today(), status=Pickup.Status.COMPLETED)
    Pickup.objects.filter(pk=done.pk).update(completed_at=timezone.now())
    assert_stacks(client.get(reverse("hauler_earnings")).content.decode(), tables=1)


def test_credentials_are_cards_and_nothing_scrolls(client, owner, in_area_hauler):
    hauler_services.add_credential(
        hauler=in_area_hauler, by=owner, kind="licence", number="TX-HL-99", issuer="City of Austin",
        valid_from=today(), expires_on=today() + dt.timedelta(days=20),
        document=SimpleUploadedFile("licence.png", PNG, content_type="image/png"),
    )  # fmt: skip
    page = client.get(reverse("hauler_credentials")).content.decode()
    assert_stacks(page, tables=1)
    assert 'data-label="Expires on"' in page and "Expires in 20 days" in page


def test_the_jobs_after_this_week_are_a_link_to_the_week_they_start(client, owner, location, in_area_hauler):
    later = job(location, in_area_hauler, day=today() + dt.timedelta(days=12))
    after = job(location, in_area_hauler, day=today() + dt.timedelta(days=15))

    page = client.get(reverse("hauler_jobs")).content.decode()
    week_end = today() + dt.timedelta(days=6)
    url = f"{reverse('hauler_jobs')}?from={later.service_date.isoformat()}"
    assert f'<a href="{url}">2 more jobs after {week_end:%b} {week_end.day}</a>' in page
    assert f"the next on {later.service_date:%A, %b} {later.service_date.day}." in page

    following = client.get(url)
    assert [row["pk"] for row in following.context["week_jobs"]] == [later.pk, after.pk]
    assert following.context["today_jobs"] == [] and following.context["overdue"] == []
    page = following.content.decode()
    assert "Back to this week" in page and "more job" not in page
    # Sorting keeps the week.
    assert f'href="?from={later.service_date.isoformat()}&amp;order=zip"' in page


def test_a_week_before_today_or_a_bad_date_is_this_week(client, owner):
    for value in ["2001-01-01", "soon"]:
        assert client.get(reverse("hauler_jobs"), {"from": value}).context["start"] == today()


def test_a_driver_is_sent_back_to_the_days_route_not_to_office_pages(client):
    planned = planned_day()
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]

    page = client.get(reverse("hauler_job", args=[first.pk])).content.decode()

    back = reverse("hauler_day") + f"?day={planned.day.isoformat()}"
    assert f'href="{back}">Back to the day\'s route</a>' in page
    for office in ("hauler_jobs", "hauler_earnings"):  # a driver's 403s
        assert f'href="{reverse(office)}"' not in page.split("</nav>")[-1]


def test_empty_pages_say_what_to_do_next(client, owner, in_area_hauler):
    offers = client.get(reverse("hauler_offers")).content.decode()
    assert "No offers right now" in offers and f'<a href="{reverse("hauler_area")}">service area</a>' in offers
    assert "0 open offers" not in offers
    earnings = client.get(reverse("hauler_earnings")).content.decode()
    assert f'No completed jobs yet. <a href="{reverse("hauler_offers")}">Accept an offer</a>' in earnings
    jobs = client.get(reverse("hauler_jobs")).content.decode()
    assert f'New jobs come from <a href="{reverse("hauler_offers")}">offers</a> you accept.' in jobs


def test_a_truck_with_no_stops_points_to_the_next_day(client):
    planned = planned_day()
    client.force_login(planned.owner)
    later = planned.day + dt.timedelta(days=30)
    page = client.get(reverse("hauler_day"), {"day": later.isoformat()}).content.decode()
    assert "No stops planned for Truck 1" in page
    assert f"day={(later + dt.timedelta(days=1)).isoformat()}" in page.split("No stops planned")[1].split("</p>")[0]


def test_a_truck_of_one_stop_and_one_yard_is_said_in_the_singular(client, owner, in_area_hauler):
    factories.TruckFactory(hauler=in_area_hauler, name="Little one", capacity_per_trip=1, stops_per_shift=1)
    page = client.get(reverse("hauler_trucks")).content.decode()
    assert "<dd>1 cubic yard</dd>" in page and "<dd>up to 1 stop, " in page
