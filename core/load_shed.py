"""Shed load instead of queueing it: a request that already waited too long for a worker gets a fast 503.

gunicorn's sync workers take a connection only when free, so under overload requests wait in the kernel's
queue where the app cannot see them, and by the time a worker reaches one its client may have given up.
nginx stamps each request as it hands it to gunicorn (`X-Request-Start: t=<seconds since the epoch>`,
deploy/nginx/haulmatch.conf); a request that waited longer than LOAD_SHED_WAIT_SECONDS is answered 503 with
`Retry-After` before any work (no session, no query, no body read), so a worker spends well under a
millisecond on it and gets on with requests whose clients are still there. A shed request did nothing: the
client may safely send it again.

nginx's own bound on requests handed to gunicorn (`max_conns`) answers the burst beyond it at once; this
catches what that count cannot: requests that are few but slow enough to make the queue long in time.
Without the header (no nginx in front: development, tests) nothing is ever shed. The stamp and this check
read the same clock, so nginx must run on the machine it proxies to (as deploy/ sets it up).
"""

import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse

HEADER = "HTTP_X_REQUEST_START"
API_PREFIX = "/api/"
PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>HaulMatch is busy</title>"
    "<h1>HaulMatch is busy</h1><p>Too many requests at once: nothing was done. Try again in a few seconds.</p>"
)


def started_at(value: str | None) -> float | None:
    """The epoch seconds in an X-Request-Start value (`t=1700000000.123`, or a bare number), else None.

    nginx's ${msec} is seconds with a fraction; other proxies send milliseconds or microseconds, told apart by
    their size (as the APM agents that read this header do)."""
    if not value:
        return None
    text = value.strip().removeprefix("t=")
    try:
        number = float(text)
    except ValueError:
        return None
    if number != number or number <= 0:  # NaN, zero, negative
        return None
    if number > 1e14:
        return number / 1e6
    if number > 1e11:
        return number / 1e3
    return number


def unavailable(request, waited: float | None = None) -> HttpResponse:
    """503 with Retry-After: JSON in the API's error shape for API clients, a short page for people."""
    retry_after = str(settings.LOAD_SHED_RETRY_AFTER_SECONDS)
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": "The service is busy: nothing was done. Retry after the Retry-After seconds.",
             "code": "overloaded"},
            status=503,
        )  # fmt: skip
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    if waited is not None:
        response["X-Queue-Wait-Ms"] = f"{waited * 1000:.0f}"
    return response


class LoadShedMiddleware:
    """503 + Retry-After for a request that waited longer than LOAD_SHED_WAIT_SECONDS before a worker took it."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limit = float(settings.LOAD_SHED_WAIT_SECONDS)

    def __call__(self, request):
        if self.limit > 0:
            start = started_at(request.META.get(HEADER))
            if start is not None:
                waited = time.time() - start
                if waited > self.limit:
                    return unavailable(request, waited)
        return self.get_response(request)
