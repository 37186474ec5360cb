"""Staff run the market in admin: the queues, re-dispatch, assignment by hand and expiry, all through dispatch."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import ERROR, SUCCESS, WARNING, get_messages
from django.urls import reverse
from django.utils import timezone

from core.models import StatusChange
from haulers.models import Hauler
from marketplace.models import Offer, Pickup, UnmetDemand
from tests import factories

PRICE_CENTS = 10_200
PAYOUT_CENTS = 8_500
# Session, user, the filtered and the full counts, the page, the date hierarchy's range and its years, the
# hauler and market filters' choices. Never one per row.
PICKUP_CHANGELIST_MAX_QUERIES = 9


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make_pickup(customer, location, *, status=Pickup.Status.REQUESTED, hauler=None):
    return Pickup.objects.create(
        customer=customer,
        location=location,
        hauler=hauler,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
        status=status,
        price_cents=PRICE_CENTS,
        payout_cents=PAYOUT_CENTS,
    )


def make_offer(pickup, hauler, *, answer_in, status=Offer.Status.PENDING):
    return Offer.objects.create(
        pickup=pickup, hauler=hauler, status=status, payout_cents=PAYOUT_CENTS, answer_by=timezone.now() + answer_in
    )


def post_action(client, model, action, objects, **data):
    return client.post(
        url(model, "changelist"), {"action": action, "_selected_action": [obj.pk for obj in objects], **data}
    )


def post_assign(client, pickups, *, hauler, payout_cents=""):
    """The assign page's own POST: the chosen hauler and payout (typed in dollars), with the confirmation marker."""
    hauler_id = hauler.pk if hauler else ""
    typed = f"{payout_cents / 100:.2f}" if payout_cents != "" else ""
    return post_action(client, Pickup, "assign_hauler", pickups, hauler=hauler_id, payout_cents=typed, assign="yes")


def messages_of(response):
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def changes_of(obj):
    content_type = ContentType.objects.get_for_model(obj)
    return list(
        StatusChange.objects.filter(content_type=content_type, object_id=obj.pk)
        .order_by("id")
        .values_list("from_status", "to_status", "by")
    )


@pytest.fixture
def second_hauler(db):
    """Another eligible in-area hauler at the same price: next in line when the first lets an offer lapse."""
    hauler = factories.HaulerFactory(name="Eastside Hauling", zips=["78701"])
    factories.RateFactory(hauler=hauler)
    return hauler


# Re-dispatch


def test_redispatch_offers_an_unmatched_pickup_to_the_in_area_hauler(
    staff_client, staff_user, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(staff_client, Pickup, "redispatch_selected", [pickup])

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "Re-dispatched 1 pickup.")]
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED
    offer = pickup.offers.get()
    assert (offer.hauler, offer.status) == (in_area_hauler, Offer.Status.PENDING)
    assert changes_of(pickup) == [("unmatched", "requested", staff_user.pk), ("requested", "offered", None)]


def test_redispatching_a_completed_pickup_reports_an_error_and_changes_nothing(
    staff_client, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.COMPLETED, hauler=in_area_hauler)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(staff_client, Pickup, "redispatch_selected", [pickup])

    assert response.status_code == 302
    assert messages_of(response) == [
        (ERROR, f"Pickup {pickup.pk}: A completed pickup cannot be re-dispatched."),
    ]
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler) == (Pickup.Status.COMPLETED, in_area_hauler)
    assert not Offer.objects.exists()
    assert not StatusChange.objects.exists()


def test_redispatch_reports_each_pickup_on_its_own(
    staff_client, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    missed = make_pickup(customer, location, status=Pickup.Status.MISSED, hauler=in_area_hauler)
    accepted = make_offer(missed, in_area_hauler, answer_in=-dt.timedelta(days=1), status=Offer.Status.ACCEPTED)
    cancelled = make_pickup(customer, location, status=Pickup.Status.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(staff_client, Pickup, "redispatch_selected", [missed, cancelled])

    assert sorted(messages_of(response)) == [
        (SUCCESS, "Re-dispatched 1 pickup."),
        (ERROR, f"Pickup {cancelled.pk}: A cancelled pickup cannot be re-dispatched."),
    ]
    missed.refresh_from_db()
    cancelled.refresh_from_db()
    # The hauler that missed it is not offered it again: nobody else is eligible, so staff see it unmatched.
    assert (missed.status, missed.hauler) == (Pickup.Status.UNMATCHED, None)
    accepted.refresh_from_db()
    assert accepted.status == Offer.Status.RELEASED
    assert cancelled.status == Pickup.Status.CANCELLED


# Assignment by hand


def test_assign_page_lists_active_haulers_only(staff_client, customer, location, in_area_hauler):
    factories.HaulerFactory(name="Suspended Sanitation", status=Hauler.Status.SUSPENDED)
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    response = post_action(staff_client, Pickup, "assign_hauler", [pickup])

    assert response.status_code == 200
    assert "admin/marketplace/pickup/assign_hauler.html" in {template.name for template in response.templates}
    assert "Downtown Disposal" in response.text
    assert "Suspended Sanitation" not in response.text
    assert "$99.00" in response.text  # the highest payout the margin guard allows: $102.00 less $3.00
    assert list(response.context["form"].fields["hauler"].queryset) == [in_area_hauler]
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED


def test_assigning_by_hand_schedules_the_pickup_with_that_hauler(
    staff_client, staff_user, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_assign(staff_client, [pickup], hauler=in_area_hauler, payout_cents=9_000)

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "Assigned 1 pickup to Downtown Disposal.")]
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler, pickup.payout_cents) == (Pickup.Status.SCHEDULED, in_area_hauler, 9_000)
    offer = pickup.offers.get()
    assert (offer.hauler, offer.status, offer.payout_cents) == (in_area_hauler, Offer.Status.ACCEPTED, 9_000)
    assert changes_of(pickup) == [("unmatched", "scheduled", staff_user.pk)]
    assert changes_of(offer) == [("pending", "accepted", staff_user.pk)]


def test_assigning_keeps_the_payout_when_none_is_given_and_withdraws_pending_offers(
    staff_client, customer, location, in_area_hauler, second_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    pending = make_offer(pickup, second_hauler, answer_in=dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_assign(staff_client, [pickup], hauler=in_area_hauler)

    assert messages_of(response) == [(SUCCESS, "Assigned 1 pickup to Downtown Disposal.")]
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler, pickup.payout_cents) == (Pickup.Status.SCHEDULED, in_area_hauler, 8_500)
    pending.refresh_from_db()
    assert pending.status == Offer.Status.WITHDRAWN


def test_a_payout_above_the_margin_guard_is_refused(
    staff_client, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)
    too_much = PRICE_CENTS - settings.FLOOR_MARGIN_CENTS + 1

    with django_capture_on_commit_callbacks(execute=True):
        response = post_assign(staff_client, [pickup], hauler=in_area_hauler, payout_cents=too_much)

    assert response.status_code == 302
    assert messages_of(response) == [
        (ERROR, f"Pickup {pickup.pk}: That payout leaves less than the floor margin; lower it."),
    ]
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler, pickup.payout_cents) == (Pickup.Status.UNMATCHED, None, PAYOUT_CENTS)
    assert not Offer.objects.exists()
    assert not StatusChange.objects.exists()


def test_assigning_a_scheduled_pickup_is_refused(staff_client, customer, location, in_area_hauler, second_hauler):
    pickup = make_pickup(customer, location, status=Pickup.Status.SCHEDULED, hauler=in_area_hauler)

    response = post_assign(staff_client, [pickup], hauler=second_hauler)

    assert messages_of(response) == [(ERROR, f"Pickup {pickup.pk}: A scheduled pickup cannot be assigned.")]
    pickup.refresh_from_db()
    assert pickup.hauler == in_area_hauler


def test_assigning_without_a_hauler_shows_the_page_again(staff_client, customer, location, in_area_hauler):
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    response = post_assign(staff_client, [pickup], hauler=None)

    assert response.status_code == 200
    assert response.context["form"].errors == {"hauler": ["This field is required."]}
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED


def test_assigning_a_hauler_outside_the_matching_rules_warns(staff_client, customer, location, out_of_area_hauler):
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    response = post_assign(staff_client, [pickup], hauler=out_of_area_hauler)

    messages = messages_of(response)
    assert (SUCCESS, "Assigned 1 pickup to Round Rock Roll-offs.") in messages
    assert [level for level, text in messages if "does not meet the matching rules" in text] == [WARNING]
    pickup.refresh_from_db()
    assert pickup.hauler == out_of_area_hauler


def test_staff_without_change_permission_get_no_dispatch_actions(client, customer, location):
    viewer = factories.UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_pickup"), Permission.objects.get(codename="view_offer")
    )
    client.force_login(viewer)
    pickup = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)

    response = client.get(url(Pickup, "changelist"))
    assert response.status_code == 200
    assert "redispatch_selected" not in response.text
    assert "expire_overdue" not in client.get(url(Offer, "changelist")).text

    post_action(client, Pickup, "redispatch_selected", [pickup])
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED


# The queues


def test_needs_attention_lists_exactly_the_stuck_pickups(
    staff_client, customer, location, in_area_hauler, second_hauler
):
    unmatched = make_pickup(customer, location, status=Pickup.Status.UNMATCHED)
    missed = make_pickup(customer, location, status=Pickup.Status.MISSED, hauler=in_area_hauler)
    overdue = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    make_offer(overdue, in_area_hauler, answer_in=-dt.timedelta(minutes=5))
    make_offer(overdue, second_hauler, answer_in=-dt.timedelta(minutes=1))
    nothing_pending = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    make_offer(nothing_pending, in_area_hauler, answer_in=-dt.timedelta(hours=1), status=Offer.Status.DECLINED)
    # Not stuck: one offer lapsed but another is still open; fresh, scheduled and finished pickups.
    half_open = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    make_offer(half_open, in_area_hauler, answer_in=-dt.timedelta(minutes=5))
    make_offer(half_open, second_hauler, answer_in=dt.timedelta(minutes=5))
    make_pickup(customer, location, status=Pickup.Status.REQUESTED)
    make_pickup(customer, location, status=Pickup.Status.SCHEDULED, hauler=in_area_hauler)
    make_pickup(customer, location, status=Pickup.Status.COMPLETED, hauler=in_area_hauler)

    def listed(attention):
        response = staff_client.get(url(Pickup, "changelist"), {"attention": attention})
        assert response.status_code == 200
        return set(response.context["cl"].result_list)

    assert listed("any") == {unmatched, missed, overdue, nothing_pending}
    assert listed("unmatched") == {unmatched}
    assert listed("missed") == {missed}
    assert listed("overdue") == {overdue, nothing_pending}
    with_counts = staff_client.get(url(Pickup, "changelist"), {"attention": "any", "_facets": "True"})
    assert "Offers past answer-by (2)" in with_counts.text


def test_overdue_offers_filter_and_expire_action_move_the_cascade_on(
    staff_client, customer, location, in_area_hauler, second_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    offer = make_offer(pickup, in_area_hauler, answer_in=dt.timedelta(hours=2))
    other = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    make_offer(other, second_hauler, answer_in=dt.timedelta(hours=4))
    overdue_list = url(Offer, "changelist") + "?overdue=yes"

    assert list(staff_client.get(overdue_list).context["cl"].result_list) == []

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, seconds=1)):
        assert list(staff_client.get(overdue_list).context["cl"].result_list) == [offer]
        with django_capture_on_commit_callbacks(execute=True):
            response = post_action(staff_client, Offer, "expire_overdue", [offer])

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "Expired 1 offer; the cascade moves on to the next hauler.")]
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED
    next_offer = pickup.offers.get(status=Offer.Status.PENDING)
    assert next_offer.hauler == second_hauler


def test_expire_action_counts_only_offers_that_were_due(
    staff_client, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    overdue = make_offer(
        make_pickup(customer, location, status=Pickup.Status.OFFERED), in_area_hauler, answer_in=-dt.timedelta(hours=1)
    )
    open_pickup = make_pickup(customer, location, status=Pickup.Status.OFFERED)
    still_open = make_offer(open_pickup, in_area_hauler, answer_in=dt.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = post_action(staff_client, Offer, "expire_overdue", [overdue, still_open])

    assert messages_of(response) == [
        (SUCCESS, "Expired 1 offer; the cascade moves on to the next hauler."),
        (WARNING, "Left 1 offer as it was: not pending past the answer-by time."),
    ]
    overdue.refresh_from_db()
    still_open.refresh_from_db()
    assert (overdue.status, still_open.status) == (Offer.Status.EXPIRED, Offer.Status.PENDING)
    # Nobody else serves that ZIP: the expired pickup lands in the unmatched queue.
    assert overdue.pickup.status == Pickup.Status.UNMATCHED
    open_pickup.refresh_from_db()
    assert open_pickup.status == Pickup.Status.OFFERED


# Unmet demand


def test_unmet_demand_list_and_change_pages_load(staff_client, customer):
    demand = UnmetDemand.objects.create(
        customer=customer,
        zip_code="78664",
        waste_stream="organics",
        container="cart_96gal",
        service_date=timezone.localdate() + dt.timedelta(days=2),
    )
    UnmetDemand.objects.create(
        zip_code="78665", waste_stream="trash", container="dumpster_4yd", service_date=timezone.localdate()
    )

    response = staff_client.get(url(UnmetDemand, "changelist"), {"q": customer.name})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [demand]
    assert "78664" in response.text

    response = staff_client.get(url(UnmetDemand, "change", demand.pk))
    assert response.status_code == 200
    assert "78664" in response.text
    assert "_save" not in response.text
    assert staff_client.get(url(UnmetDemand, "add")).status_code == 403


# Cost


@pytest.mark.parametrize("count", [3, 15])
def test_pickup_changelist_queries_do_not_grow_with_pickups(staff_client, django_assert_max_num_queries, count):
    statuses = [Pickup.Status.SCHEDULED, Pickup.Status.MISSED]
    for number in range(count):
        owner = factories.CustomerMembershipFactory()
        location = factories.LocationFactory(customer=owner.customer)
        hauler = factories.HaulerFactory(zips=["78701"])
        make_pickup(owner.customer, location, status=statuses[number % 2], hauler=hauler)
    changelist = url(Pickup, "changelist")
    staff_client.get(changelist)  # warm the session and content-type caches

    with django_assert_max_num_queries(PICKUP_CHANGELIST_MAX_QUERIES):
        everything = staff_client.get(changelist)
    with django_assert_max_num_queries(PICKUP_CHANGELIST_MAX_QUERIES):
        queue = staff_client.get(changelist, {"attention": "any"})

    assert len(everything.context["cl"].result_list) == count
    assert len(queue.context["cl"].result_list) == count // 2


@pytest.mark.django_db
def test_changing_the_date_in_admin_reschedules_through_dispatch(
    staff_client, staff_user, customer, location, in_area_hauler, django_capture_on_commit_callbacks
):
    pickup = make_pickup(customer, location, status=Pickup.Status.SCHEDULED, hauler=in_area_hauler)
    Offer.objects.create(
        pickup=pickup, hauler=in_area_hauler, status=Offer.Status.ACCEPTED, payout_cents=8_500, answer_by=timezone.now()
    )
    new_date = pickup.service_date + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            url(Pickup, "change", pickup.pk),
            {
                "service_date": new_date.isoformat(),
                "window_start": "07:00:00",
                "window_end": "17:00:00",
                "proof-TOTAL_FORMS": "0",
                "proof-INITIAL_FORMS": "0",
                "offers-TOTAL_FORMS": "1",
                "offers-INITIAL_FORMS": "1",
                "core-statuschange-content_type-object_id-TOTAL_FORMS": "0",
                "core-statuschange-content_type-object_id-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    pickup.refresh_from_db()
    assert (pickup.service_date, pickup.status) == (new_date, Pickup.Status.OFFERED)
    assert changes_of(pickup)[-2:] == [("scheduled", "requested", staff_user.pk), ("requested", "offered", None)]
