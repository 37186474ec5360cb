"""The offer cascade: decline and expiry move on, the margin guard, unmatched, fan-out, cancellation."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.errors import Conflict, NotFound
from core.transitions import history
from haulers.models import Hauler
from marketplace import dispatch, services, tasks
from marketplace.models import Offer, Pickup
from tests import factories


def member(hauler):
    return factories.HaulerMembershipFactory(hauler=hauler).user


@pytest.fixture
def market(location, in_area_hauler):
    """Three haulers serve downtown: $85 (in_area_hauler), $90 and $95, each with an owner."""
    second = factories.HaulerFactory(name="Second Best", zips=["78701"])
    factories.RateFactory(hauler=second, price_cents=9_000)
    third = factories.HaulerFactory(name="Third Choice", zips=["78701"])
    factories.RateFactory(hauler=third, price_cents=9_500)
    for hauler in (in_area_hauler, second, third):
        member(hauler)
    return [in_area_hauler, second, third]


@pytest.fixture
def book(customer, location, run_on_commit):
    def book(days_ahead=3, **overrides):
        quote = services.create_quote(
            customer=customer,
            location=location,
            waste_stream="trash",
            container="dumpster_4yd",
            quantity=1,
            service_date=timezone.localdate() + dt.timedelta(days=days_ahead),
            **overrides,
        )
        pickup = run_on_commit(services.book_quote, quote=quote, customer=customer)
        pickup.refresh_from_db()
        return pickup

    return book


def pending(pickup):
    return list(pickup.offers.filter(status=Offer.Status.PENDING).values_list("hauler__name", flat=True))


@pytest.mark.django_db
def test_booking_offers_the_cheapest_and_emails_its_members(market, book):
    mail.outbox.clear()
    pickup = book()
    assert pickup.status == Pickup.Status.OFFERED
    assert pending(pickup) == ["Downtown Disposal"]
    offer = pickup.offers.get()
    assert offer.answer_by - timezone.now() == pytest.approx(dt.timedelta(hours=2), abs=dt.timedelta(seconds=10))
    hauler_email = market[0].memberships.get().email
    to_hauler = [m for m in mail.outbox if m.to == [hauler_email]]
    assert [m.subject for m in to_hauler] == [f"New job offer: pickup on {pickup.service_date:%a, %b %-d}"]
    assert "$85.00" in to_hauler[0].body


@pytest.mark.django_db
def test_a_decline_cascades_to_the_next_hauler(market, book, run_on_commit):
    pickup = book()
    first = pickup.offers.get()

    run_on_commit(dispatch.decline_offer, offer_id=first.pk, hauler=market[0], reason="Truck in the shop")

    pickup.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, first.decline_reason) == (Offer.Status.DECLINED, "Truck in the shop")
    assert pickup.status == Pickup.Status.OFFERED
    assert pending(pickup) == ["Second Best"]
    assert pickup.offers.get(status="pending").payout_cents == 9_000
    assert [c.to_status for c in history(pickup)] == ["offered", "requested", "offered"]


@pytest.mark.django_db
def test_an_unanswered_offer_expires_on_the_sweep_and_the_cascade_moves_on(market, book, run_on_commit):
    pickup = book()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=119)):
        assert run_on_commit(tasks.expire_offers) == 0  # not yet
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2, minutes=1)):
        assert run_on_commit(tasks.expire_offers) == 1
        assert run_on_commit(tasks.expire_offers) == 0  # a second sweep finds nothing more to do
    pickup.refresh_from_db()
    assert pickup.offers.get(hauler=market[0]).status == Offer.Status.EXPIRED
    assert pending(pickup) == ["Second Best"]


@pytest.mark.django_db
def test_same_day_offers_must_be_answered_sooner(market, book):
    with time_machine.travel(dt.datetime(2027, 3, 10, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6))), tick=False):
        pickup = book(days_ahead=0)
        assert pickup.offers.get().answer_by - timezone.now() == dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_nobody_left_leaves_the_pickup_unmatched_and_tells_customer_and_staff(
    market, book, run_on_commit, customer_owner, staff_user
):
    pickup = book()
    for hauler in market:
        offer = pickup.offers.get(status="pending")
        assert offer.hauler == hauler
        mail.outbox.clear()
        run_on_commit(dispatch.decline_offer, offer_id=offer.pk, hauler=hauler)

    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED
    assert pickup.offers.filter(status="pending").count() == 0
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([customer_owner.email, staff_user.email])
    assert "cancel it at no charge" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_margin_guard_stops_before_an_offer_that_eats_the_margin(location, in_area_hauler, book, run_on_commit):
    greedy = factories.HaulerFactory(name="Greedy", zips=["78701"])
    factories.RateFactory(hauler=greedy, price_cents=10_000)  # price is 8500 + 1700 = 10200; floor 300 -> max 9900
    pickup = book()

    run_on_commit(dispatch.decline_offer, offer_id=pickup.offers.get().pk, hauler=in_area_hauler)

    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED
    assert not pickup.offers.filter(hauler=greedy).exists()
    assert history(pickup).last().reason == "No eligible hauler within the price"


@pytest.mark.django_db
def test_eligibility_is_rechecked_at_each_step(market, book, run_on_commit):
    Hauler.objects.filter(pk=market[1].pk).update(status=Hauler.Status.SUSPENDED)
    pickup = book()

    run_on_commit(dispatch.decline_offer, offer_id=pickup.offers.get().pk, hauler=market[0])

    assert pending(pickup) == ["Third Choice"]


@pytest.mark.django_db
def test_a_hauler_whose_licence_lapsed_cannot_accept(market, book):
    pickup = book()
    market[0].credentials.filter(kind="licence").update(expires_on=pickup.service_date - dt.timedelta(days=1))
    with pytest.raises(Conflict, match="no longer take"):
        dispatch.accept_offer(offer_id=pickup.offers.get().pk, hauler=market[0])
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED


@pytest.mark.django_db
def test_fan_out_offers_the_top_n_and_the_first_accept_withdraws_the_rest(
    settings, market, book, run_on_commit, customer_owner
):
    settings.OFFER_FANOUT = 3
    pickup = book()
    assert sorted(pending(pickup)) == sorted(h.name for h in market)
    second_offer = pickup.offers.get(hauler=market[1])
    mail.outbox.clear()

    run_on_commit(dispatch.accept_offer, offer_id=second_offer.pk, hauler=market[1])

    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler, pickup.payout_cents) == (Pickup.Status.SCHEDULED, market[1], 9_000)
    statuses = dict(pickup.offers.values_list("hauler__name", "status"))
    assert statuses == {"Downtown Disposal": "withdrawn", "Second Best": "accepted", "Third Choice": "withdrawn"}
    to_customer = [m for m in mail.outbox if customer_owner.email in m.to]
    assert [m.subject for m in to_customer] == [f"Your pickup on {pickup.service_date:%a, %b %-d} is scheduled"]
    assert "Second Best" in to_customer[0].body
    for loser in (market[0], market[2]):
        with pytest.raises(Conflict, match="no longer open"):
            dispatch.accept_offer(offer_id=pickup.offers.get(hauler=loser).pk, hauler=loser)


@pytest.mark.django_db
def test_a_decline_under_fan_out_tops_up_to_n(settings, market, book, run_on_commit):
    settings.OFFER_FANOUT = 2
    pickup = book()
    assert sorted(pending(pickup)) == ["Downtown Disposal", "Second Best"]
    run_on_commit(dispatch.decline_offer, offer_id=pickup.offers.get(hauler=market[0]).pk, hauler=market[0])
    assert sorted(pending(pickup)) == ["Second Best", "Third Choice"]


@pytest.mark.django_db
def test_a_hauler_cannot_answer_another_haulers_offer(market, book):
    pickup = book()
    with pytest.raises(NotFound):
        dispatch.accept_offer(offer_id=pickup.offers.get().pk, hauler=market[1])
    with pytest.raises(NotFound):
        dispatch.decline_offer(offer_id=pickup.offers.get().pk, hauler=market[2])


@pytest.mark.django_db
def test_an_expired_offer_cannot_be_accepted_even_before_the_sweep(market, book):
    pickup = book()
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)), pytest.raises(Conflict, match="expired"):
        dispatch.accept_offer(offer_id=pickup.offers.get().pk, hauler=market[0])


@pytest.mark.django_db
def test_dispatching_twice_offers_once(market, book, run_on_commit):
    pickup = book()
    assert run_on_commit(dispatch.dispatch_pickup, pickup_id=pickup.pk) == []
    assert pickup.offers.count() == 1


@pytest.mark.django_db
def test_cancelling_withdraws_pending_offers_at_no_charge(market, book, run_on_commit):
    pickup = book()
    mail.outbox.clear()
    run_on_commit(services.cancel_pickup, pickup=pickup)
    pickup.refresh_from_db()
    assert (pickup.status, pickup.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 0)
    assert pickup.offers.get().status == Offer.Status.WITHDRAWN
    assert [m.to for m in mail.outbox] == [[market[0].memberships.get().email]]  # the offered hauler is told


@pytest.mark.django_db
def test_cancelling_a_scheduled_pickup_tells_the_hauler_and_charges_a_fee_after_the_cutoff(market, book, run_on_commit):
    early = book(days_ahead=5)
    run_on_commit(dispatch.accept_offer, offer_id=early.offers.get().pk, hauler=market[0])
    run_on_commit(services.cancel_pickup, pickup=early)
    early.refresh_from_db()
    assert (early.status, early.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 0)

    late = book(days_ahead=1)
    run_on_commit(dispatch.accept_offer, offer_id=late.offers.get().pk, hauler=market[0])
    start = dt.datetime.combine(late.service_date, late.window_start, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    mail.outbox.clear()
    with time_machine.travel(start - dt.timedelta(hours=5)):
        run_on_commit(services.cancel_pickup, pickup=late)
    late.refresh_from_db()
    assert (late.status, late.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 2_500)
    assert [m.subject for m in mail.outbox] == [f"Pickup on {late.service_date:%a, %b %-d} cancelled"]


@pytest.mark.django_db
def test_no_cancelling_once_the_window_has_started_or_twice(market, book, run_on_commit):
    pickup = book(days_ahead=1)
    run_on_commit(dispatch.accept_offer, offer_id=pickup.offers.get().pk, hauler=market[0])
    opened = dt.datetime.combine(pickup.service_date, dt.time(7, 1), tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    with time_machine.travel(opened), pytest.raises(Conflict, match="window has started"):
        services.cancel_pickup(pickup=pickup)
    services.cancel_pickup(pickup=pickup)
    with pytest.raises(Conflict):
        services.cancel_pickup(pickup=pickup)


@pytest.mark.django_db
def test_a_released_job_goes_to_the_next_hauler_and_costs_reliability(market, book, run_on_commit):
    pickup = book()
    run_on_commit(dispatch.accept_offer, offer_id=pickup.offers.get().pk, hauler=market[0])
    market[0].refresh_from_db()
    before = market[0].reliability_score

    run_on_commit(dispatch.release_pickup, pickup=pickup, hauler=market[0], reason="Driver out sick")

    pickup.refresh_from_db()
    market[0].refresh_from_db()
    assert pickup.hauler is None
    assert pending(pickup) == ["Second Best"]
    assert pickup.offers.get(hauler=market[0]).status == Offer.Status.RELEASED
    assert market[0].reliability_score < before


@pytest.mark.django_db
def test_staff_redispatch_an_unmatched_pickup_when_a_hauler_appears(location, in_area_hauler, book, run_on_commit):
    pickup = book()
    run_on_commit(dispatch.decline_offer, offer_id=pickup.offers.get().pk, hauler=in_area_hauler)
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.UNMATCHED

    newcomer = factories.HaulerFactory(name="Newcomer", zips=["78701"])
    factories.RateFactory(hauler=newcomer, price_cents=8_000)
    run_on_commit(dispatch.redispatch, pickup=pickup, by=None)

    assert pending(pickup) == ["Newcomer"]


@pytest.mark.django_db
def test_staff_assign_by_hand_records_an_accepted_offer(market, book, run_on_commit, staff_user):
    pickup = book()
    run_on_commit(dispatch.assign_by_hand, pickup=pickup, hauler=market[2], by=staff_user)
    pickup.refresh_from_db()
    assert (pickup.status, pickup.hauler) == (Pickup.Status.SCHEDULED, market[2])
    assert dict(pickup.offers.values_list("hauler__name", "status")) == {
        "Downtown Disposal": "withdrawn",
        "Third Choice": "accepted",
    }
    with pytest.raises(Conflict):
        dispatch.assign_by_hand(pickup=pickup, hauler=market[1], by=staff_user)


@pytest.mark.django_db
def test_rescheduling_offers_the_pickup_afresh_for_the_new_date(market, book, run_on_commit):
    pickup = book()
    run_on_commit(dispatch.accept_offer, offer_id=pickup.offers.get().pk, hauler=market[0])
    new_date = pickup.service_date + dt.timedelta(days=2)

    run_on_commit(dispatch.reschedule, pickup=pickup, service_date=new_date)

    pickup.refresh_from_db()
    assert (pickup.service_date, pickup.status, pickup.hauler) == (new_date, Pickup.Status.OFFERED, None)
    # the hauler did nothing wrong: its offer is withdrawn, not released, and it is asked again for the new date
    assert pickup.offers.get(hauler=market[0], status="withdrawn")
    assert pickup.offers.get(status="pending").hauler == market[0]


@pytest.mark.django_db
def test_rescheduling_to_a_past_date_is_refused(market, book):
    from django.core.exceptions import ValidationError

    pickup = book()
    with pytest.raises(ValidationError):
        dispatch.reschedule(pickup=pickup, service_date=timezone.localdate() - dt.timedelta(days=1))
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED


@pytest.mark.django_db
def test_the_stale_sweep_dispatches_a_pickup_whose_task_was_lost(market, customer, location, run_on_commit):
    quote = services.create_quote(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )
    pickup = services.book_quote(quote=quote, customer=customer)  # on-commit dispatch never runs: "lost"
    assert pickup.offers.count() == 0
    assert run_on_commit(tasks.dispatch_stale) == 0  # too fresh to call lost
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert run_on_commit(tasks.dispatch_stale) == 1
    assert pending(pickup) == ["Downtown Disposal"]


@pytest.mark.django_db
def test_a_missed_pickup_in_the_past_must_be_moved_before_redispatch(market, book, run_on_commit):
    pickup = book()
    run_on_commit(dispatch.accept_offer, offer_id=pickup.offers.get().pk, hauler=market[0])
    pickup.refresh_from_db()
    with time_machine.travel(timezone.now() + dt.timedelta(days=5)):
        from core.transitions import transition

        transition(pickup, Pickup.Status.MISSED, reason="window passed")
        with pytest.raises(Conflict, match="move the pickup"):
            dispatch.redispatch(pickup=pickup)


@pytest.mark.django_db
def test_only_active_haulers_can_be_assigned(market, book, staff_user):
    pickup = book()
    Hauler.objects.filter(pk=market[1].pk).update(status=Hauler.Status.SUSPENDED)
    market[1].refresh_from_db()
    with pytest.raises(Conflict, match="not active"):
        dispatch.assign_by_hand(pickup=pickup, hauler=market[1], by=staff_user)
