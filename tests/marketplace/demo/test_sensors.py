"""The sensor simulator: plausible readings, written once, that drive both bin rules end to end."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command

from marketplace import bins
from marketplace.demo import market
from marketplace.demo.city_seed import CITY_NAME
from marketplace.demo.seed import seed_demo
from marketplace.demo.sensors import simulate
from marketplace.models import Pickup, ServicePlan
from sensors.models import Device, Reading
from tests import factories

AUSTIN = ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 10, 0, tzinfo=AUSTIN)  # a Wednesday morning

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(location, in_area_hauler, customer_owner):
    """A business in 78701, and a hauler there with a rate for each arranged bin (trash, and cardboard)."""
    factories.RateFactory(hauler=in_area_hauler, waste_stream="cardboard", container="dumpster_2yd")
    factories.HaulerMembershipFactory(hauler=in_area_hauler)
    return location


def fills(device) -> list[tuple[dt.datetime, int]]:
    return list(device.readings.order_by("measured_at").values_list("measured_at", "fill_percent"))


def local(readings, hours: tuple[int, int]) -> dict[dt.date, int]:
    """Each day's reading at either hour: the grid is on even UTC hours, so odd local ones in summer time."""
    return {at.astimezone(AUSTIN).date(): fill for at, fill in readings if at.astimezone(AUSTIN).hour in hours}


def test_thirty_days_of_readings_that_book_the_full_bin_and_skip_the_empty_one(
    world, in_area_hauler, customer, customer_owner, clock, run_on_commit, client
):
    counts = run_on_commit(simulate, days=30, customer=customer)

    assert {key: value for key, value in counts.items() if key != "evaluations"} == {
        "devices": 3,
        "devices_registered": 3,
        "readings": 3 * 30 * 12,
        "readings_already_stored": 0,
        "pickups_booked": 1,
        "visits_skipped": 1,
    }
    trash = Device.objects.get(serial=f"SIM-{world.pk}-trash")
    cardboard = Device.objects.get(serial=f"SIM-{world.pk}-cardboard")
    assert (trash.auto_book, cardboard.auto_book) == (True, False)
    assert counts["evaluations"] == {
        trash.serial: "booked",
        cardboard.serial: "not full",
        f"SIM-{world.pk}-recycling": "not full",
    }

    # Every two hours for 30 days, 0 to 100, the last one at most two hours old.
    readings = fills(trash)
    assert len(readings) == 360
    assert all(0 <= fill <= 100 for fill in Reading.objects.values_list("fill_percent", flat=True))
    assert {later - earlier for (earlier, _), (later, _) in itertools.pairwise(readings)} == {dt.timedelta(hours=2)}
    assert NOW - dt.timedelta(hours=2) < readings[-1][0] <= NOW
    # It fills while the café is open and hardly at all overnight.
    mornings, evenings, nights, dawns = (local(readings, hours) for hours in ((8, 9), (18, 19), (22, 23), (5, 6)))
    days = [day for day in mornings if day in evenings and evenings[day] < 95]  # not overflowing
    assert len(days) >= 15
    assert all(evenings[day] - mornings[day] >= 5 for day in days)
    next_dawns = {day - dt.timedelta(days=1): fill for day, fill in dawns.items()}
    assert all(abs(next_dawns[day] - fill) <= 4 for day, fill in nights.items() if day in next_dawns)
    # The old hauler's weekly round empties it: a fall from busy to nearly nothing.
    drops = [(before, after) for (_, before), (_, after) in itertools.pairwise(readings) if after < before]
    assert [after <= 8 for before, after in drops if before - after > 30] == [True] * 4

    # The full bin: above its threshold now, so one pickup was booked and offered to the hauler.
    assert readings[-1][1] >= trash.collect_at_percent > readings[-30][1]
    pickup = Pickup.objects.get(device=trash)
    assert (pickup.status, pickup.service_date, pickup.plan) == (Pickup.Status.OFFERED, NOW.date(), None)
    assert pickup.offers.get().hauler == in_area_hauler
    subjects = [message.subject for message in mail.outbox if customer_owner.email in message.to]
    assert "Your bin is full: we booked a pickup for Wed, Nov 18" in subjects

    # The plan bin: a weekly plan from tomorrow, taken by the hauler; nearly empty at the cutoff, so skipped.
    plan = ServicePlan.objects.get(waste_stream="cardboard")
    assert (plan.status, plan.hauler, plan.frequency) == (ServicePlan.Status.ACTIVE, in_area_hauler, "weekly")
    visit = plan.visits.get(service_date=dt.date(2026, 11, 19))
    assert (visit.status, visit.device) == (Pickup.Status.SKIPPED, cardboard)
    # Its cutoff (Wed 16:00) was still ahead: it was checked as the sweep will just after it.
    assert visit.sensor_checked_at == bins.skip_cutoff(visit) + dt.timedelta(minutes=1)
    at_cutoff = cardboard.readings.filter(measured_at__lte=bins.skip_cutoff(visit)).order_by("-measured_at").first()
    assert 10 <= at_cutoff.fill_percent < cardboard.skip_below_percent
    assert plan.visits.filter(status=Pickup.Status.SCHEDULED, plan_date=dt.date(2026, 11, 26)).exists()  # the next one
    assert "Skipped: your Thu, Nov 19 pickup (the bin can wait)" in subjects
    assert bins.savings_of(customer=customer) == {
        "visits_avoided": 1,
        "truck_km": 8.0,
        "diesel_litres": 7.2,
        "co2_kg": 19.3,
    }
    client.force_login(customer_owner)
    dashboard = client.get("/dashboard/").content.decode()
    assert "Saved by your bin sensors" in dashboard
    assert "<dt>Truck driving</dt><dd>8.0 km</dd>" in dashboard
    assert "<dt>CO<sub>2</sub></dt><dd>19.3 kg</dd>" in dashboard
    assert "Estimates: 8 km per skipped stop, 0.9 L/km, 2.68 kg CO<sub>2</sub>/L." in dashboard


def test_after_the_cutoff_the_sweep_itself_skips_the_visit(world, customer, clock, run_on_commit):
    evening = dt.datetime(2026, 11, 18, 17, 30, tzinfo=AUSTIN)
    clock.move_to(evening)

    counts = run_on_commit(simulate, days=7, customer=customer)

    assert (counts["pickups_booked"], counts["visits_skipped"]) == (1, 1)
    visit = Pickup.objects.get(status=Pickup.Status.SKIPPED)
    assert (visit.service_date, visit.sensor_checked_at) == (dt.date(2026, 11, 19), evening)
    # Too late for today's window: the full bin is collected tomorrow.
    assert Pickup.objects.get(plan=None).service_date == dt.date(2026, 11, 19)


def test_running_it_again_writes_and_books_nothing_new(world, customer, clock, run_on_commit):
    run_on_commit(simulate, days=30, customer=customer)
    rows = set(Reading.objects.values_list("device__serial", "measured_at", "fill_percent"))
    pickups = set(Pickup.objects.values_list("pk", "status"))

    again = run_on_commit(simulate, days=30, customer=customer)

    assert (again["devices_registered"], again["readings"], again["readings_already_stored"]) == (0, 0, 3 * 360)
    assert (again["pickups_booked"], again["visits_skipped"]) == (0, 0)
    assert again["evaluations"][f"SIM-{world.pk}-trash"] == "already booked"
    assert set(Reading.objects.values_list("device__serial", "measured_at", "fill_percent")) == rows
    assert set(Pickup.objects.values_list("pk", "status")) == pickups
    assert ServicePlan.objects.count() == 1


def test_a_completed_pickup_empties_the_bin(world, in_area_hauler, customer, clock, run_on_commit):
    emptied_at = dt.datetime(2026, 11, 10, 11, 0, tzinfo=AUSTIN)
    Pickup.objects.create(
        customer=customer, location=world, hauler=in_area_hauler, waste_stream="recycling", container="cart_96gal",
        quantity=1, service_date=emptied_at.date(), status="completed", completed_at=emptied_at,
        price_cents=3_000, payout_cents=2_500,
    )  # fmt: skip

    run_on_commit(simulate, days=30, customer=customer)

    readings = fills(Device.objects.get(serial=f"SIM-{world.pk}-recycling"))
    before = [fill for at, fill in readings if at < emptied_at][-1]
    after = next(fill for at, fill in readings if at > emptied_at)
    assert before >= 30
    assert after <= 6
    # Its only emptying on record: no other fall to nearly empty in the month.
    falls = [at for (_, earlier), (at, later) in itertools.pairwise(readings) if earlier - later > 20]
    assert len(falls) == 1


def test_a_sensor_the_business_added_itself_gets_readings_too(world, customer, clock, run_on_commit):
    other = factories.LocationFactory(name="Warehouse")  # another business's location, with its own sensor
    own = Device.objects.create(
        serial="ACME-1", location=other, waste_stream="trash", container="dumpster_8yd", token_hash="x" * 64
    )

    counts = run_on_commit(simulate, days=3, customer=customer)

    assert counts["devices"] == 4
    assert own.readings.count() == 36
    assert max(own.readings.values_list("fill_percent", flat=True)) < own.collect_at_percent
    assert counts["evaluations"]["ACME-1"] == "not full"


def test_the_simulated_citys_bins_keep_their_own_readings(world, customer, clock, run_on_commit):
    city = factories.CustomerFactory(name=CITY_NAME)
    bin_of_the_city = Device.objects.create(
        serial="CITY-1",
        location=factories.LocationFactory(customer=city),
        waste_stream="trash",
        container="dumpster_4yd",
        token_hash="c" * 64,
    )

    counts = run_on_commit(simulate, days=3, customer=customer)

    assert "CITY-1" not in counts["evaluations"]
    assert not bin_of_the_city.readings.exists()


def test_without_the_demo_business_nothing_is_registered(db, clock):
    assert simulate(days=1) == {
        "devices": 0,
        "devices_registered": 0,
        "readings": 0,
        "readings_already_stored": 0,
        "pickups_booked": 0,
        "visits_skipped": 0,
        "evaluations": {},
    }
    with pytest.raises(ValueError, match="1 to 30 days"):
        simulate(days=31)
    with pytest.raises(CommandError, match="1 to 30 days"):
        call_command("simulate_sensors", "--days", "0")


def test_the_command_on_the_demo_market(db, clock, capsys, run_on_commit):
    seed_demo(today=NOW.date())

    run_on_commit(call_command, "simulate_sensors", "--days", "30")

    output = capsys.readouterr().out
    for line in ("devices: 4", "readings: 1440", "pickups booked: 1", "visits skipped: 1"):
        assert f"  {line}\n" in output
    cafe = Pickup.objects.get(device__serial__endswith="-trash", plan=None)
    assert cafe.customer.name == market.BUSINESS_NAME
    assert cafe.location.zip_code == "78701"
    assert cafe.status == Pickup.Status.OFFERED
    assert cafe.offers.get().hauler.name == market.HAULER_NAME
