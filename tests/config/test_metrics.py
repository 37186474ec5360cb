"""/metrics/: the market's figures for Prometheus, for staff or the scraper's token only, in constant queries."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from billing.models import Payment
from marketplace.models import Offer, Pickup
from sensors import services as sensor_services
from sensors.models import Reading
from tests import factories

URL = "/metrics/"
TOKEN = "scrape-me-" + "x" * 30


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.REDIS_URL = None
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def samples(response) -> dict[tuple, float]:
    """Every sample as {(name, labels...): value}."""
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return found


def accepted_after(pickup: Pickup, waited: dt.timedelta, hauler) -> Offer:
    """An offer of `pickup` accepted `waited` after the pickup was booked."""
    return Offer.objects.create(
        pickup=pickup,
        hauler=hauler,
        payout_cents=2_400,
        answer_by=timezone.now() + dt.timedelta(hours=1),
        status=Offer.Status.ACCEPTED,
        responded_at=pickup.created_at + waited,
    )


@pytest.fixture
def market(customer, location, in_area_hauler):
    """Four pickups (two scheduled, one unmatched, one offered), two accepts, payments, three readings."""
    booked_at = timezone.now() - dt.timedelta(hours=3)
    scheduled = factories.PickupFactory.create_batch(2, location=location, hauler=in_area_hauler)
    factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.UNMATCHED)
    offered = factories.PickupFactory(location=location, hauler=None, status=Pickup.Status.OFFERED)
    Pickup.objects.update(created_at=booked_at)
    first, second = (Pickup.objects.get(pk=pickup.pk) for pickup in scheduled)
    accepted_after(first, dt.timedelta(minutes=4), in_area_hauler)  # within 5 minutes
    accepted_after(second, dt.timedelta(minutes=50), in_area_hauler)  # within an hour
    Offer.objects.create(
        pickup=offered, hauler=in_area_hauler, payout_cents=2_400, answer_by=timezone.now() + dt.timedelta(hours=1)
    )
    for pickup, status in ((first, Payment.Status.SUCCEEDED), (second, Payment.Status.FAILED)):
        Payment.objects.create(
            customer=customer, pickup=pickup, description="Pickup", amount_cents=3_000, status=status
        )
    device = sensor_services.register_device(
        by=None, location=location, serial="M-1", waste_stream="trash", container="dumpster_4yd"
    )[0]
    now = timezone.now()
    Reading.objects.bulk_create(
        Reading(device=device, measured_at=now - dt.timedelta(hours=hours), fill_percent=10 * hours)
        for hours in range(3)
    )


@pytest.mark.django_db
def test_the_market_figures_come_from_the_rows(client, token, market):
    response = client.get(URL, **token)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    figures = samples(response)
    assert figures[("haulmatch_bookings_total",)] == 4
    assert figures[("haulmatch_pickups", ("status", "scheduled"))] == 2
    assert figures[("haulmatch_pickups", ("status", "completed"))] == 0
    assert figures[("haulmatch_unmatched_pickups",)] == 1
    assert figures[("haulmatch_offers_total",)] == 3
    assert figures[("haulmatch_offers", ("status", "pending"))] == 1
    assert figures[("haulmatch_offer_accepts_total",)] == 2
    assert figures[("haulmatch_payments", ("status", "succeeded"))] == 1
    assert figures[("haulmatch_payments", ("status", "failed"))] == 1
    assert figures[("haulmatch_payments", ("status", "pending"))] == 0
    assert figures[("haulmatch_sensor_readings_total",)] == Reading.objects.latest("id").id >= 3
    # Time to accept: one answer within 5 minutes, the other within an hour; the sum is the 54 minutes.
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "60.0"))] == 0
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "300.0"))] == 1
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "1800.0"))] == 1
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "3600.0"))] == 2
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "+Inf"))] == 2
    assert figures[("haulmatch_time_to_accept_seconds_gsum",)] == pytest.approx(54 * 60)
    # No broker configured: said so, and no queue depth is made up.
    assert figures[("haulmatch_broker_up",)] == 0
    assert not any(name == "haulmatch_queue_depth" for name, *_ in figures)


@pytest.mark.django_db
def test_an_accept_older_than_a_day_leaves_the_time_to_accept(client, token, location, in_area_hauler):
    pickup = factories.PickupFactory(location=location, hauler=in_area_hauler)
    Pickup.objects.filter(pk=pickup.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    accepted_after(Pickup.objects.get(pk=pickup.pk), dt.timedelta(minutes=10), in_area_hauler)

    figures = samples(client.get(URL, **token))

    assert figures[("haulmatch_offer_accepts_total",)] == 1
    assert figures[("haulmatch_time_to_accept_seconds_bucket", ("le", "+Inf"))] == 0


@pytest.mark.django_db
def test_a_scrape_costs_the_same_queries_however_big_the_market(
    client, token, location, in_area_hauler, django_assert_num_queries
):
    def scrape():
        with django_assert_num_queries(5):  # pickups, offers, time to accept, payments, readings
            assert client.get(URL, **token).status_code == 200

    scrape()
    for status in (Pickup.Status.SCHEDULED, Pickup.Status.COMPLETED, Pickup.Status.MISSED):
        for pickup in factories.PickupFactory.create_batch(3, location=location, hauler=in_area_hauler, status=status):
            accepted_after(pickup, dt.timedelta(minutes=20), in_area_hauler)
    scrape()


# --- Who may read it ------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_read_it_with_their_session(client, settings):
    settings.REDIS_URL = None
    client.force_login(factories.UserFactory(is_staff=True))
    response = client.get(URL)
    assert response.status_code == 200
    assert b"haulmatch_bookings_total" in response.content


@pytest.mark.django_db
def test_anyone_else_finds_nothing_there(client, customer_owner, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get(URL).status_code == 404
    client.force_login(customer_owner)
    assert client.get(URL).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("configured", [TOKEN, ""])
def test_a_wrong_token_is_refused_and_no_token_setting_means_no_token_works(client, settings, configured):
    settings.METRICS_TOKEN = configured
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer ").status_code == 403
    assert client.get(URL, HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 404
