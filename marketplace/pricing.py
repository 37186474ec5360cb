"""Prices in integer cents. The customer pays the hauler's price plus the platform fee."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings


def platform_fee_cents(payout_cents: int) -> int:
    """FEE_PERCENT of the payout, rounded half-up to the cent, never below MIN_FEE_CENTS."""
    fee = (Decimal(payout_cents) * settings.FEE_PERCENT / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(int(fee), settings.MIN_FEE_CENTS)


def customer_price_cents(payout_cents: int) -> int:
    """What the customer pays when the hauler earns payout_cents."""
    return payout_cents + platform_fee_cents(payout_cents)


def max_payout_cents(price_cents: int) -> int:
    """The margin guard: the most any hauler may be offered for a pickup sold at price_cents."""
    return price_cents - settings.FLOOR_MARGIN_CENTS


def late_cancellation_fee_cents(*, price_cents: int, window_start: datetime, now: datetime) -> int:
    """CANCELLATION_FEE_CENTS (never more than the price) inside CANCELLATION_CUTOFF of the window, else 0."""
    if window_start - now >= settings.CANCELLATION_CUTOFF:
        return 0
    return min(settings.CANCELLATION_FEE_CENTS, price_cents)
