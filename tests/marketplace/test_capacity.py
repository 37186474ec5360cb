"""Capacity by kind of work: a job fits only where a truck that serves its container has a stop left that day."""

import datetime as dt
from collections import Counter
from decimal import Decimal

import hypothesis
import pytest
import time_machine
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Conflict
from haulers.models import Truck
from marketplace import capacity, dispatch, plans, services
from marketplace.capacity import TruckSlots, fits
from marketplace.models import Offer, Pickup
from tests import factories

ALL_DAY = (dt.time(7), dt.time(17))
MORNING = (dt.time(7), dt.time(11))


def slots(containers, stops, shift=(dt.time(6), dt.time(18)), truck_id=1):
    return TruckSlots(truck_id, frozenset(containers), stops, *shift)


def held(**counts) -> Counter:
    """Jobs already held, all day long: {container: how many}."""
    return Counter({(container, *ALL_DAY): n for container, n in counts.items()})


def test_a_job_takes_a_stop_of_a_truck_that_serves_its_container():
    trucks = [slots({"cart_96gal"}, 2, truck_id=1), slots({"dumpster_4yd"}, 1, truck_id=2)]
    assert fits(trucks, Counter(), container="dumpster_4yd", window=ALL_DAY)
    # The dumpster truck is full: the cart truck's free stops do not help a dumpster.
    assert not fits(trucks, held(dumpster_4yd=1), container="dumpster_4yd", window=ALL_DAY)
    assert fits(trucks, held(dumpster_4yd=1), container="cart_96gal", window=ALL_DAY)


def test_jobs_are_placed_on_trucks_at_best_not_first_come():
    # Carts fit either truck, dumpsters only the second: 2 carts + 1 dumpster fit 2 + 1 stops only if
    # both carts go on the first truck, which a greedy count by arrival would miss.
    trucks = [slots({"cart_96gal"}, 2, truck_id=1), slots({"cart_96gal", "dumpster_4yd"}, 2, truck_id=2)]
    assert fits(trucks, held(cart_96gal=2, dumpster_4yd=1), container="dumpster_4yd", window=ALL_DAY)
    assert not fits(trucks, held(cart_96gal=2, dumpster_4yd=2), container="cart_96gal", window=ALL_DAY)


def test_a_job_held_for_the_afternoon_counts_only_on_the_afternoon_truck():
    # One stop each: a morning truck and an afternoon one. An afternoon job is held; a second afternoon job
    # would need the afternoon truck too, however free the morning truck is.
    morning = slots({"cart_96gal"}, 1, shift=(dt.time(6), dt.time(10)), truck_id=1)
    afternoon = slots({"cart_96gal"}, 1, shift=(dt.time(12), dt.time(18)), truck_id=2)
    later = (dt.time(13), dt.time(17))
    one_afternoon = Counter({("cart_96gal", *later): 1})
    assert not fits([morning, afternoon], one_afternoon, container="cart_96gal", window=later)
    assert fits([morning, afternoon], one_afternoon, container="cart_96gal", window=MORNING)


def test_a_job_bigger_than_a_trip_is_not_that_trucks():
    small = TruckSlots(1, frozenset({"dumpster_8yd"}), 10, dt.time(6), dt.time(18), capacity=12)  # 6 yards a trip
    assert fits([small], Counter(), container="dumpster_8yd", window=ALL_DAY, load=8)
    assert not fits([small], Counter(), container="dumpster_8yd", window=ALL_DAY, load=16)


def test_a_truck_whose_shift_misses_the_window_cannot_take_the_job():
    afternoon_truck = slots({"dumpster_4yd"}, 5, shift=(dt.time(12), dt.time(20)))
    assert not fits([afternoon_truck], Counter(), container="dumpster_4yd", window=MORNING)
    assert fits([afternoon_truck], Counter(), container="dumpster_4yd", window=ALL_DAY)


def test_no_truck_for_the_container_means_no_room():
    assert not fits([slots({"cart_96gal"}, 9)], Counter(), container="rolloff_30yd", window=ALL_DAY)
    assert not fits([], Counter(), container="cart_96gal", window=ALL_DAY)


def fits_by_flow(trucks, jobs, *, container, window, load=None) -> bool:
    """fits() as it always decided: the maximum flow of every day, like trucks or not."""
    if not any(truck.can_take(container, window, load) for truck in trucks):
        return False
    demand = Counter({kind: n for kind, n in jobs.items() if any(capacity._able(truck, kind) for truck in trucks)})
    demand[container, *window] += 1
    return capacity._max_flow(trucks, demand) == sum(demand.values())


CONTAINERS = ["cart_96gal", "dumpster_4yd", "rolloff_30yd"]
WINDOWS = [ALL_DAY, MORNING, (dt.time(13), dt.time(17))]
SHIFTS = [(dt.time(6), dt.time(18)), (dt.time(6), dt.time(10)), (dt.time(12), dt.time(18))]
# Few kinds of truck, so fleets of like trucks (the counted answer) come up as often as mixed ones (the flow).
TRUCKS = st.builds(
    lambda containers, stops, shift, capacity: (frozenset(containers), stops, shift, capacity),
    st.sets(st.sampled_from(CONTAINERS), min_size=1, max_size=2),
    st.integers(min_value=0, max_value=4),
    st.sampled_from(SHIFTS),
    st.sampled_from([None, 4, 12]),
)


@hypothesis.settings(max_examples=400, deadline=None)
@given(
    kinds=st.lists(TRUCKS, min_size=1, max_size=3),
    picks=st.lists(st.integers(min_value=0, max_value=2), min_size=0, max_size=4),
    held=st.dictionaries(st.tuples(st.sampled_from(CONTAINERS), st.sampled_from(WINDOWS)), st.integers(0, 5)),
    container=st.sampled_from(CONTAINERS),
    window=st.sampled_from(WINDOWS),
    load=st.sampled_from([None, 1, 8]),
)
def test_counting_the_stops_of_like_trucks_decides_as_the_flow_does(kinds, picks, held, container, window, load):
    fleet = [kinds[0], *(kinds[pick % len(kinds)] for pick in picks)]  # repeats: like trucks
    trucks = [
        TruckSlots(n, containers, stops, *shift, capacity=per_trip)
        for n, (containers, stops, shift, per_trip) in enumerate(fleet, start=1)
    ]
    jobs = Counter({(kind, *hours): n for (kind, hours), n in held.items()})
    decided = fits(trucks, jobs, container=container, window=window, load=load)
    assert decided == fits_by_flow(trucks, jobs, container=container, window=window, load=load)


WEEK = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # a Friday; the plan's first visit is on Monday 23rd
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def one_stop_hauler(db):
    """A hauler whose only truck does one stop a day."""
    hauler = factories.HaulerFactory(name="Solo Hauling", zips=["78701"], stops=0)
    factories.TruckFactory(hauler=hauler, name="Only truck", stops_per_shift=1)
    factories.RateFactory(hauler=hauler, price_cents=6_000)
    factories.HaulerMembershipFactory(hauler=hauler)
    return hauler


def book_one_off(customer, location, run_on_commit, day=MONDAY):
    quote = services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=day,
    )  # fmt: skip
    return run_on_commit(services.book_quote, quote=quote, customer=customer)


@pytest.mark.django_db
def test_a_plan_and_a_one_off_job_never_overbook_a_one_stop_day(customer, location, one_stop_hauler, run_on_commit):
    # As cheap, less reliable: offered second (a dearer one would fail the plan's margin guard).
    backup = factories.HaulerFactory(name="Backup Bins", zips=["78701"], reliability_score=Decimal("0.800"))
    factories.RateFactory(hauler=backup, price_cents=6_000)
    next_monday = MONDAY + dt.timedelta(days=7)
    with time_machine.travel(WEEK, tick=False):
        # The one-stop hauler takes a one-off job for next Monday: that day is full.
        job = book_one_off(customer, location, run_on_commit, day=next_monday)
        run_on_commit(dispatch.accept_offer, offer_id=job.offers.get(hauler=one_stop_hauler).pk, hauler=one_stop_hauler)
        # Then it takes a weekly Monday plan; the plan's visits are generated when it does.
        quote = services.create_quote(
            customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
            service_date=MONDAY, frequency="weekly", weekdays=0b0000001,
        )  # fmt: skip
        plan = run_on_commit(plans.book_plan, quote=quote, customer=customer)
        first = plan.visits.get()
        run_on_commit(
            dispatch.accept_offer, offer_id=first.offers.get(hauler=one_stop_hauler).pk, hauler=one_stop_hauler
        )

    clash = plan.visits.get(service_date=next_monday)
    # Offered on to the next hauler instead of silently booked onto the full day.
    assert clash.status == Pickup.Status.OFFERED
    assert list(clash.offers.values_list("hauler", flat=True)) == [backup.pk]
    assert list(Pickup.objects.filter(hauler=one_stop_hauler, service_date=next_monday)) == [job]
    per_day = Counter(
        Pickup.objects.filter(hauler=one_stop_hauler, status=Pickup.Status.SCHEDULED).values_list(
            "service_date", flat=True
        )
    )
    assert per_day == {MONDAY: 1, next_monday: 1}


@pytest.mark.django_db
def test_the_last_stop_cannot_be_accepted_twice(customer, location, one_stop_hauler, run_on_commit):
    one_stop_hauler.trucks.update(stops_per_shift=2)
    with time_machine.travel(WEEK, tick=False):
        first, second = (book_one_off(customer, location, run_on_commit) for _ in range(2))
        offers = [Offer.objects.get(pickup=first), Offer.objects.get(pickup=second)]
        one_stop_hauler.trucks.update(stops_per_shift=1)  # a truck was taken off the road meanwhile
        # Holding two offers for one stop, the hauler may take either, but not both.
        run_on_commit(dispatch.accept_offer, offer_id=offers[0].pk, hauler=one_stop_hauler)
        with pytest.raises(Conflict, match="capacity"):
            dispatch.accept_offer(offer_id=offers[1].pk, hauler=one_stop_hauler)
    assert Pickup.objects.filter(hauler=one_stop_hauler, status=Pickup.Status.SCHEDULED).count() == 1


@pytest.mark.django_db
def test_a_roll_off_needs_a_roll_off_truck(customer, location, one_stop_hauler):
    factories.RateFactory(hauler=one_stop_hauler, container="rolloff_30yd", price_cents=40_000)
    with time_machine.travel(WEEK, tick=False), pytest.raises(services.NoHaulerAvailable):
        services.create_quote(
            customer=customer, location=location, waste_stream="trash", container="rolloff_30yd", quantity=1,
            service_date=MONDAY,
        )  # fmt: skip
    factories.TruckFactory(
        hauler=one_stop_hauler, name="Hook lift", kind=Truck.Kind.ROLL_OFF, containers=["rolloff_30yd"],
        capacity_per_trip=1, stops_per_shift=4,
    )  # fmt: skip
    with time_machine.travel(WEEK, tick=False):
        quote = services.create_quote(
            customer=customer, location=location, waste_stream="trash", container="rolloff_30yd", quantity=1,
            service_date=MONDAY,
        )  # fmt: skip
    assert quote.ranking[0]["hauler"] == one_stop_hauler.pk


@pytest.mark.django_db
def test_a_window_outside_every_shift_finds_no_hauler(customer, location, one_stop_hauler, settings):
    settings.ARRIVAL_WINDOWS = [(dt.time(7), dt.time(17)), (dt.time(18), dt.time(20))]
    with time_machine.travel(WEEK, tick=False):
        with pytest.raises(services.NoHaulerAvailable):
            services.create_quote(
                customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
                service_date=MONDAY, window=(dt.time(18), dt.time(20)),
            )  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            services.create_quote(
                customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
                service_date=MONDAY, window=(dt.time(5), dt.time(6)),
            )  # fmt: skip
    assert "07:00-17:00, 18:00-20:00" in refused.value.message_dict["window"][0]
