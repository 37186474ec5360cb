"""The cascade against real parts: racing accepts on PostgreSQL, and a real worker on Redis."""

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.db import close_old_connections, connection
from django.utils import timezone

from core.errors import Conflict
from marketplace import dispatch, services, tasks
from marketplace.models import Offer, Pickup
from tests import factories

HAULERS = 20
ROUNDS = 5


def make_market(location, count):
    haulers = []
    for n in range(count):
        hauler = factories.HaulerFactory(name=f"Racer {n:02d}", zips=["78701"])
        factories.RateFactory(hauler=hauler, price_cents=8_000 + n)
        haulers.append(hauler)
    return haulers


def book(customer, location):
    quote = services.create_quote(
        customer=customer,
        location=location,
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )
    return services.book_quote(quote=quote, customer=customer)


def race(offers) -> list[str]:
    """Every hauler accepts its offer at the same instant, each on its own connection."""
    barrier = threading.Barrier(len(offers))
    outcomes = [None] * len(offers)

    def accept(index, offer):
        try:
            barrier.wait()
            dispatch.accept_offer(offer_id=offer.pk, hauler=offer.hauler)
            outcomes[index] = "won"
        except Conflict:
            outcomes[index] = "conflict"
        except Exception as error:  # recorded, so the assertion shows it
            outcomes[index] = repr(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=accept, args=(i, offer)) for i, offer in enumerate(offers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_twenty_haulers_accepting_at_once_make_exactly_one_winner(
    postgres, settings, customer, location, customer_owner
):
    settings.OFFER_FANOUT = HAULERS
    make_market(location, HAULERS)
    for round_number in range(ROUNDS):
        pickup = book(customer, location)
        offers = list(pickup.offers.select_related("hauler"))
        assert len(offers) == HAULERS, f"round {round_number}: offered to {len(offers)}"
        mail.outbox.clear()

        outcomes = race(offers)

        assert sorted(outcomes) == ["conflict"] * (HAULERS - 1) + ["won"], outcomes
        pickup.refresh_from_db()
        winner = offers[outcomes.index("won")]
        assert (pickup.status, pickup.hauler_id) == (Pickup.Status.SCHEDULED, winner.hauler_id)
        statuses = list(pickup.offers.values_list("status", flat=True))
        assert statuses.count(Offer.Status.ACCEPTED) == 1
        assert statuses.count(Offer.Status.WITHDRAWN) == HAULERS - 1
        scheduled_mail = [m for m in mail.outbox if customer_owner.email in m.to]
        assert len(scheduled_mail) == 1, [m.subject for m in scheduled_mail]
        # free the winner's capacity for the next round
        services.cancel_pickup(pickup=pickup)


def wait_for(predicate, *, timeout=30.0, what="the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def pending_hauler(pickup):
    return (
        Offer.objects.filter(pickup=pickup, status=Offer.Status.PENDING).values_list("hauler__name", flat=True).first()
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_cascade_runs_end_to_end_through_a_real_worker(postgres, celery_worker_process, customer, location):
    make_market(location, 3)
    pickup = book(customer, location)  # dispatch is sent to the worker on commit

    assert wait_for(lambda: pending_hauler(pickup) == "Racer 00", what="the first offer")
    first = Offer.objects.get(pickup=pickup, status="pending")
    dispatch.decline_offer(offer_id=first.pk, hauler=first.hauler, reason="Full today")

    assert wait_for(lambda: pending_hauler(pickup) == "Racer 01", what="the offer after a decline")
    Offer.objects.filter(pickup=pickup, status="pending").update(answer_by=timezone.now() - dt.timedelta(seconds=1))
    tasks.expire_offers.delay()  # what beat sends every minute

    assert wait_for(lambda: pending_hauler(pickup) == "Racer 02", what="the offer after an expiry")
    statuses = dict(Offer.objects.filter(pickup=pickup).values_list("hauler__name", "status"))
    assert statuses == {"Racer 00": "declined", "Racer 01": "expired", "Racer 02": "pending"}
    log = celery_worker_process.log_path.read_text()
    assert "marketplace.dispatch_pickup" in log and "marketplace.expire_offers" in log


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_hauler_accepting_many_offers_at_once_never_takes_more_than_its_trucks_can_do(
    postgres, customer, location, customer_owner
):
    # Six jobs offered to one hauler whose one truck does three stops: six accepts race on six connections.
    hauler = factories.HaulerFactory(name="Three Stops", zips=["78701"], stops=0)
    factories.TruckFactory(hauler=hauler, name="Only truck", stops_per_shift=6)
    factories.RateFactory(hauler=hauler, price_cents=8_000)
    pickups = [book(customer, location) for _ in range(6)]
    hauler.trucks.update(stops_per_shift=3)  # offered while it had room; a truck broke down since
    offers = [pickup.offers.select_related("hauler").get() for pickup in pickups]

    outcomes = race(offers)

    assert sorted(outcomes) == ["conflict"] * 3 + ["won"] * 3
    scheduled = Pickup.objects.filter(hauler=hauler, status=Pickup.Status.SCHEDULED)
    assert scheduled.count() == 3
