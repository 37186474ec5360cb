"""Make-up visits: when (noon in the location's zone), who (the missing hauler never; the same hauler first for a
poor visit), what the business pays and the hauler earns, and a miss made up by itself, once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from billing import ledger
from billing.models import LedgerEntry
from core.errors import Conflict
from core.transitions import transition
from marketplace import dispatch, followup, makeups, payments, services, tasks
from marketplace.models import Offer, Pickup
from tests import factories

DAY = dt.date(2027, 3, 16)  # a Tuesday
CHICAGO, NEW_YORK = "America/Chicago", "America/New_York"


def local(day, hour, minute, tz=CHICAGO):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(tz))


def hauler(name, price, zips=("78701",)):
    made = factories.HaulerFactory(name=name, zips=list(zips), credentials_until=DAY + dt.timedelta(days=300))
    factories.RateFactory(hauler=made, price_cents=price)
    factories.HaulerMembershipFactory(hauler=made)
    return made


@pytest.fixture
def market(db):
    """Three haulers serve downtown Austin: the cheapest did the original visit."""
    return hauler("Original Hauling", 8_500), hauler("Second Best", 9_000), hauler("Third Choice", 9_500)


def visit(first, status, *, zip_code="78701", window=(dt.time(7), dt.time(11))):
    location = factories.LocationFactory(zip_code=zip_code)
    factories.CustomerMembershipFactory(customer=location.customer)
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=first, waste_stream="trash", container="dumpster_4yd",
        quantity=1, service_date=DAY, window_start=window[0], window_end=window[1], status=status,
        price_cents=12_000, payout_cents=8_500,
    )  # fmt: skip


def offered_to(pickup):
    return {(o.hauler.name, o.payout_cents) for o in pickup.offers.filter(status=Offer.Status.PENDING)}


def answer(run, verb, offer):
    return run(verb, offer_id=offer.pk, hauler=offer.hauler, by=offer.hauler.memberships.get().user)


def book(original, when, *, same_hauler_first=False, run=None):
    with time_machine.travel(when, tick=False):
        made = run(makeups.book_make_up, pickup=original, by=None, reason="Test", same_hauler_first=same_hauler_first)
    made.refresh_from_db()
    return made


# --- When -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reported_by_noon_it_is_made_up_the_same_day_in_the_soonest_window_still_bookable(market, run_on_commit):
    original = visit(market[0], Pickup.Status.COMPLETED)  # 7-11, no longer bookable at 11:30
    made = book(original, local(DAY, 11, 30), run=run_on_commit)
    assert (made.service_date, made.window_start, made.window_end) == (DAY, dt.time(11), dt.time(15))
    assert made.make_up_of == original and made.status == Pickup.Status.OFFERED


@pytest.mark.django_db
def test_the_same_day_keeps_the_original_window_when_it_can_still_be_reached(market, run_on_commit):
    original = visit(market[0], Pickup.Status.COMPLETED, window=(dt.time(13), dt.time(17)))
    made = book(original, local(DAY, 9, 0), run=run_on_commit)
    assert (made.service_date, made.window_start, made.window_end) == (DAY, dt.time(13), dt.time(17))


@pytest.mark.django_db
def test_reported_after_noon_it_is_made_up_the_next_day_in_the_original_window(market, run_on_commit):
    original = visit(market[0], Pickup.Status.COMPLETED)
    made = book(original, local(DAY, 12, 1), run=run_on_commit)
    next_day = DAY + dt.timedelta(days=1)
    assert (made.service_date, made.window_start, made.window_end) == (next_day, dt.time(7), dt.time(11))


@pytest.mark.django_db
def test_noon_is_the_locations_noon_not_the_staffs(db, run_on_commit):
    first = hauler("Manhattan Carting", 8_500, zips=["10001"])
    hauler("Hudson Hauling", 9_000, zips=["10001"])
    original = visit(first, Pickup.Status.COMPLETED, zip_code="10001")
    # 11:30 in Austin is 12:30 in New York: past the location's noon
    made = book(original, local(DAY, 11, 30, CHICAGO), run=run_on_commit)
    assert made.service_date == DAY + dt.timedelta(days=1)
    other = visit(first, Pickup.Status.COMPLETED, zip_code="10001")
    made = book(other, local(DAY, 11, 30, NEW_YORK), run=run_on_commit)
    assert made.service_date == DAY


@pytest.mark.django_db
def test_the_next_day_is_the_next_day_a_hauler_serves_the_location(market, run_on_commit):
    for each in market:  # nobody works Wednesdays
        each.working_days = 0b1111011
        each.save(update_fields=["working_days"])
    original = visit(market[0], Pickup.Status.COMPLETED)
    made = book(original, local(DAY, 15, 0), run=run_on_commit)
    assert made.service_date == DAY + dt.timedelta(days=2)


# --- Who and how much ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_miss_is_never_offered_to_the_hauler_that_missed_it_and_costs_the_original_price(market, run_on_commit):
    original = visit(market[0], Pickup.Status.MISSED)
    made = book(original, local(DAY, 13, 0), same_hauler_first=True, run=run_on_commit)
    assert offered_to(made) == {("Second Best", 9_000)}
    assert made.price_cents == 12_000  # the missed visit was never charged: the business pays for one service
    offer = made.offers.get()
    answer(run_on_commit, dispatch.decline_offer, offer)
    made.refresh_from_db()
    assert offered_to(made) == {("Third Choice", 9_500)}  # the cascade goes on, still without the original hauler


@pytest.mark.django_db
def test_a_poor_visit_goes_to_the_same_hauler_first_for_nothing_more_and_costs_the_business_nothing(
    market, run_on_commit
):
    original = visit(market[0], Pickup.Status.COMPLETED)
    made = book(original, local(DAY, 13, 0), same_hauler_first=True, run=run_on_commit)
    assert made.price_cents == 0
    assert offered_to(made) == {("Original Hauling", 0)}
    offer = made.offers.get()
    answer(run_on_commit, dispatch.accept_offer, offer)
    made.refresh_from_db()
    assert (made.hauler, made.payout_cents) == (market[0], 0)
    transition(made, Pickup.Status.COMPLETED)
    assert payments.charge_pickup(pickup_id=made.pk) is None
    assert not LedgerEntry.objects.filter(pickup=made).exists()


@pytest.mark.django_db
def test_another_hauler_redoing_a_charged_visit_is_paid_its_rate_by_the_platform(market, run_on_commit):
    original = visit(market[0], Pickup.Status.COMPLETED)
    made = book(original, local(DAY, 13, 0), same_hauler_first=True, run=run_on_commit)
    first = made.offers.get()
    answer(run_on_commit, dispatch.decline_offer, first)
    made.refresh_from_db()
    assert offered_to(made) == {("Second Best", 9_000)}  # more than the make-up's $0 price: the platform pays
    second = made.offers.get(status=Offer.Status.PENDING)
    answer(run_on_commit, dispatch.accept_offer, second)
    made.refresh_from_db()
    assert (made.price_cents, made.payout_cents) == (0, 9_000)
    transition(made, Pickup.Status.COMPLETED)
    payments.charge_pickup(pickup_id=made.pk)
    payments.charge_pickup(pickup_id=made.pk)  # a redelivered task books nothing twice
    entries = dict(LedgerEntry.objects.filter(pickup=made).values_list("kind", "amount_cents"))
    assert entries == {LedgerEntry.Kind.HAULER_PAYABLE: 9_000, LedgerEntry.Kind.PLATFORM_FEE: -9_000}
    assert ledger.unpaid_payables(hauler_id=market[1].pk) == {made.pk: 9_000}
    assert ledger.unbalanced_pickups() == {}


@pytest.mark.django_db
def test_no_hauler_is_offered_more_than_the_originals_margin_allows(market, run_on_commit):
    original = visit(market[0], Pickup.Status.MISSED)
    Pickup.objects.filter(pk=original.pk).update(price_cents=9_200)  # ceiling $89: only the missing hauler fits
    original.refresh_from_db()
    made = book(original, local(DAY, 13, 0), run=run_on_commit)
    assert made.status == Pickup.Status.UNMATCHED and not made.offers.exists()


@pytest.mark.django_db
def test_a_visit_not_done_or_missed_cannot_be_made_up_and_one_make_up_is_kept(market, run_on_commit):
    scheduled = visit(market[0], Pickup.Status.SCHEDULED)
    with pytest.raises(Conflict):
        makeups.book_make_up(pickup=scheduled, by=None, reason="", same_hauler_first=False)
    original = visit(market[0], Pickup.Status.COMPLETED)
    made = book(original, local(DAY, 13, 0), run=run_on_commit)
    again = book(original, local(DAY, 13, 5), run=run_on_commit)
    assert again == made and original.make_ups.count() == 1


# --- A miss made up by itself ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_missed_pickup_is_made_up_by_itself_once_and_keeps_its_credit(market, run_on_commit):
    original = visit(market[0], Pickup.Status.SCHEDULED)
    mail.outbox.clear()
    with time_machine.travel(local(DAY, 12, 15), tick=False):
        assert run_on_commit(followup.detect_missed) == 1
        run_on_commit(tasks.make_up_missed, original.pk)  # the task delivered twice
    made = original.make_ups.get()
    assert made.service_date == DAY + dt.timedelta(days=1) and made.price_cents == 12_000
    assert offered_to(made) == {("Second Best", 9_000)}
    credit = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CREDIT_GRANTED, pickup=original)
    assert credit.amount_cents == 2_500
    subjects = [m.subject for m in mail.outbox]
    assert "Make-up visit booked for Wed, Mar 17" in subjects


@pytest.mark.django_db
def test_a_make_up_the_business_cancels_is_not_booked_again_and_costs_no_fee(market, customer_owner, run_on_commit):
    original = visit(market[0], Pickup.Status.SCHEDULED)
    with time_machine.travel(local(DAY, 12, 15), tick=False):
        run_on_commit(followup.detect_missed)
    made = original.make_ups.get()
    offer = made.offers.get()
    with time_machine.travel(local(DAY, 12, 20), tick=False):
        answer(run_on_commit, dispatch.accept_offer, offer)
        made.refresh_from_db()
        cancelled = run_on_commit(services.cancel_pickup, pickup=made)  # inside the 24 hours: normally a fee
        assert run_on_commit(tasks.make_up_missed, original.pk) is None
    assert (cancelled.status, cancelled.cancellation_fee_cents) == (Pickup.Status.CANCELLED, 0)
    assert original.make_ups.count() == 1


@pytest.mark.django_db
def test_a_visit_the_hauler_could_not_service_is_not_made_up_by_itself(market, run_on_commit):
    original = visit(market[0], Pickup.Status.MISSED)
    Pickup.objects.filter(pk=original.pk).update(exception_reason="blocked")
    assert makeups.make_up_missed(pickup_id=original.pk) is None


@pytest.mark.django_db
def test_a_missed_visit_with_a_make_up_is_not_sent_out_again_beside_it(market, run_on_commit):
    original = visit(market[0], Pickup.Status.MISSED)
    made = book(original, local(DAY, 13, 0), run=run_on_commit)
    with time_machine.travel(local(DAY, 13, 5), tick=False):
        with pytest.raises(Conflict, match="make-up visit is already booked"):
            dispatch.reschedule(pickup=original, service_date=DAY + dt.timedelta(days=2))
        with pytest.raises(Conflict, match="make-up visit is already booked"):
            dispatch.redispatch(pickup=original)
        run_on_commit(services.cancel_pickup, pickup=made)
        moved = run_on_commit(dispatch.reschedule, pickup=original, service_date=DAY + dt.timedelta(days=2))
    assert moved.status in (Pickup.Status.REQUESTED, Pickup.Status.OFFERED)
