"""The admin: every page staff open loads, hauler actions go through the services, lists stay cheap."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from rest_framework.authtoken.models import Token

from core.admin import dollars
from core.models import StatusChange, User
from haulers.models import Credential, Hauler
from marketplace import ratings, webhooks
from marketplace.models import Notification, Offer, Pickup, Quote, UnmetDemand
from sensors import alarms as sensor_alarms
from sensors import integrations as sensor_integrations
from sensors import services as sensor_services
from tests import factories
from tests.billing.support import make_billing_rows
from tests.marketplace.rating_cast import completed_visit

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
OWN_MODELS = [model for model in REGISTERED if model._meta.app_label in {"core", "customers", "haulers", "marketplace"}]
SEARCHABLE = [model for model in REGISTERED if admin.site._registry[model].search_fields]

# The hauler list's queries: session, user, the two counts and the page itself. It must not grow per hauler.
HAULER_CHANGELIST_MAX_QUERIES = 5


def _label(model):
    return model._meta.label


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_market_rows(*, customer, location, hauler):
    """A quote booked as a pickup, offered to `hauler`, with the pickup's status change logged."""
    quote_row = Quote.objects.create(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
        price_cents=9_900,
        payout_cents=8_500,
        ranking=[{"hauler": hauler.pk, "payout_cents": 8_500}],
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    pickup = Pickup.objects.create(
        customer=customer,
        location=location,
        quote=quote_row,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=quote_row.service_date,
        status=Pickup.Status.OFFERED,
        price_cents=9_900,
        payout_cents=8_500,
        created_by=customer.memberships.get().user,
    )
    offer = Offer.objects.create(
        pickup=pickup, hauler=hauler, payout_cents=8_500, answer_by=timezone.now() + dt.timedelta(hours=2)
    )
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Pickup),
        object_id=pickup.pk,
        from_status=Pickup.Status.REQUESTED,
        to_status=Pickup.Status.OFFERED,
        reason=f"Offered to {hauler.name}",
    )
    return {"quote": quote_row, "pickup": pickup, "offer": offer, "hauler": hauler}


@pytest.fixture
def every_model(staff_user, customer, location, in_area_hauler):
    """At least one row of every model registered in the admin, so each list and change page has data."""
    factories.HaulerMembershipFactory(hauler=in_area_hauler)
    rows = make_market_rows(customer=customer, location=location, hauler=in_area_hauler)
    UnmetDemand.objects.create(
        customer=customer,
        zip_code="78664",
        waste_stream="organics",
        container="cart_96gal",
        service_date=timezone.localdate() + dt.timedelta(days=2),
    )
    Notification.objects.create(user=staff_user, kind="pickup_booked", title="Booked", dedupe_key="pickup_booked:1")
    device, _ = sensor_services.register_device(
        by=None, location=location, serial="FS-ADMIN", waste_stream="trash", container="dumpster_4yd"
    )
    sensor_services.ingest(device=device, items=[{"fill_percent": 40, "measured_at": timezone.now()}])
    sensor_alarms.open_alarm(device=device, kind="offline", detail="No reading for two hours.")
    sensor_integrations.create_integration(name="City LoRaWAN")
    Group.objects.create(name="Dispatchers")
    EmailAddress.objects.create(user=staff_user, email=staff_user.email, verified=True, primary=True)
    Token.objects.create(user=staff_user)
    interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.create(name="Expire offers", task="marketplace.tasks.expire_offers", interval=interval)
    CrontabSchedule.objects.create(minute="0", hour="6")
    ClockedSchedule.objects.create(clocked_time=timezone.now() + dt.timedelta(days=1))
    SolarSchedule.objects.create(event="sunrise", latitude=30.27, longitude=-97.74)
    make_billing_rows(customer=customer, location=location, hauler=in_area_hauler)
    visit = completed_visit(customer=customer, hauler=in_area_hauler)
    ratings.rate_pickup(pickup=visit, stars=4, tags=["on_time"], comment="Tidy.", by=None)
    endpoint = webhooks.create_endpoint(
        owner=customer, url="http://127.0.0.1:9/hooks", events=["pickup.booked"], by=customer.memberships.get().user
    )
    webhooks.emit(event_type="pickup.booked", owner=customer, data={"id": rows["pickup"].pk}, key="admin")
    assert endpoint.deliveries.exists()
    return rows


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_changelist_loads(staff_client, every_model, model):
    response = staff_client.get(url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_add_page_loads(staff_client, staff_user, every_model, model, rf):
    request = rf.get("/")
    request.user = staff_user
    if not admin.site._registry[model].has_add_permission(request):
        pytest.skip(f"{model._meta.label} rows are not added by hand")

    response = staff_client.get(url(model, "add"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_change_page_loads(staff_client, every_model, model):
    obj = model._default_manager.first()
    assert obj is not None, f"the every_model fixture made no {model._meta.label}"

    response = staff_client.get(url(model, "change", quote(obj.pk)))

    assert response.status_code == 200


@pytest.mark.parametrize("model", SEARCHABLE, ids=_label)
def test_changelist_search(staff_client, every_model, model):
    response = staff_client.get(url(model, "changelist"), {"q": "Austin 78701"})

    assert response.status_code == 200


def test_hauler_search_finds_by_name(staff_client, in_area_hauler, out_of_area_hauler):
    response = staff_client.get(url(Hauler, "changelist"), {"q": "Downtown"})

    assert list(response.context["cl"].result_list) == [in_area_hauler]


def test_hauler_list_shows_credential_expiry(staff_client, in_area_hauler):
    licence = in_area_hauler.credentials.get(kind=Credential.Kind.LICENCE)
    licence.expires_on = timezone.localdate() + dt.timedelta(days=30)
    licence.save()

    response = staff_client.get(url(Hauler, "changelist"))

    row = response.context["cl"].result_list[0]
    assert row.licence_expires_on == licence.expires_on
    assert row.insurance_expires_on == in_area_hauler.credentials.get(kind=Credential.Kind.INSURANCE).expires_on


def test_customer_list_counts_members_and_locations(staff_client, customer):
    factories.LocationFactory(customer=customer)

    response = staff_client.get(url(customer, "changelist"))

    row = response.context["cl"].result_list[0]
    assert (row.member_count, row.location_count) == (1, 2)


def _post_action(client, action, haulers):
    return client.post(url(Hauler, "changelist"), {"action": action, "_selected_action": [h.pk for h in haulers]})


def _messages(response):
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def test_verify_action_activates_a_pending_hauler(staff_client, staff_user):
    hauler = factories.HaulerFactory(status=Hauler.Status.PENDING, verified_at=None)

    response = _post_action(staff_client, "verify_selected", [hauler])

    assert response.status_code == 302
    assert _messages(response) == [(SUCCESS, "Verified 1 hauler.")]
    hauler.refresh_from_db()
    assert hauler.status == Hauler.Status.ACTIVE
    assert hauler.verified_by == staff_user
    assert hauler.verified_at is not None
    change = StatusChange.objects.get(content_type=ContentType.objects.get_for_model(Hauler), object_id=hauler.pk)
    assert (change.from_status, change.to_status, change.by) == ("pending", "active", staff_user)


def test_suspend_action_suspends_an_active_hauler(staff_client, staff_user, in_area_hauler):
    response = _post_action(staff_client, "suspend_selected", [in_area_hauler])

    assert response.status_code == 302
    assert _messages(response) == [(SUCCESS, "Suspended 1 hauler.")]
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.status == Hauler.Status.SUSPENDED
    change = StatusChange.objects.get(
        content_type=ContentType.objects.get_for_model(Hauler), object_id=in_area_hauler.pk
    )
    assert (change.from_status, change.to_status, change.by) == ("active", "suspended", staff_user)
    assert change.reason == "Suspended by staff in admin"


def test_verifying_an_active_hauler_reports_an_error_and_changes_nothing(staff_client, in_area_hauler):
    verified_at = in_area_hauler.verified_at

    response = _post_action(staff_client, "verify_selected", [in_area_hauler])

    assert response.status_code == 302
    [(level, text)] = _messages(response)
    assert level == ERROR
    assert text.startswith("Downtown Disposal: ")
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.status == Hauler.Status.ACTIVE
    assert in_area_hauler.verified_at == verified_at
    assert in_area_hauler.verified_by is None
    assert not StatusChange.objects.exists()


def test_verify_action_reports_each_hauler(staff_client, in_area_hauler):
    pending = factories.HaulerFactory(name="New Hauler", status=Hauler.Status.PENDING, verified_at=None)

    response = _post_action(staff_client, "verify_selected", [in_area_hauler, pending])

    messages = _messages(response)
    assert (SUCCESS, "Verified 1 hauler.") in messages
    assert [level for level, text in messages if text.startswith("Downtown Disposal: ")] == [ERROR]
    pending.refresh_from_db()
    assert pending.status == Hauler.Status.ACTIVE


def test_hauler_change_page_shows_status_history_read_only(staff_client, in_area_hauler):
    _post_action(staff_client, "suspend_selected", [in_area_hauler])

    response = staff_client.get(url(Hauler, "change", in_area_hauler.pk))

    assert response.status_code == 200
    assert "Suspended by staff in admin" in response.text
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert "verified_by" not in form.fields


def test_mark_credential_verified_action(staff_client, staff_user, in_area_hauler):
    credential = in_area_hauler.credentials.get(kind=Credential.Kind.LICENCE)
    Credential.objects.filter(pk=credential.pk).update(verified_at=None)

    response = staff_client.post(
        url(Credential, "changelist"), {"action": "mark_verified", "_selected_action": [credential.pk]}
    )

    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.verified_by == staff_user
    assert credential.verified_at is not None


def test_pickup_change_page_shows_offers_and_history(staff_client, every_model):
    pickup = every_model["pickup"]

    response = staff_client.get(url(Pickup, "change", pickup.pk))

    assert response.status_code == 200
    assert "Downtown Disposal" in response.text
    assert "Offered to Downtown Disposal" in response.text
    assert "$99.00" in staff_client.get(url(Pickup, "changelist")).text
    form = response.context["adminform"].form
    assert "service_date" in form.fields
    assert not {"status", "hauler", "price_cents", "payout_cents", "quantity"} & set(form.fields)


def test_staff_add_a_user_by_email(staff_client):
    response = staff_client.post(
        url(User, "add"),
        {
            "email": "New.Person@Example.com",
            "full_name": "New Person",
            "usable_password": "true",
            "password1": factories.PASSWORD,
            "password2": factories.PASSWORD,
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.full_name == "New Person"
    assert user.check_password(factories.PASSWORD)


def test_non_staff_user_is_sent_to_the_admin_login(client, customer_owner):
    client.force_login(customer_owner)

    for path in ("/admin/", url(Hauler, "changelist")):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_status_change_log_cannot_be_written_in_admin(staff_client, every_model):
    change = StatusChange.objects.get()

    assert staff_client.get(url(StatusChange, "add")).status_code == 403
    assert staff_client.get(url(StatusChange, "delete", change.pk)).status_code == 403
    staff_client.post(url(StatusChange, "change", change.pk), {"reason": "rewritten"})
    change.refresh_from_db()
    assert change.reason == "Offered to Downtown Disposal"


@pytest.mark.parametrize("count", [3, 15])
def test_hauler_changelist_queries_do_not_grow_with_haulers(staff_client, django_assert_max_num_queries, count):
    for _ in range(count):
        factories.HaulerFactory(zips=["78701"])
    changelist = url(Hauler, "changelist")
    staff_client.get(changelist)  # warm the session and content-type caches

    with django_assert_max_num_queries(HAULER_CHANGELIST_MAX_QUERIES):
        response = staff_client.get(changelist)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == count


def _queries(client, path):
    client.get(path)  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", OWN_MODELS, ids=_label)
def test_own_changelists_do_not_query_per_row(staff_client, every_model, model):
    before = _queries(staff_client, url(model, "changelist"))
    owner = factories.CustomerMembershipFactory()
    hauler = factories.HaulerFactory(name="Second Hauler", zips=["78701"])
    factories.RateFactory(hauler=hauler)
    factories.HaulerMembershipFactory(hauler=hauler)
    location = factories.LocationFactory(customer=owner.customer)
    make_market_rows(customer=owner.customer, location=location, hauler=hauler)
    UnmetDemand.objects.create(
        customer=owner.customer,
        zip_code="78665",
        waste_stream="recycling",
        container="rolloff_20yd",
        service_date=timezone.localdate() + dt.timedelta(days=4),
    )

    assert _queries(staff_client, url(model, "changelist")) == before


@pytest.mark.parametrize(
    ("cents", "shown"), [(0, "$0.00"), (1_234, "$12.34"), (123_456_78, "$123,456.78"), (None, "—")]
)
def test_dollars(cents, shown):
    assert dollars(cents) == shown
