"""The business website: every page for the right user, refused to the wrong one; quote to booking."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from customers.models import ServiceLocation
from marketplace.models import Notification, NotificationPreference, Pickup, Quote
from tests import factories


@pytest.fixture
def hauler_client(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler).user)
    return client


def make_pickup(location, status=Pickup.Status.REQUESTED, days_ahead=3, hauler=None):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, service_date=timezone.localdate() + dt.timedelta(days=days_ahead),
        status=status, price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


BUSINESS_PAGES = ["dashboard", "book", "location_list", "location_add", "company", "onboarding"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_business_pages_render_for_the_business(owner_client, location, name):
    response = owner_client.get(reverse(name))
    assert response.status_code in (200, 302)  # onboarding sends a set-up business on to the dashboard


@pytest.mark.django_db
@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_business_pages_send_strangers_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", BUSINESS_PAGES)
def test_business_pages_refuse_a_hauler(hauler_client, name):
    assert hauler_client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
def test_another_business_pickup_and_location_are_not_found(owner_client):
    elsewhere = factories.LocationFactory()
    pickup = make_pickup(elsewhere)
    assert owner_client.get(reverse("pickup_detail", args=[pickup.pk])).status_code == 404
    assert owner_client.post(reverse("pickup_cancel", args=[pickup.pk])).status_code == 404
    assert owner_client.get(reverse("location_edit", args=[elsewhere.pk])).status_code == 404
    assert owner_client.post(reverse("location_archive", args=[elsewhere.pk])).status_code == 404
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.REQUESTED


@pytest.mark.django_db
def test_home_page_checks_a_zip(client, in_area_hauler):
    assert "Do you serve me?" in client.get(reverse("home")).content.decode()
    served = client.get(reverse("coverage"), {"zip": "78701"}).content.decode()
    assert "Yes, we serve 78701 (Austin, TX)" in served and "1 vetted hauler " in served
    assert "Not yet in 78664" in client.get(reverse("coverage"), {"zip": "78664"}).content.decode()
    assert "could not find ZIP code 00000" in client.get(reverse("coverage"), {"zip": "00000"}).content.decode()
    assert "5-digit" in client.get(reverse("coverage"), {"zip": "7870"}).content.decode()


@pytest.mark.django_db
def test_onboarding_saves_details_and_first_location_together(client):
    owner = factories.CustomerMembershipFactory().user
    client.force_login(owner)
    assert client.get(reverse("start"))["Location"] == reverse("onboarding")
    bad = {
        "company-name": "Congress Avenue Café", "company-contact_name": "Ana", "company-contact_phone": "512-555-0101",
        "location-name": "Main", "location-street": "600 Congress Ave", "location-city": "Austin",
        "location-state": "CA", "location-zip_code": "78701",
    }  # fmt: skip
    response = client.post(reverse("onboarding"), bad)
    assert response.status_code == 400
    assert "78701 is in TX, not CA" in response.content.decode()
    assert not ServiceLocation.objects.exists()
    owner.customer_membership.customer.refresh_from_db()
    assert owner.customer_membership.customer.contact_name == ""  # nothing half-saved

    response = client.post(reverse("onboarding"), {**bad, "location-state": "TX"})
    assert response["Location"] == reverse("book")
    customer = owner.customer_membership.customer
    customer.refresh_from_db()
    assert (customer.name, customer.contact_name) == ("Congress Avenue Café", "Ana")
    assert customer.locations.get().timezone == "America/Chicago"


@pytest.mark.django_db
def test_quote_then_book_in_one_click(
    owner_client, customer_owner, location, in_area_hauler, django_capture_on_commit_callbacks
):
    service_date = timezone.localdate() + dt.timedelta(days=4)
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 2,
        "service_date": service_date.isoformat(), "frequency": "once",
    }  # fmt: skip
    response = owner_client.post(reverse("book"), form)
    assert response.status_code == 200
    quote = Quote.objects.get()
    assert "$150.00" in response.content.decode()  # (85 + 40) + 20%
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("book_quote", args=[quote.pk]))
    pickup = Pickup.objects.get()
    assert response["Location"] == reverse("pickup_detail", args=[pickup.pk]) + "?booked=1"
    page = owner_client.get(response["Location"]).content.decode()
    assert "Booked." in page and "We offered your trash pickup for" in page
    subjects = [m.subject for m in mail.outbox if customer_owner.email in m.to]
    assert subjects == [f"Booked: Trash pickup on {service_date:%a, %b %-d}"]
    assert Notification.objects.filter(user=customer_owner, kind="pickup_booked").count() == 1

    # clicking Book again does not book twice
    owner_client.post(reverse("book_quote", args=[quote.pk]))
    assert Pickup.objects.count() == 1


@pytest.mark.django_db
def test_no_hauler_says_so_on_the_form(owner_client, location, out_of_area_hauler):
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "frequency": "once",
    }  # fmt: skip
    response = owner_client.post(reverse("book"), form)
    assert response.status_code == 400
    assert "No hauler serves this yet" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": 0}, "greater than or equal to 1"),
        ({"quantity": 500}, "less than or equal to 20"),
        ({"service_date": "2001-01-01"}, "in the past"),
        ({"service_date": "tomorrow"}, "Enter a valid date"),
        ({"container": "bucket"}, "Select a valid choice"),
    ],
)
def test_bad_quote_input_is_explained(owner_client, location, in_area_hauler, change, message):
    form = {
        "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "frequency": "once", **change,
    }  # fmt: skip
    response = owner_client.post(reverse("book"), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_another_business_location_cannot_be_chosen(owner_client, location, in_area_hauler):
    elsewhere = factories.LocationFactory()
    form = {
        "location": elsewhere.pk, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
        "service_date": (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "frequency": "once",
    }  # fmt: skip
    assert owner_client.post(reverse("book"), form).status_code == 400
    assert not Quote.objects.exists()


@pytest.mark.django_db
def test_another_business_quote_cannot_be_booked(owner_client, in_area_hauler):
    other = factories.LocationFactory()
    quote = Quote.objects.create(
        customer=other.customer, location=other, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=2), price_cents=100, payout_cents=50,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )  # fmt: skip
    assert owner_client.post(reverse("book_quote", args=[quote.pk])).status_code == 404
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_cancel_and_move_from_the_pickup_page(owner_client, location, in_area_hauler):
    pickup = make_pickup(location)
    new_date = pickup.service_date + dt.timedelta(days=1)
    response = owner_client.post(reverse("pickup_move", args=[pickup.pk]), {"service_date": new_date.isoformat()})
    assert response.status_code == 302
    pickup.refresh_from_db()
    assert pickup.service_date == new_date

    owner_client.post(reverse("pickup_cancel", args=[pickup.pk]), {"confirm": "yes"})  # from the page that asks
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.CANCELLED
    again = owner_client.post(reverse("pickup_cancel", args=[pickup.pk]))
    assert again.status_code == 409
    assert "cannot be cancelled" in again.content.decode()


@pytest.mark.django_db
def test_a_scheduled_pickup_cannot_be_moved_inside_the_cutoff(owner_client, location, in_area_hauler):
    pickup = make_pickup(location, status=Pickup.Status.SCHEDULED, days_ahead=0, hauler=in_area_hauler)
    response = owner_client.post(
        reverse("pickup_move", args=[pickup.pk]),
        {"service_date": (pickup.service_date + dt.timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 409
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.SCHEDULED


@pytest.mark.django_db
def test_the_pickup_page_shows_the_timeline_and_the_hauler(owner_client, location, in_area_hauler):
    from core.transitions import transition

    pickup = make_pickup(location)
    transition(pickup, Pickup.Status.OFFERED, reason="Offered to 1 hauler(s)")
    transition(pickup, Pickup.Status.SCHEDULED, reason="Accepted", fields={"hauler": in_area_hauler})
    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()
    assert "Downtown Disposal" in page
    # in sentences, oldest first: not "offered" and "scheduled" with the reasons written for staff
    assert page.index("We offered your trash pickup for") < page.index("Downtown Disposal is booked for your trash")
    assert "Offered to 1 hauler(s)" not in page and "Scheduled <small>" not in page
    assert "CST" in page or "CDT" in page  # times in the location's timezone


@pytest.mark.django_db
def test_locations_add_edit_archive_restore(owner_client, customer, location):
    response = owner_client.post(
        reverse("location_add"),
        {"name": "Warehouse", "street": "1 Airport Blvd", "city": "Austin", "state": "TX", "zip_code": "99999"},
    )
    assert response.status_code == 400
    assert "could not find ZIP code 99999" in response.content.decode()
    response = owner_client.post(
        reverse("location_add"),
        {"name": "Warehouse", "street": "1 Airport Blvd", "city": "Austin", "state": "TX", "zip_code": "78702"},
    )
    assert response.status_code == 302
    warehouse = customer.locations.get(name="Warehouse")

    owner_client.post(
        reverse("location_edit", args=[warehouse.pk]),
        {"name": "Depot", "street": "1 Airport Blvd", "city": "Austin", "state": "TX", "zip_code": "78702"},
    )
    warehouse.refresh_from_db()
    assert warehouse.name == "Depot"

    make_pickup(warehouse)
    owner_client.post(reverse("location_archive", args=[warehouse.pk]))
    warehouse.refresh_from_db()
    assert warehouse.archived_at is not None  # archived, never deleted: it has pickups
    assert "(archived)" in owner_client.get(reverse("location_list")).content.decode()
    owner_client.post(reverse("location_restore", args=[warehouse.pk]))
    warehouse.refresh_from_db()
    assert warehouse.archived_at is None


# The user with both seats and the business (the session comes from the cache); the sensors and their savings
# (one query), the upcoming pickups, those needing attention, the plans, the pickups changed lately and their
# changes.
DASHBOARD_QUERIES = 7


@pytest.mark.django_db
def test_dashboard_groups_pickups_and_its_queries_do_not_grow(owner_client, location, django_assert_num_queries):
    def page():
        return owner_client.get(reverse("dashboard")).content.decode()

    make_pickup(location, status=Pickup.Status.UNMATCHED)
    page()  # once untimed: the process then knows Pickup's content type (it is cached, read once)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        page()
    for _ in range(10):
        make_pickup(location)
        make_pickup(location, status=Pickup.Status.UNMATCHED)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        content = page()
    assert "Needs your attention" in content and "Upcoming" in content


@pytest.mark.django_db
def test_notifications_list_mark_read_and_email_preferences(owner_client, customer_owner):
    Notification.objects.create(user=customer_owner, kind="pickup_booked", title="Booked!", dedupe_key="x")
    assert "Booked!" in owner_client.get(reverse("notifications")).content.decode()
    owner_client.post(reverse("notifications"))
    assert Notification.objects.get().read_at is not None

    page = owner_client.get(reverse("notification_preferences")).content.decode()
    assert "Booking confirmations" in page
    owner_client.post(reverse("notification_preferences"), {"pickup_scheduled": "on"})  # everything else off
    muted = set(NotificationPreference.objects.filter(user=customer_owner).values_list("kind", flat=True))
    assert "pickup_booked" in muted and "pickup_scheduled" not in muted


@pytest.mark.django_db
def test_a_muted_kind_is_shown_in_the_app_but_not_emailed(customer_owner, location, in_area_hauler):
    from marketplace import notifications

    NotificationPreference.objects.create(user=customer_owner, kind="pickup_booked")
    pickup = make_pickup(location)
    mail.outbox.clear()
    assert notifications.send("pickup_booked", pickup.pk) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(user=customer_owner, kind="pickup_booked").exists()
    # and a retried task does not duplicate the in-app row
    notifications.send("pickup_booked", pickup.pk)
    assert Notification.objects.filter(user=customer_owner, kind="pickup_booked").count() == 1


@pytest.mark.django_db
def test_the_customer_sees_the_proof_photo_and_nobody_else_does(owner_client, client, location, in_area_hauler):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from marketplace import services

    pickup = make_pickup(location, status=Pickup.Status.SCHEDULED, days_ahead=0, hauler=in_area_hauler)
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32
    with time_machine.travel(factories.in_window(pickup)):  # within the window: no reason for an early completion
        services.complete_pickup(
            pickup_id=pickup.pk, hauler=in_area_hauler, photo=SimpleUploadedFile("p.png", png), weight=120,
            notes="All good",
        )  # fmt: skip
    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()
    assert "Proof of service" in page and "120.0 kg" in page and "All good" in page
    photo = owner_client.get(reverse("pickup_proof_photo", args=[pickup.pk]))
    assert (photo.status_code, photo["Content-Type"]) == (200, "image/png")
    assert b"".join(photo.streaming_content) == png

    stranger = factories.CustomerMembershipFactory().user
    client.force_login(stranger)
    assert client.get(reverse("pickup_proof_photo", args=[pickup.pk])).status_code == 404


@pytest.mark.django_db
def test_the_customer_sees_why_a_pickup_was_not_serviced_and_can_move_it(owner_client, location, in_area_hauler):
    from marketplace import services

    pickup = make_pickup(location, status=Pickup.Status.SCHEDULED, days_ahead=0, hauler=in_area_hauler)
    with time_machine.travel(factories.in_window(pickup)):
        services.report_exception(
            pickup_id=pickup.pk, hauler=in_area_hauler, reason="not_out", notes="No bins at the curb"
        )
    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()
    assert "container not put out" in page and "No bins at the curb" in page
    assert "Move to this date" in page


@pytest.mark.django_db
def test_the_timeline_says_why_a_job_was_done_before_its_window(owner_client, location, in_area_hauler):
    from core.transitions import transition
    from marketplace.services import COMPLETED_EARLY

    pickup = make_pickup(location, status=Pickup.Status.SCHEDULED, hauler=in_area_hauler)
    transition(pickup, Pickup.Status.COMPLETED, reason=f"{COMPLETED_EARLY}The gate closes at 7")

    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()

    assert "Downtown Disposal completed your trash pickup for" in page
    assert "before its window opened: The gate closes at 7" in page
