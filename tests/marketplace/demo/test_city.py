"""The simulated city: seeded bins, fill and sensors, and collection policies that see only the readings."""

import dataclasses
import datetime as dt

import numpy as np
import pytest

from core import geo
from marketplace.demo import city as city_model
from marketplace.demo import city_policies as policies
from routing.distance import StraightLine
from routing.validate import check

DAYS = city_model.WARM_UP_DAYS + 14


@pytest.fixture(scope="module")
def city():
    return city_model.make_city()


def test_the_same_seed_makes_the_same_city(city):
    assert city_model.make_city() == city
    assert city_model.make_city(seed=7) != city
    small = city_model.make_city(bins=40)
    again = city_model.fill_increments(small, days=DAYS)
    assert np.array_equal(city_model.fill_increments(small, days=DAYS), again)


def test_a_thousand_bins_of_every_kind_across_austin(city):
    assert len(city) == city_model.BINS
    assert {item.site for item in city} == {kind.name for kind in city_model.KINDS}
    assert len({item.zip_code for item in city}) > 30
    for item in city:
        info = geo.lookup(item.zip_code)
        assert info.state == "TX"
        assert geo.miles_between(item.lat, item.lng, 30.2713, -97.7426) < city_model.CITY_MILES + 3
        assert 0 <= item.weekday <= 4 and item.interval_h in (1, 2, 4)
    compactors = [item for item in city if item.compactor]
    assert compactors and {item.site for item in compactors} == {"street"}
    assert all(item.loose_yards == 0.5 * city_model.COMPACTION for item in compactors)


def test_fill_follows_the_week_of_each_kind_of_site(city):
    increments = city_model.fill_increments(city, days=DAYS)
    per_day = increments.reshape(len(city), DAYS, 24).sum(axis=2)
    first = (city_model.START - dt.timedelta(days=city_model.WARM_UP_DAYS)).weekday()
    weekday = np.array([(first + d) % 7 for d in range(DAYS)])

    def mean_on(site, days):
        rows = [item.index for item in city if item.site == site]
        return per_day[np.ix_(rows, np.isin(weekday, days))].mean() / np.mean([city[r].weekly_fill for r in rows])

    assert mean_on("office", [5, 6]) < 0.2 * mean_on("office", [0, 1, 2, 3])  # offices are shut at weekends
    assert mean_on("restaurant", [4, 5]) > 1.3 * mean_on("restaurant", [0, 1])  # Friday and Saturday nights
    weekly = per_day.sum(axis=1) / (DAYS / 7)
    expected = np.array([item.weekly_fill for item in city])
    assert weekly.sum() == pytest.approx(expected.sum(), rel=0.05)  # the spread averages out over the city


def test_a_sensor_never_reads_above_100_and_sometimes_loses_an_uplink(city):
    noise = city_model.sensor_noise(city[:50], days=DAYS)
    readings = [noise.reading(b, hour, 140.0) for b in range(50) for hour in range(DAYS * 24)]
    seen = [value for value in readings if value is not None]
    assert max(seen) == 100 and min(seen) >= 80
    assert 0 < readings.count(None) < 0.1 * len(readings)


def rising(sensors, b, *, now, level, per_day, hours=30):
    for h in range(hours, -1, -2):
        sensors.add(b, now - dt.timedelta(hours=h), round(level - per_day * h / 24))


def test_each_policy_decides_from_the_readings(city):
    tuesday = dt.date(2026, 3, 24)
    now = dt.datetime(2026, 3, 23, 16, tzinfo=city_model.TZ)
    bins = [dataclasses.replace(item, index=k, weekday=1) for k, item in enumerate(city[:4])]
    sensors = policies.Sensors(4)
    rising(sensors, 0, now=now, level=20, per_day=2)  # nearly empty, slow: its visit can be skipped
    rising(sensors, 1, now=now, level=65, per_day=18)  # past its 95% safe level by Wednesday evening
    rising(sensors, 2, now=now, level=40, per_day=6)
    # Bin 3 sent nothing: no policy but the fixed round knows anything of it.

    def chosen(policy, flagged=()):
        return policies.decide(policy, bins, sensors, now=now, day=tuesday, flagged=set(flagged))

    assert chosen("fixed") == {0, 1, 2, 3}
    assert chosen("threshold") == {1, 2, 3}  # bin 0 under 30% at the cutoff; bin 3 without a reading keeps it
    assert chosen("forecast") == {1}
    # On the weekly plans: bin 0 waits (20 + 2 x 8 days is under 80), bin 2 is kept (40 + 6 x 8 is not).
    assert chosen("forecast_plan") == {1, 2, 3}


def test_with_every_uplink_lost_the_forecast_policy_knows_nothing_and_collects_nothing(city):
    small = city[:30]
    small = [dataclasses.replace(item, index=k) for k, item in enumerate(small)]
    increments = city_model.fill_increments(small, days=DAYS)
    noise = city_model.sensor_noise(small, days=DAYS)
    blind = dataclasses.replace(noise, lost=np.ones_like(noise.lost))
    outcome = policies.simulate("forecast", small, increments, blind, route=False)
    assert outcome.collections == 0  # the true fill was there all along; it never saw it
    fixed = policies.simulate("fixed", small, increments, noise, route=False)
    assert fixed.collections == 30 * 2  # every bin once a week, two measured weeks
    assert fixed.bin_days == 30 * 14 and all(0 <= fill <= 100 for fill in fixed.fills)
    seeing = policies.simulate("forecast", small, increments, noise, route=False)
    assert seeing.collections > 0 and seeing.overflow_bin_days <= fixed.overflow_bin_days


def test_a_day_is_routed_within_windows_and_capacity(city):
    served = [item for item in city if policies.nearest_depot(item) == 0][:40]
    backend = StraightLine()
    loads = {item.index: policies.planned_load(item, 70) for item in served}
    solution = policies.route_day(city, loads, hauler=0, time_limit_s=0.3, seed=0, backend=backend)
    assert not solution.unroutable
    assert sorted(b for r in solution.routes for b in r.stop_ids) == sorted(loads)
    problem = policies.day_problem(city, loads, hauler=0)
    assert check(problem, solution, backend=backend) == []  # the router's own check: windows, shifts, capacity


def test_a_bin_due_a_day_later_joins_tomorrows_stop_next_to_it_not_one_far_away(city):
    tuesday = dt.date(2026, 3, 24)
    now = dt.datetime(2026, 3, 23, 16, tzinfo=city_model.TZ)
    base = dataclasses.replace(city[0], window=city_model.ALL_DAY, weekday=4)
    place = [(0.0, 0.0), (0.001, 0.0), (0.0, 0.045)]  # a stop, one 110 m north of it, one 4.5 km east
    bins = [
        dataclasses.replace(base, index=k, lat=base.lat + north, lng=base.lng + east)
        for k, (north, east) in enumerate(place)
    ]
    assert len({policies.nearest_depot(item) for item in bins}) == 1  # one hauler's day
    sensors = policies.Sensors(3)
    rising(sensors, 0, now=now, level=65, per_day=25)  # past its safe level by Wednesday: Tuesday it is
    # 80% by Tuesday 17:00, 90% by Wednesday's, past 95% by Thursday's: due by Wednesday, at its mark Tuesday.
    rising(sensors, 1, now=now, level=70, per_day=10)
    rising(sensors, 2, now=now, level=70, per_day=10)
    chosen = policies.decide("forecast", bins, sensors, now=now, day=tuesday, flagged=set())
    assert chosen == {0, 1}  # bin 2 waits for Wednesday, emptied fuller
    quiet = policies.Sensors(3)  # bin 0 sent nothing: no stop is booked beside bin 1
    for b in (1, 2):
        rising(quiet, b, now=now, level=70, per_day=10)
    assert policies.decide("forecast", bins, quiet, now=now, day=tuesday, flagged=set()) == set()
