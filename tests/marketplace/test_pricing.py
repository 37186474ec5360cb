"""Fee rounding and the margin guard, in integer cents."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace import pricing


@pytest.mark.parametrize(
    ("payout", "fee"),
    [
        (10_000, 2_000),  # 20% of $100.00
        (8_502, 1_700),  # 1700.4 rounds down
        (8_503, 1_701),  # 1700.6 rounds up
        (8_505, 1_701),  # 1701.0 exactly
        (2_501, 500),  # 500.2 -> 500
        (2_502, 500),  # 500.4 -> 500, also the minimum
        (1_000, 500),  # 200 is below the $5.00 minimum fee
        (0, 500),
    ],
)
def test_fee_is_twenty_percent_rounded_half_up_with_a_minimum(payout, fee):
    assert pricing.platform_fee_cents(payout) == fee
    assert pricing.customer_price_cents(payout) == payout + fee


def test_exact_half_cents_round_up(settings):
    settings.FEE_PERCENT = Decimal("12.5")
    settings.MIN_FEE_CENTS = 0
    assert pricing.platform_fee_cents(4) == 1  # 0.5 -> 1
    assert pricing.platform_fee_cents(12) == 2  # 1.5 -> 2
    assert pricing.platform_fee_cents(20) == 3  # 2.5 -> 3, not banker's 2


@given(
    payout=st.integers(min_value=0, max_value=10_000_000),
    percent=st.decimals(min_value=0, max_value=100, places=2),
    min_fee=st.integers(min_value=0, max_value=5_000),
    floor_share=st.floats(min_value=0, max_value=1),
)
def test_the_price_always_covers_payout_plus_the_floor_margin(payout, percent, min_fee, floor_share):
    from django.conf import settings

    original = (settings.FEE_PERCENT, settings.MIN_FEE_CENTS, settings.FLOOR_MARGIN_CENTS)
    try:
        settings.FEE_PERCENT, settings.MIN_FEE_CENTS = percent, min_fee
        settings.FLOOR_MARGIN_CENTS = int(min_fee * floor_share)  # the settings refuse a floor above the minimum fee
        price = pricing.customer_price_cents(payout)
        assert isinstance(price, int)
        assert price >= payout + settings.FLOOR_MARGIN_CENTS
        assert pricing.max_payout_cents(price) >= payout
    finally:
        settings.FEE_PERCENT, settings.MIN_FEE_CENTS, settings.FLOOR_MARGIN_CENTS = original
