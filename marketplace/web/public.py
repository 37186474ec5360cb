"""The pages anyone may read: how HaulMatch works and what it costs, for businesses and for haulers, the terms
and privacy placeholders, and the site's icon at /favicon.ico.

The figures on them (the fee, the cancellation terms, the credit for a missed pickup, the windows) are read from
the settings that price and run the market, so the pages cannot promise what the code does not do.
"""

import datetime as dt
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from core.catalog import Container, WasteStream
from marketplace.web.formatting import window_label

FAVICON = Path(settings.BASE_DIR) / "static" / "icons" / "favicon.ico"


def duration(value: dt.timedelta) -> str:
    """'24 hours', '2 hours', '30 minutes', '1 day' (a whole number of the largest unit that divides it)."""
    seconds = int(value.total_seconds())
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0 and not (unit == "day" and seconds <= 2 * 86_400):
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _terms() -> dict:
    """The commercial terms both sides read, as the settings set them."""
    windows = [window_label(start, end) for start, end in settings.ARRIVAL_WINDOWS]
    return {
        "fee_percent": f"{settings.FEE_PERCENT.normalize():f}",
        "min_fee_cents": settings.MIN_FEE_CENTS,
        "quote_ttl": duration(settings.QUOTE_TTL),
        "cancellation_cutoff": duration(settings.CANCELLATION_CUTOFF),
        "cancellation_fee_cents": settings.CANCELLATION_FEE_CENTS,
        "missed_credit_cents": settings.MISSED_PICKUP_CREDIT_CENTS,
        "offer_ttl": duration(settings.OFFER_TTL),
        "same_day_offer_ttl": duration(settings.SAME_DAY_OFFER_TTL),
        "booking_notice": duration(settings.BOOKING_MIN_NOTICE),
        "whole_day_window": windows[0],
        "other_windows": windows[1:],
        "waste_streams": [label for _, label in WasteStream.choices],
        "containers": [label for _, label in Container.choices],
    }


@require_safe
def how_it_works(request):
    return render(request, "marketplace/public/how_it_works.html", _terms())


@require_safe
def pricing(request):
    return render(request, "marketplace/public/pricing.html", _terms())


@require_safe
def for_haulers(request):
    return render(request, "marketplace/public/for_haulers.html", _terms())


@require_safe
def terms(request):
    return render(request, "marketplace/public/terms.html")


@require_safe
def privacy(request):
    return render(request, "marketplace/public/privacy.html")


@cache
def _favicon() -> bytes:
    return FAVICON.read_bytes()


@require_safe
@cache_control(public=True, max_age=86_400)
def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (Django's admin, a PDF, an API answer)."""
    return HttpResponse(_favicon(), content_type="image/x-icon")
