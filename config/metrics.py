"""/metrics/: the market's own figures for Prometheus, read from the database and Redis at scrape time.

Counters kept in each gunicorn worker's memory would not add up across workers (and reset at every
restart); the rows already hold the figures. So a scrape runs a constant number of small queries
(counts by status over indexed columns, the highest reading id, one aggregate over the last day's
accepts) and one Redis round trip for the queue's length. Staff, or a scraper sending
`Authorization: Bearer <METRICS_TOKEN>`, may read it; anyone else gets a 404.
"""

import datetime as dt

import redis
from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeHistogramMetricFamily, GaugeMetricFamily

from billing.models import Payment
from marketplace.models import Offer, Pickup
from sensors.models import Reading

# Upper bounds (seconds) of the time-to-accept buckets: a minute to a day.
ACCEPT_BUCKETS = (60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 12 * 3600, 24 * 3600)
ACCEPT_WINDOW = dt.timedelta(days=1)
# kombu's Redis transport keeps a queue's priorities 3, 6 and 9 in lists of their own beside the queue's.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def _by_status(model) -> dict[str, int]:
    rows = model.objects.order_by().values_list("status").annotate(count=Count("id"))
    return {status: 0 for status in model.Status.values} | dict(rows)


def _time_to_accept() -> dict:
    """Seconds from booking to the accepting answer, for offers accepted within the last day, in buckets."""
    waited = ExpressionWrapper(F("responded_at") - F("pickup__created_at"), output_field=DurationField())
    buckets = {
        f"le_{bound}": Count("id", filter=Q(waited__lte=dt.timedelta(seconds=bound))) for bound in ACCEPT_BUCKETS
    }
    return (
        Offer.objects.filter(
            status__in=(Offer.Status.ACCEPTED, Offer.Status.RELEASED), responded_at__gte=timezone.now() - ACCEPT_WINDOW
        )
        .annotate(waited=waited)
        .aggregate(count=Count("id"), total=Sum("waited"), **buckets)
    )


def _queue_depth() -> int | None:
    """Messages waiting in the Celery queue; None without a broker, or when it does not answer."""
    if not settings.REDIS_URL:
        return None
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for suffix in PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
            return sum(pipe.execute())
    except redis.RedisError:
        return None


class MarketCollector:
    """The market's figures, one collect() a scrape."""

    def collect(self):
        pickups = _by_status(Pickup)
        yield _counter("bookings", "Pickups booked (one-time, recurring and by sensors), ever.", sum(pickups.values()))
        yield _labelled(GaugeMetricFamily, "pickups", "Pickups by status now.", pickups)
        yield GaugeMetricFamily(
            "haulmatch_unmatched_pickups", "Pickups no hauler took: staff must act.", value=pickups["unmatched"]
        )

        offers = _by_status(Offer)
        yield _counter("offers", "Offers made to haulers, ever.", sum(offers.values()))
        yield _labelled(GaugeMetricFamily, "offers", "Offers by status now.", offers)
        # A released offer was accepted first (the hauler gave the job back later).
        yield _counter("offer_accepts", "Offers haulers accepted, ever.", offers["accepted"] + offers["released"])

        accepts = _time_to_accept()
        total = accepts["total"] or dt.timedelta(0)
        yield GaugeHistogramMetricFamily(
            "haulmatch_time_to_accept_seconds",
            "From booking to the hauler's accepting answer, for offers accepted within the last day.",
            buckets=[(str(float(bound)), accepts[f"le_{bound}"]) for bound in ACCEPT_BUCKETS]
            + [("+Inf", accepts["count"])],
            gsum_value=total.total_seconds(),
        )

        yield _labelled(
            GaugeMetricFamily, "payments", "Payments by outcome (pending, succeeded, failed).", _by_status(Payment)
        )

        # The highest id, not a COUNT(*): an index lookup however many readings there are (ids a refused
        # write used up count too, so it can run a little ahead of the rows).
        readings = Reading.objects.aggregate(last=Max("id"))["last"] or 0
        yield _counter("sensor_readings", "Sensor readings stored, ever.", readings)

        depth = _queue_depth()
        yield GaugeMetricFamily(
            "haulmatch_broker_up", "Whether the Celery broker (Redis) answered.", value=depth is not None
        )
        if depth is not None:
            family = GaugeMetricFamily("haulmatch_queue_depth", "Tasks waiting for a worker.", labels=["queue"])
            family.add_metric([settings.CELERY_TASK_DEFAULT_QUEUE], depth)
            yield family


def _counter(name: str, documentation: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(f"haulmatch_{name}", documentation, value=value)


def _labelled(kind, name: str, documentation: str, values: dict[str, int]):
    family = kind(f"haulmatch_{name}", documentation, labels=["status"])
    for status, count in sorted(values.items()):
        family.add_metric([status], count)
    return family


def _refusal(request) -> HttpResponse | None:
    """None for staff or the scraper's bearer token; a 403 for a wrong token; otherwise the page is not there."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        if settings.METRICS_TOKEN and constant_time_compare(token.strip(), settings.METRICS_TOKEN):
            return None
        return HttpResponseForbidden("Wrong metrics token.", content_type="text/plain")
    if request.user.is_authenticated and request.user.is_staff:
        return None
    raise Http404


@require_GET
@never_cache
def metrics(request):
    """The figures in Prometheus's text format."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MarketCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
