"""The staff console: the admin index counts the market's queues and links to them, internal models stay with
superusers, money reads in dollars and times in the market's zone."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token, TokenProxy

from billing.models import Payment
from core.admin_site import StaffAdminSite
from haulers.models import Credential, Hauler
from marketplace import staff_console
from marketplace.models import Offer, Pickup
from sensors import alarms as sensor_alarms
from sensors import services as sensor_services
from tests import factories
from tests.billing.support import failed_payment

INTERNAL = [ClockedSchedule, SolarSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, TokenProxy, Group]
CHICAGO = ZoneInfo("America/Chicago")
# One per model counted (pickups, offers, haulers, credentials, payments, alarms), whatever the rows.
QUEUE_QUERIES = 6


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def pickup(location, hauler, status, **fields):
    return factories.PickupFactory(location=location, hauler=hauler, status=status, **fields)


def fill_every_queue(*, location, hauler, copies=1):
    """`copies` rows in each of the console's queues, and rows just outside each one."""
    now = timezone.now()
    for _ in range(copies):
        pickup(location, None, Pickup.Status.UNMATCHED)
        stuck = pickup(location, None, Pickup.Status.REQUESTED)
        Pickup.objects.filter(pk=stuck.pk).update(updated_at=now - dt.timedelta(hours=1))
        pickup(location, None, Pickup.Status.REQUESTED)  # just booked: dispatch is on it
        pickup(location, hauler, Pickup.Status.MISSED)
        offered = pickup(location, None, Pickup.Status.OFFERED)
        Offer.objects.create(pickup=offered, hauler=hauler, payout_cents=2_400, answer_by=now - dt.timedelta(minutes=5))
        waiting = pickup(location, None, Pickup.Status.OFFERED)
        Offer.objects.create(pickup=waiting, hauler=hauler, payout_cents=2_400, answer_by=now + dt.timedelta(hours=1))
        pending = factories.HaulerFactory(status=Hauler.Status.PENDING, verified_at=None)
        pending.credentials.filter(kind=Credential.Kind.LICENCE).update(verified_at=None)
        lapsed = pending.credentials.get(kind=Credential.Kind.INSURANCE)  # unverified but expired: not waiting
        Credential.objects.filter(pk=lapsed.pk).update(
            verified_at=None, valid_from=dt.date(2019, 1, 1), expires_on=dt.date(2020, 1, 1)
        )
        failed_payment(pickup(location, hauler, Pickup.Status.COMPLETED))
        device, _ = sensor_services.register_device(
            by=None,
            location=location,
            serial=f"FS-{Pickup.objects.count()}",
            waste_stream="trash",
            container="dumpster_4yd",
        )
        sensor_alarms.open_alarm(device=device, kind="offline", detail="No reading for two hours.")
        sensor_alarms.open_alarm(device=device, kind="battery_low", detail="Battery at 9%.")
        sensor_alarms.close_alarm(device=device, kind="battery_low")  # closed: not waiting


def test_index_counts_each_queue_and_links_to_exactly_those_rows(staff_client, location, in_area_hauler):
    fill_every_queue(location=location, hauler=in_area_hauler)

    response = staff_client.get(reverse("admin:index"))

    queues = {queue.key: queue for queue in response.context["staff_queues"]}
    assert {key: queue.count for key, queue in queues.items()} == {
        "unmatched": 1,
        "stuck": 1,
        "missed": 1,
        "overdue_offers": 1,
        "pending_haulers": 1,
        "credentials": 1,
        "failed_payments": 1,
        "open_alarms": 1,
    }
    page = response.text
    for queue in queues.values():
        assert f'href="{queue.url}"' in page.replace("&amp;", "&")
        assert queue.label in page
        listed = staff_client.get(queue.url)
        assert listed.status_code == 200, queue.key
        # (A filter the list does not know would redirect to ?e=1 instead of answering 200.)
        assert listed.context["cl"].result_count == queue.count, queue.key


def test_an_empty_queue_says_nothing_is_waiting(staff_client):
    response = staff_client.get(reverse("admin:index"))

    assert all(queue.count == 0 for queue in response.context["staff_queues"])
    assert "Nothing waiting." in response.text
    assert "Needs attention" in response.text


@pytest.mark.parametrize("copies", [1, 4])
def test_queue_counts_cost_a_fixed_number_of_queries(
    rf, staff_user, location, in_area_hauler, django_assert_num_queries, copies
):
    fill_every_queue(location=location, hauler=in_area_hauler, copies=copies)
    request = rf.get("/admin/")
    request.user = staff_user

    with django_assert_num_queries(QUEUE_QUERIES):
        queues = staff_console.queues(request, site=admin.site)

    assert {queue.count for queue in queues} == {copies}


def test_a_queue_the_user_may_not_open_is_neither_counted_nor_shown(client, location, in_area_hauler):
    fill_every_queue(location=location, hauler=in_area_hauler)
    clerk = factories.UserFactory(email="clerk@example.com", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(clerk)

    response = client.get(reverse("admin:index"))

    assert [queue.key for queue in response.context["staff_queues"]] == ["failed_payments"]
    assert "Missed pickups" not in response.text


@pytest.fixture
def ops_staff(db):
    """Staff (not a superuser) holding every model permission there is, the internal models' included."""
    user = factories.UserFactory(email="ops@example.com", is_staff=True)
    user.user_permissions.set(Permission.objects.all())
    return user


def test_internal_models_are_hidden_from_staff_who_are_not_superusers(client, ops_staff):
    client.force_login(ops_staff)

    index = client.get(reverse("admin:index"))

    listed = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert not listed & {model._meta.object_name for model in INTERNAL}
    assert {"Pickup", "Payment", "Hauler"} <= listed
    for model in INTERNAL:
        assert client.get(changelist(model)).status_code == 403, model._meta.label
    assert client.get(reverse("admin:app_list", args=["django_celery_beat"])).status_code == 404
    token = Token.objects.create(user=ops_staff)
    assert client.get(reverse("admin:authtoken_tokenproxy_change", args=[token.pk])).status_code in (403, 404)


def test_superusers_still_manage_the_internal_models(staff_client):
    index = staff_client.get(reverse("admin:index"))

    listed = {model["object_name"] for app in index.context["app_list"] for model in app["models"]}
    assert {model._meta.object_name for model in INTERNAL} <= listed
    for model in INTERNAL:
        assert staff_client.get(changelist(model)).status_code == 200, model._meta.label


def test_the_admin_is_the_staff_site():
    assert isinstance(admin.site._wrapped, StaffAdminSite)


@pytest.fixture
def payment(location, in_area_hauler):
    row = failed_payment(pickup(location, in_area_hauler, Pickup.Status.COMPLETED, price_cents=8_220))
    # 20:05 UTC on Dec 1 is 2:05 PM in Chicago.
    Payment.objects.filter(pk=row.pk).update(created_at=dt.datetime(2026, 12, 1, 20, 5, tzinfo=dt.UTC))
    row.refresh_from_db()
    return row


def test_a_payment_reads_in_dollars_and_in_the_market_zone(staff_client, payment):
    page = staff_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).text

    assert "$82.20" in page
    assert "8220" not in page and "8,220" not in page
    assert not re.search(r"(?i)amount cents|credit cents|payable cents", page)
    assert "2:05 p.m." in page  # Django's own format, in Chicago's wall-clock time
    assert "8:05 p.m." not in page
    assert "Times in America/Chicago (CST)." in page


def test_a_payment_list_reads_in_dollars_and_in_the_market_zone(staff_client, payment):
    page = staff_client.get(changelist(Payment)).text

    assert "$82.20" in page
    assert "2:05 p.m." in page
    assert "America/Chicago" in page


def test_pickup_page_shows_its_price_in_dollars(staff_client, location, in_area_hauler):
    row = pickup(location, in_area_hauler, Pickup.Status.SCHEDULED, price_cents=8_220, payout_cents=6_100)

    response = staff_client.get(reverse("admin:marketplace_pickup_change", args=[row.pk]))

    assert "$82.20" in response.text and "$61.00" in response.text
    assert not re.search(r"(?i)price cents|payout cents", response.text)
    assert not {"price_cents", "payout_cents"} & set(response.context["adminform"].form.fields)


def test_a_time_typed_in_the_admin_means_the_market_zone(staff_client):
    # What staff type is read in the zone the page shows: 9:00 typed is 9:00 in Chicago (15:00 UTC).
    response = staff_client.post(
        reverse("admin:django_celery_beat_clockedschedule_add"),
        {
            "clocked_time_0": "2026-12-02",
            "clocked_time_1": "09:00:00",
            "periodictask_set-TOTAL_FORMS": "0",
            "periodictask_set-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    clocked = ClockedSchedule.objects.get()
    assert clocked.clocked_time == dt.datetime(2026, 12, 2, 9, 0, tzinfo=CHICAGO)
    assert timezone.get_current_timezone_name() == "UTC"  # the zone never leaks past the admin's request


def test_every_input_of_an_inline_row_has_a_name(staff_client, customer):
    page = staff_client.get(reverse("admin:customers_customer_change", args=[customer.pk])).text

    email = re.search(r'<input[^>]*name="memberships-0-email"[^>]*>', page).group(0)
    role = re.search(r'<select[^>]*name="memberships-0-role"[^>]*>', page).group(0)
    delete = re.search(r'<input[^>]*name="memberships-0-DELETE"[^>]*>', page).group(0)
    assert 'aria-label="Email"' in email
    assert 'aria-label="Role"' in role
    assert 'aria-label="Delete this row"' in delete


def test_a_date_and_time_field_names_both_its_boxes(staff_client, customer):
    membership = customer.memberships.get()

    page = staff_client.get(reverse("admin:customers_membership_change", args=[membership.pk])).text

    assert re.search(r'<input[^>]*name="accepted_at_0"[^>]*aria-label="Accepted at \(date\)"', page)
    assert re.search(r'<input[^>]*name="accepted_at_1"[^>]*aria-label="Accepted at \(time\)"', page)


def test_a_trucks_disposal_sites_are_checkboxes_with_labels(staff_client, in_area_hauler):
    truck = in_area_hauler.trucks.first()
    site = factories.DisposalSiteFactory(hauler=in_area_hauler, name="East Transfer Station")
    truck.disposal_sites.add(site)

    page = staff_client.get(reverse("admin:haulers_hauler_change", args=[in_area_hauler.pk])).text

    assert "selectfilter" not in page
    assert re.search(r'<label for="id_trucks-0-disposal_sites_\d+"><input type="checkbox"', page)
    assert "East Transfer Station" in page


def test_a_rate_is_typed_in_dollars_and_kept_in_cents(staff_client, in_area_hauler):
    rate = in_area_hauler.rates.first() or factories.RateFactory(hauler=in_area_hauler)
    change = reverse("admin:haulers_rate_change", args=[rate.pk])
    form = staff_client.get(change).context["adminform"].form
    assert form["price_cents"].label == "Price ($)"
    assert form["price_cents"].value() == f"{rate.price_cents / 100:.2f}"

    response = staff_client.post(
        change,
        {
            "hauler": in_area_hauler.pk,
            "waste_stream": rate.waste_stream,
            "container": rate.container,
            "price_cents": "$82.20",
            "extra_container_cents": "12.5",
        },
    )

    assert response.status_code == 302
    rate.refresh_from_db()
    assert (rate.price_cents, rate.extra_container_cents) == (8_220, 1_250)


def test_a_dollar_amount_with_fractions_of_a_cent_is_refused(staff_client, in_area_hauler):
    rate = in_area_hauler.rates.first() or factories.RateFactory(hauler=in_area_hauler)
    data = {"hauler": in_area_hauler.pk, "waste_stream": rate.waste_stream, "container": rate.container}

    response = staff_client.post(
        reverse("admin:haulers_rate_change", args=[rate.pk]),
        {**data, "price_cents": "82.205", "extra_container_cents": "0"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price_cents"] == ["Enter an amount in dollars, such as 82.20."]
