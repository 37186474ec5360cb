"""Forecast rules: book on the hauler's last working day before a bin would be nearly full (its safe level, 95% on
a clean fit), into its route; skip a plan visit only when the bin will still be under its mark at the visit
after. Thresholds remain the fallback."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from core.transitions import history
from marketplace import bins, dispatch, routes, tasks
from marketplace.models import Notification, Offer, Pickup
from routing.problem import Place
from tests import factories
from tests.marketplace.test_bins import device_at, plan_visit, read

AUSTIN = ZoneInfo("America/Chicago")
FRIDAY_LATE = dt.datetime(2026, 11, 20, 16, 0, tzinfo=AUSTIN)  # inside the notice for today's window
MONDAY, TUESDAY = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
WEEKDAYS = 0b0011111


def fill_line(device, *, level_now: float, rate_per_day: float, now: dt.datetime, hours: int = 24):
    """Readings every two hours for the last `hours`, along a straight line ending at level_now."""
    for h in range(hours, -1, -2):
        read(device, round(level_now - rate_per_day * h / 24), now - dt.timedelta(hours=h))


@pytest.fixture
def weekday_hauler(db):
    hauler = factories.HaulerFactory(name="Weekday Waste", zips=["78701"], working_days=WEEKDAYS, stops=20)
    factories.RateFactory(hauler=hauler)
    factories.HaulerMembershipFactory(hauler=hauler)
    return hauler


@pytest.fixture
def friday():
    with time_machine.travel(FRIDAY_LATE, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_a_bin_that_would_pass_its_safe_level_before_the_next_chance_is_booked_on_the_haulers_next_working_day(
    location, weekday_hauler, customer_owner, friday, run_on_commit
):
    # 50% and 15% a day: by Tuesday 17:00 (the chance after Monday) it would be 110%, past its 95% safe level.
    device = device_at(location)
    fill_line(device, level_now=50, rate_per_day=15, now=FRIDAY_LATE)

    assert run_on_commit(tasks.evaluate_device, device.pk) == "booked"
    pickup = Pickup.objects.get()
    assert (pickup.device, pickup.service_date) == (device, MONDAY)  # not the weekend: the hauler does not work
    assert pickup.offers.get().hauler == weekday_hauler
    subjects = [m.subject for m in mail.outbox if customer_owner.email in m.to]
    assert "Your bin will soon be full: we booked a pickup for Mon, Nov 23" in subjects
    body = next(m.body for m in mail.outbox if m.subject.startswith("Your bin will soon be full"))
    assert "is 50% full and filling about 15% a day: it would pass its 80% mark" in body

    # Never a second: the booked pickup is now its next visit.
    read(device, 53, FRIDAY_LATE + dt.timedelta(minutes=30))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "already booked"
    assert Pickup.objects.count() == 1

    # The hauler takes it: its Monday is re-planned with the stop on a truck.
    offer = pickup.offers.get(status=Offer.Status.PENDING)
    run_on_commit(dispatch.accept_offer, offer_id=offer.pk, hauler=weekday_hauler)
    plan = routes.day_plan(hauler=weekday_hauler, day=MONDAY)
    routed = [stop.pickup_id for route in plan.routes.all() for stop in route.stops.all()]
    assert routed == [pickup.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rate",
    [
        5,  # 70% by Tuesday: Monday can wait
        10,  # 91% by Tuesday: past its 80% mark, yet under 95%, so Tuesday is safe and it is emptied fuller
    ],
)
def test_a_bin_that_can_wait_for_the_next_chance_is_not_booked_yet(
    location, weekday_hauler, friday, run_on_commit, rate
):
    device = device_at(location)
    fill_line(device, level_now=50, rate_per_day=rate, now=FRIDAY_LATE)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "not full"
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_a_visit_on_the_coming_day_is_enough(location, weekday_hauler, friday, run_on_commit):
    device = device_at(location)
    plan_visit(location, weekday_hauler, MONDAY)
    fill_line(device, level_now=60, rate_per_day=15, now=FRIDAY_LATE)  # 105% by Monday's visit: it is the one
    assert run_on_commit(tasks.evaluate_device, device.pk) == "already booked"
    assert Pickup.objects.count() == 1


@pytest.mark.django_db
def test_a_plan_visit_too_late_for_the_forecast_gets_a_collection_before_it(
    location, weekday_hauler, friday, run_on_commit
):
    device = device_at(location)
    plan_visit(location, weekday_hauler, dt.date(2026, 11, 26))  # Thursday: the bin would be past 100% by Tuesday
    fill_line(device, level_now=50, rate_per_day=15, now=FRIDAY_LATE)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "booked"
    assert Pickup.objects.get(plan__isnull=True).service_date == MONDAY  # the plan hauler's next working day


@pytest.mark.django_db
def test_without_auto_booking_the_forecast_suggests_once_per_fill(
    location, weekday_hauler, customer_owner, friday, run_on_commit
):
    device = device_at(location, auto_book=False)
    fill_line(device, level_now=50, rate_per_day=15, now=FRIDAY_LATE)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "suggested"
    read(device, 53, FRIDAY_LATE + dt.timedelta(minutes=30))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "suggested"
    notes = Notification.objects.filter(user=customer_owner, kind="bin_full_suggest")
    assert notes.count() == 1
    assert "will pass its 80% mark before its next pickup" in notes.get().body
    assert not Pickup.objects.exists()


@pytest.mark.django_db
def test_with_the_forecast_off_only_a_full_bin_is_booked(location, weekday_hauler, friday, run_on_commit):
    device = device_at(location, use_forecast=False)
    fill_line(device, level_now=50, rate_per_day=10, now=FRIDAY_LATE)
    assert run_on_commit(tasks.evaluate_device, device.pk) == "not full"
    read(device, 81, FRIDAY_LATE + dt.timedelta(minutes=30))
    assert run_on_commit(tasks.evaluate_device, device.pk) == "booked"


# --- Skipping ---------------------------------------------------------------------------------

THURSDAY = dt.date(2026, 11, 26)
CUTOFF = dt.datetime(2026, 11, 25, 16, 0, tzinfo=AUSTIN)


def weekly_visits(location, hauler):
    """This Thursday's plan visit and the next one, a week later, of the same plan."""
    visit = plan_visit(location, hauler, THURSDAY)
    after = Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, plan=visit.plan,
        plan_date=THURSDAY + dt.timedelta(days=7), waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=THURSDAY + dt.timedelta(days=7), status="scheduled", price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip
    return visit, after


def sweep_after_cutoff(run_on_commit):
    with time_machine.travel(CUTOFF + dt.timedelta(minutes=20), tick=False):
        return run_on_commit(tasks.skip_empty_visits)


@pytest.mark.django_db
def test_a_visit_is_skipped_when_the_bin_will_still_be_under_its_mark_at_the_visit_after(
    location, weekday_hauler, customer_owner, run_on_commit
):
    device = device_at(location, auto_book=False)
    visit, _after = weekly_visits(location, weekday_hauler)
    # 45% at the cutoff, above the 30% threshold, but filling 3% a day: about 70% by the next Thursday.
    fill_line(device, level_now=45, rate_per_day=3, now=CUTOFF, hours=48)

    assert sweep_after_cutoff(run_on_commit) == 1
    visit.refresh_from_db()
    assert visit.status == Pickup.Status.SKIPPED
    reason = history(visit).last().reason
    assert reason.startswith("The sensor read 45% at the cutoff and the bin fills about 3% a day: about 69%")
    assert "on Thu, Dec 3, still under its 80% mark" in reason
    business = next(m for m in mail.outbox if m.subject == "Skipped: your Thu, Nov 26 pickup (the bin can wait)")
    hauler = next(m for m in mail.outbox if m.subject == "Skipped: no visit to ZIP 78701 on Thu, Nov 26")
    assert reason in business.body and reason in hauler.body


@pytest.mark.django_db
def test_a_nearly_empty_bin_filling_fast_keeps_its_visit(location, weekday_hauler, run_on_commit):
    device = device_at(location, auto_book=False)
    visit, _after = weekly_visits(location, weekday_hauler)
    fill_line(device, level_now=25, rate_per_day=10, now=CUTOFF, hours=20)  # under 30%, yet 100% in a week

    assert sweep_after_cutoff(run_on_commit) == 0
    visit.refresh_from_db()
    assert (visit.status, visit.sensor_checked_at is not None) == (Pickup.Status.SCHEDULED, True)


@pytest.mark.django_db
@pytest.mark.parametrize("rules", ["forecast off", "no visit after"])
def test_the_threshold_decides_without_a_forecast_or_a_visit_after(location, weekday_hauler, run_on_commit, rules):
    device = device_at(location, auto_book=False, use_forecast=rules != "forecast off")
    if rules == "forecast off":
        weekly_visits(location, weekday_hauler)
    else:
        plan_visit(location, weekday_hauler, THURSDAY)
    fill_line(device, level_now=25, rate_per_day=10, now=CUTOFF, hours=20)
    assert sweep_after_cutoff(run_on_commit) == 1
    visit = Pickup.objects.get(service_date=THURSDAY)
    reason = "The sensor read 25% at the cutoff, under the 30% below which a visit is skipped."
    assert history(visit).last().reason == reason


@pytest.mark.django_db
def test_readings_after_the_cutoff_do_not_move_the_forecast(location, weekday_hauler, run_on_commit):
    device = device_at(location, auto_book=False)
    visit, _after = weekly_visits(location, weekday_hauler)
    fill_line(device, level_now=45, rate_per_day=3, now=CUTOFF, hours=48)
    read(device, 95, CUTOFF + dt.timedelta(minutes=10))  # a bag glimpsed after the cutoff
    assert sweep_after_cutoff(run_on_commit) == 1
    visit.refresh_from_db()
    assert visit.status == Pickup.Status.SKIPPED
    assert history(visit).last().reason.startswith("The sensor read 45% at the cutoff")


# --- The day, chosen with the route in mind ---------------------------------------------------


def test_a_stop_adds_what_it_takes_to_go_by_it_between_its_two_nearest_neighbours():
    yard, west, east = Place(30.0, -97.80), Place(30.30, -97.75), Place(30.30, -97.73)
    between = Place(30.30, -97.74)
    assert bins.insertion_km(between, yard, [west, east]) == pytest.approx(0, abs=0.01)  # on the way
    aside = Place(30.31, -97.74)
    assert 1.0 < bins.insertion_km(aside, yard, [west, east]) < 3.5  # a kilometre up and back, times circuity
    assert bins.insertion_km(between, yard, []) > 80  # out from the yard, 33 km away, and back


def _neighbour_on(hauler, day, *, north_m: float):
    """A pickup the hauler holds on `day` at a location `north_m` metres north of downtown's centroid."""
    spot = factories.LocationFactory(zip_code="78701")
    spot.latitude = float(spot.latitude) + north_m / 111_000
    spot.save(update_fields=["latitude"])
    return factories.PickupFactory(location=spot, hauler=hauler, service_date=day)


@pytest.mark.django_db
@pytest.mark.parametrize(("north_m", "outcome"), [(100, "booked"), (None, "not full"), (5_000, "not full")])
def test_a_bin_due_tuesday_and_at_its_mark_by_monday_joins_a_monday_stop_next_to_it(
    location, weekday_hauler, friday, run_on_commit, north_m, outcome
):
    # 60% and 8% a day: 84% by Monday 17:00, 92% by Tuesday's (still safe), past 95% by Wednesday's: due Tuesday.
    device = device_at(location)
    fill_line(device, level_now=60, rate_per_day=8, now=FRIDAY_LATE)
    if north_m is not None:
        _neighbour_on(weekday_hauler, MONDAY, north_m=north_m)
    assert run_on_commit(tasks.evaluate_device, device.pk) == outcome
    booked = Pickup.objects.filter(device=device)
    assert [pickup.service_date for pickup in booked] == ([MONDAY] if outcome == "booked" else [])
