"""The hauler portal's Ratings page: what businesses said about the hauler's visits, its average and tags."""

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import geo
from core.views import hauler_required, role_required
from marketplace import ratings

PAGE = 20


@hauler_required
@role_required("see")
@require_GET
def hauler_ratings(request, hauler):
    """The last 90 days' average, count and tags, then every rating, latest first, 20 to a page."""
    page = Paginator(ratings.ratings_for_hauler(hauler=hauler), PAGE).get_page(request.GET.get("page"))
    depot = geo.lookup(hauler.depot_zip)
    context = {
        "hauler": hauler,
        "summary": ratings.summary_for_hauler(hauler=hauler),
        "page": page,
        "window_days": settings.RATING_WINDOW_DAYS,
        "tz": depot.timezone if depot else "America/New_York",  # a rating's date is said in the depot's zone
    }
    return render(request, "haulers/ratings.html", context)
