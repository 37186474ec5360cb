"""Lockouts: more than LOCKOUT_MAX_GIVE_BACKS give-backs or lapsed offers in 24 hours pause a hauler's new offers
for 24 hours, once; the hauler is told; staff lift it with a reason, in a service and in the Hauler admin."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict
from haulers import pauses
from haulers.models import Hauler, OfferPause
from marketplace import dispatch, lockouts
from marketplace.models import Offer, Pickup
from tests import factories


@pytest.fixture
def hauler(in_area_hauler):
    factories.HaulerMembershipFactory(hauler=in_area_hauler)
    return in_area_hauler


def lapse(location, hauler, run_on_commit, *, answered_hours_ago: float = 0.1) -> Offer:
    """A pending offer of a new pickup whose answer-by time passed, expired through the sweep's service."""
    pickup = factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.OFFERED)
    offer = Offer.objects.create(
        pickup=pickup, hauler=hauler, payout_cents=2_000,
        answer_by=timezone.now() - dt.timedelta(hours=answered_hours_ago),
    )  # fmt: skip
    assert run_on_commit(dispatch.expire_offer, offer_id=offer.pk)
    return offer


def paused(hauler) -> bool:
    hauler.refresh_from_db()
    return bool(hauler.offers_paused_until and hauler.offers_paused_until > timezone.now())


@pytest.mark.django_db
def test_the_fourth_lapsed_offer_in_a_day_pauses_offers_for_a_day_and_tells_the_hauler(location, hauler, run_on_commit):
    for _ in range(3):
        lapse(location, hauler, run_on_commit)
    assert not paused(hauler)  # three is the limit, not over it
    mail.outbox.clear()

    lapse(location, hauler, run_on_commit)

    assert paused(hauler)
    pause = OfferPause.objects.get(hauler=hauler)
    assert pause.until - pause.started_at == dt.timedelta(hours=24)
    assert pause.reason == "0 jobs given back and 4 offers let expire in 24 hours"
    sent = [m for m in mail.outbox if m.to == [hauler.memberships.get().user.email]]
    assert [m.subject for m in sent] == ["New offers paused for a day: too many jobs given back or offers let expire"]
    assert "4 offers let expire in 24 hours. New offers resume " in sent[0].body
    assert sent[0].body.split("New offers resume ")[1].split(".")[0].endswith(("CST", "CDT"))  # the depot's zone


@pytest.mark.django_db
def test_a_pause_is_written_once_however_many_events_follow(location, hauler, run_on_commit):
    for _ in range(6):
        lapse(location, hauler, run_on_commit)
    assert OfferPause.objects.filter(hauler=hauler).count() == 1
    assert lockouts.check_lockout(hauler_id=hauler.pk) is None  # and checking again changes nothing


@pytest.mark.django_db
def test_offers_lapsed_more_than_a_day_ago_do_not_count(location, hauler, run_on_commit):
    for _ in range(3):
        lapse(location, hauler, run_on_commit, answered_hours_ago=30)
    lapse(location, hauler, run_on_commit)
    assert not paused(hauler)


@pytest.mark.django_db
def test_give_backs_count_with_lapsed_offers(location, hauler, run_on_commit):
    for _ in range(2):
        lapse(location, hauler, run_on_commit)
    owner = hauler.memberships.get().user
    for _ in range(2):
        pickup = factories.PickupFactory(
            location=location, hauler=hauler, service_date=timezone.localdate() + dt.timedelta(days=4)
        )
        Offer.objects.create(
            pickup=pickup, hauler=hauler, status="accepted", payout_cents=2_000, answer_by=timezone.now()
        )
        run_on_commit(dispatch.release_pickup, pickup=pickup, hauler=hauler, by=owner, reason="Truck broke down")
    assert paused(hauler)
    assert OfferPause.objects.get(hauler=hauler).reason == "2 jobs given back and 2 offers let expire in 24 hours"


@pytest.mark.django_db
def test_staff_lift_a_pause_with_a_reason_and_the_count_starts_again(location, hauler, run_on_commit, admin_user):
    for _ in range(4):
        lapse(location, hauler, run_on_commit)
    mail.outbox.clear()

    pause = run_on_commit(pauses.lift_offer_pause, hauler=hauler, by=admin_user, reason="Phone lines were down")

    assert not paused(hauler)
    pause.refresh_from_db()
    assert (pause.lifted_by, pause.lift_reason) == (admin_user, "Phone lines were down")
    assert [m.subject for m in mail.outbox] == ["Offers resume: staff lifted the pause"]
    lapse(location, hauler, run_on_commit)  # the four before the lift caused the pause already
    assert not paused(hauler)


@pytest.mark.django_db
def test_a_lift_needs_a_reason_and_a_pause(hauler, admin_user):
    with pytest.raises(Conflict):
        pauses.lift_offer_pause(hauler=hauler, by=admin_user, reason="No reason to pause")
    Hauler.objects.filter(pk=hauler.pk).update(offers_paused_until=timezone.now() + dt.timedelta(hours=3))
    with pytest.raises(ValidationError):
        pauses.lift_offer_pause(hauler=hauler, by=admin_user, reason="   ")


@pytest.mark.django_db
def test_a_pause_ends_by_itself_after_a_day(location, hauler, run_on_commit):
    for _ in range(4):
        lapse(location, hauler, run_on_commit)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1)):
        assert not paused(hauler)


@pytest.mark.django_db
def test_the_hauler_admin_lifts_a_pause_after_asking_why(location, hauler, run_on_commit, admin_client):
    for _ in range(4):
        lapse(location, hauler, run_on_commit)
    url = reverse("admin:haulers_hauler_changelist")
    chosen = {"action": "lift_offer_pause", "_selected_action": [hauler.pk]}

    factories.HaulerFactory(name="Never Paused Hauling")
    listed = admin_client.get(url, {"offers": "paused"}).content.decode()
    assert hauler.name in listed and "Never Paused Hauling" not in listed

    asked = admin_client.post(url, chosen)
    assert asked.status_code == 200
    assert "Lift the offer pause" in asked.content.decode()
    assert paused(hauler)

    done = admin_client.post(
        url, {**chosen, "lift_confirmed": "yes", "reason": "Hail storm closed the yard"}, follow=True
    )

    assert "Lifted the offer pause of 1 hauler" in done.content.decode()
    assert not paused(hauler)
    assert OfferPause.objects.get(hauler=hauler).lift_reason == "Hail storm closed the yard"
    page = admin_client.get(reverse("admin:haulers_hauler_change", args=[hauler.pk]))
    assert "Hail storm closed the yard" in page.content.decode()
