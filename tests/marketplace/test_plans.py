"""Recurring service: a plan is quoted per visit, its first visit finds a hauler, later visits follow."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from core.errors import Conflict
from marketplace import dispatch, plans, services, tasks
from marketplace.models import Offer, Pickup, ServicePlan
from tests import factories

FRIDAY = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # the week before Thanksgiving (Thu 26 Nov 2026)
MONDAY, THURSDAY, FRIDAY_BIT = 1, 8, 16


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hauler(location, clock):
    hauler = factories.HaulerFactory(name="Weekly Waste", zips=["78701"], working_days=0b0011111)  # Mon-Fri
    factories.RateFactory(hauler=hauler, price_cents=6_000)
    factories.HaulerMembershipFactory(hauler=hauler)
    return hauler


def book_weekly(customer, location, run_on_commit, *, weekdays=MONDAY | THURSDAY, end_date=None):
    quote = services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=dt.date(2026, 11, 23), frequency="weekly", weekdays=weekdays, end_date=end_date,
    )  # fmt: skip
    return quote, run_on_commit(plans.book_plan, quote=quote, customer=customer)


def visits(plan):
    return list(plan.visits.order_by("plan_date").values_list("plan_date", "service_date", "status"))


@pytest.mark.django_db
def test_a_weekly_plan_is_quoted_per_visit_and_its_first_visit_is_offered(customer, location, hauler, run_on_commit):
    quote, plan = book_weekly(customer, location, run_on_commit)
    assert (quote.frequency, quote.start_date, quote.service_date) == (
        "weekly",
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 23),
    )
    assert (quote.price_cents, plan.price_cents) == (7_200, 7_200)
    assert plan.status == ServicePlan.Status.PENDING
    first = plan.visits.get()
    assert (first.status, first.plan_date) == (Pickup.Status.OFFERED, dt.date(2026, 11, 23))
    offer = first.offers.get()
    assert offer.hauler == hauler
    offer_mail = next(m for m in mail.outbox if m.subject.startswith("New job offer"))
    assert "accepting this visit takes the plan" in offer_mail.body


@pytest.mark.django_db
def test_the_hauler_accepts_once_and_the_next_two_weeks_follow_across_thanksgiving(
    customer, customer_owner, location, hauler, run_on_commit
):
    _, plan = book_weekly(customer, location, run_on_commit)
    first = plan.visits.get()
    mail.outbox.clear()
    run_on_commit(dispatch.accept_offer, offer_id=first.offers.get().pk, hauler=hauler)

    plan.refresh_from_db()
    assert (plan.status, plan.hauler) == (ServicePlan.Status.ACTIVE, hauler)
    assert visits(plan) == [
        (dt.date(2026, 11, 23), dt.date(2026, 11, 23), "scheduled"),
        (dt.date(2026, 11, 26), dt.date(2026, 11, 27), "scheduled"),  # Thanksgiving -> Friday
        (dt.date(2026, 11, 30), dt.date(2026, 11, 30), "scheduled"),
        (dt.date(2026, 12, 3), dt.date(2026, 12, 3), "scheduled"),
    ]
    assert Offer.objects.filter(pickup__plan=plan).count() == 1  # later visits are not offered again
    moved = [m for m in mail.outbox if customer_owner.email in m.to and "moves to" in m.subject]
    assert [m.subject for m in moved] == ["Your Thu, Nov 26 pickup moves to Fri, Nov 27"]


@pytest.mark.django_db
def test_generating_again_or_concurrently_never_doubles_a_visit(customer, location, hauler, run_on_commit, clock):
    _, plan = book_weekly(customer, location, run_on_commit)
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)
    before = visits(plan)
    assert run_on_commit(tasks.generate_all_plan_visits) == 0
    assert run_on_commit(tasks.generate_plan_visits, plan.pk) == 0
    assert visits(plan) == before
    clock.shift(dt.timedelta(days=7))
    assert run_on_commit(tasks.generate_all_plan_visits) == 2  # Dec 7 and Dec 10 come into the horizon
    assert len(visits(plan)) == 6


@pytest.mark.django_db
def test_skip_pause_and_end(customer, customer_owner, location, hauler, run_on_commit, clock):
    _, plan = book_weekly(customer, location, run_on_commit)
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)

    run_on_commit(
        plans.pause_plan, plan=plan, customer=customer, start=dt.date(2026, 11, 30), end=dt.date(2026, 11, 30)
    )
    run_on_commit(plans.pause_plan, plan=plan, customer=customer, start=dt.date(2026, 12, 7), end=dt.date(2026, 12, 13))
    clock.shift(dt.timedelta(days=7))
    run_on_commit(tasks.generate_all_plan_visits)
    statuses = {nominal: status for nominal, _, status in visits(plan)}
    assert statuses[dt.date(2026, 11, 30)] == "skipped"
    assert dt.date(2026, 12, 7) not in statuses and dt.date(2026, 12, 10) not in statuses  # paused: never made

    run_on_commit(plans.end_plan, plan=plan, customer=customer, last_day=dt.date(2026, 12, 1))
    statuses = {nominal: status for nominal, _, status in visits(plan)}
    assert statuses[dt.date(2026, 12, 3)] == "skipped"
    clock.shift(dt.timedelta(days=7))
    run_on_commit(tasks.generate_all_plan_visits)
    plan.refresh_from_db()
    assert plan.status == ServicePlan.Status.ENDED
    assert max(plan.visits.values_list("plan_date", flat=True)) == dt.date(2026, 12, 3)
    with pytest.raises(Conflict):
        plans.pause_plan(plan=plan, customer=customer, start=dt.date(2026, 12, 20), end=dt.date(2026, 12, 21))


@pytest.mark.django_db
def test_moving_to_another_weekday_from_a_date_on(customer, location, hauler, run_on_commit):
    _, plan = book_weekly(customer, location, run_on_commit)
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)

    successor = run_on_commit(
        plans.change_weekdays, plan=plan, customer=customer, weekdays=FRIDAY_BIT, from_date=dt.date(2026, 11, 28)
    )

    plan.refresh_from_db()
    assert plan.end_date == dt.date(2026, 11, 27)
    old = {nominal: status for nominal, _, status in visits(plan)}
    assert old[dt.date(2026, 11, 30)] == "skipped" and old[dt.date(2026, 12, 3)] == "skipped"
    assert old[dt.date(2026, 11, 26)] == "scheduled"
    assert (successor.hauler, successor.status, successor.replaces) == (hauler, ServicePlan.Status.ACTIVE, plan)
    assert [nominal for nominal, _, _ in visits(successor)] == [dt.date(2026, 12, 4)]


@pytest.mark.django_db
def test_booking_a_plan_quote_twice_gives_one_plan(customer, location, hauler, run_on_commit):
    quote, plan = book_weekly(customer, location, run_on_commit)
    assert plans.book_plan(quote=quote, customer=customer).pk == plan.pk
    with pytest.raises(Conflict, match="book it as a plan"):
        services.book_quote(quote=quote, customer=customer)
    assert ServicePlan.objects.count() == 1 and Pickup.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"frequency": "weekly", "weekdays": 0}, "weekdays"),
        ({"frequency": "monthly", "day_of_month": None}, "day_of_month"),
        ({"frequency": "weekly", "weekdays": MONDAY, "end_date": dt.date(2026, 11, 1)}, "end_date"),
        ({"frequency": "hourly"}, "frequency"),
    ],
)
def test_an_incomplete_schedule_is_a_field_error(customer, location, hauler, overrides, field):
    with pytest.raises(ValidationError) as raised:
        services.create_quote(
            customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
            service_date=dt.date(2026, 11, 23), **overrides,
        )  # fmt: skip
    assert field in raised.value.message_dict


@pytest.mark.django_db
def test_a_monthly_plan_on_the_31st_lands_on_short_months_last_day(customer, location, hauler, run_on_commit, clock):
    quote = services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=dt.date(2026, 11, 23), frequency="monthly", day_of_month=31,
    )  # fmt: skip
    assert quote.service_date == dt.date(2026, 11, 30)


@pytest.mark.django_db
def test_skipping_a_scheduled_visit_inside_the_cutoff_costs_the_late_fee(
    customer, location, hauler, run_on_commit, clock
):
    _, plan = book_weekly(customer, location, run_on_commit)
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)
    clock.move_to(dt.datetime(2026, 11, 29, 20, 0, tzinfo=dt.UTC))  # Sun 14:00 in Austin; Monday's visit 17 h away
    run_on_commit(plans.pause_plan, plan=plan, customer=customer, start=dt.date(2026, 11, 23), end=dt.date(2026, 12, 3))
    fees = {v.plan_date: (v.status, v.cancellation_fee_cents) for v in plan.visits.all()}
    assert fees[dt.date(2026, 11, 23)] == ("scheduled", 0)  # its window has passed: not skipped after the fact
    assert fees[dt.date(2026, 11, 30)] == ("skipped", 2_500)  # inside the 24 h cutoff
    assert fees[dt.date(2026, 12, 3)] == ("skipped", 0)


@pytest.mark.django_db
def test_a_plan_whose_hauler_is_suspended_goes_to_whoever_takes_its_next_visit(
    customer, location, hauler, run_on_commit, clock
):
    from haulers.models import Hauler
    from marketplace import compliance

    _, plan = book_weekly(customer, location, run_on_commit)
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)
    newcomer = factories.HaulerFactory(name="Newcomer", zips=["78701"])
    factories.RateFactory(hauler=newcomer, price_cents=6_500)
    Hauler.objects.filter(pk=hauler.pk).update(status=Hauler.Status.SUSPENDED)

    run_on_commit(compliance.check_compliance)

    plan.refresh_from_db()
    assert (plan.status, plan.hauler) == (ServicePlan.Status.PENDING, None)
    next_visit = plan.visits.filter(status="offered").order_by("service_date").first()
    run_on_commit(dispatch.accept_offer, offer_id=next_visit.offers.get(status="pending").pk, hauler=newcomer)
    plan.refresh_from_db()
    assert (plan.status, plan.hauler) == (ServicePlan.Status.ACTIVE, newcomer)
