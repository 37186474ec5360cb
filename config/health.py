"""Liveness and readiness probes, as JSON."""

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """The process is up and serving requests."""
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except Exception as error:  # any driver error means not ready
        return error.__class__.__name__


def _broker() -> str | None:
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
        return None
    except redis.RedisError as error:
        return error.__class__.__name__


@require_GET
@never_cache
def readyz(request):
    """The database (and the broker, when one is configured) answer: 200, else 503."""
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["broker"] = _broker()
    ready = all(error is None for error in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {name: "ok" if error is None else f"error: {error}" for name, error in checks.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
