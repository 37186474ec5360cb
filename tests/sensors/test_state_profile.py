"""sensors/state.py keeps the forecast's weekday clock and spread on the row, in the location's weekdays."""

import datetime as dt

import pytest

from sensors import rules, state
from sensors.models import Reading
from tests.marketplace.test_bins import device_at
from tests.sensors.test_forecast import weekly_rhythm


@pytest.mark.django_db
def test_refresh_keeps_the_weekday_profile_and_spread_the_rules_read(location):
    device = device_at(location)
    readings = weekly_rhythm(3, saturday=32, other=8)
    Reading.objects.bulk_create(Reading(device=device, measured_at=at, fill_percent=fill) for at, fill in readings)
    now = readings[-1][0] + dt.timedelta(minutes=5)

    state.refresh([device.pk], now=now)
    device.refresh_from_db()

    fit = rules.fit(readings, tz=state.local_zone(device.location.timezone))
    assert device.fill_weekday_factors == fit.clock.profile
    assert max(device.fill_weekday_factors) == device.fill_weekday_factors[5]  # Saturday
    assert device.fill_spread_percent == pytest.approx(fit.spread, abs=0.01)
    assert device.fill_rate_per_day == pytest.approx(fit.rate)
    assert device.full_at == rules.full_at(fit)


def test_an_unknown_zone_falls_back_to_utc():
    assert state.local_zone("Nowhere/Atlantis") == dt.UTC
