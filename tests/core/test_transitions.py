"""The transition tables: every allowed move succeeds and is logged; every other move is refused."""

import datetime as dt
import itertools

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.utils import timezone

from core.models import StatusChange
from core.transitions import TransitionConflict, TransitionNotAllowed, history, transition
from haulers.models import Hauler
from marketplace.models import Offer, Pickup
from tests import factories


def make_pickup(status: str) -> Pickup:
    location = factories.LocationFactory()
    return Pickup.objects.create(
        customer=location.customer,
        location=location,
        hauler=factories.HaulerFactory(),
        waste_stream="trash",
        container="dumpster_4yd",
        quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=2),
        status=status,
        price_cents=10_200,
        payout_cents=8_500,
    )


def make_offer(status: str) -> Offer:
    pickup = make_pickup(Pickup.Status.OFFERED)
    return Offer.objects.create(
        pickup=pickup, hauler=pickup.hauler, status=status, payout_cents=8_500, answer_by=timezone.now()
    )


def make_hauler(status: str) -> Hauler:
    return factories.HaulerFactory(status=status)


MACHINES = [(Pickup, make_pickup), (Offer, make_offer), (Hauler, make_hauler)]
CASES = [
    pytest.param(
        model, make, source, target, target in model.TRANSITIONS[source], id=f"{model.__name__}:{source}->{target}"
    )
    for model, make in MACHINES
    for source, target in itertools.product(model.Status.values, repeat=2)
]


def test_every_status_has_a_row_in_its_table():
    for model, _ in MACHINES:
        assert set(model.TRANSITIONS) == set(model.Status.values), model


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "make", "source", "target", "is_allowed"), CASES)
def test_transition_table(model, make, source, target, is_allowed, staff_user):
    obj = make(source)
    if is_allowed:
        change = transition(obj, target, by=staff_user, reason="test")
        obj.refresh_from_db()
        assert obj.status == target
        assert (change.from_status, change.to_status, change.by, change.reason) == (source, target, staff_user, "test")
        assert list(history(obj)) == [change]
    else:
        with pytest.raises(TransitionNotAllowed):
            transition(obj, target, by=staff_user)
        obj.refresh_from_db()
        assert obj.status == source
        assert not StatusChange.objects.exists()


@pytest.mark.django_db
def test_a_stale_copy_loses_to_the_change_already_made():
    pickup = make_pickup(Pickup.Status.OFFERED)
    stale = Pickup.objects.get(pk=pickup.pk)
    transition(pickup, Pickup.Status.SCHEDULED)

    with pytest.raises(TransitionConflict):
        transition(stale, Pickup.Status.CANCELLED)

    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.SCHEDULED
    assert [c.to_status for c in history(pickup)] == ["scheduled"]


@pytest.mark.django_db
def test_fields_change_with_the_status():
    pickup = make_pickup(Pickup.Status.SCHEDULED)
    moment = timezone.now()
    transition(pickup, Pickup.Status.COMPLETED, fields={"completed_at": moment})
    pickup.refresh_from_db()
    assert pickup.completed_at == moment


@pytest.mark.django_db
def test_inside_a_transaction_a_move_is_its_update_and_its_log_line(django_assert_num_queries):
    pickup = make_pickup(Pickup.Status.OFFERED)
    ContentType.objects.get_for_model(Pickup)  # cached for the process, as in any request after the first

    with transaction.atomic(), django_assert_num_queries(2):  # no savepoint around the two
        transition(pickup, Pickup.Status.SCHEDULED)


@pytest.mark.django_db
def test_a_conflict_inside_a_transaction_writes_nothing_and_leaves_it_usable():
    pickup = make_pickup(Pickup.Status.OFFERED)
    stale = Pickup.objects.get(pk=pickup.pk)
    with transaction.atomic():
        transition(pickup, Pickup.Status.SCHEDULED)
        with pytest.raises(TransitionConflict):
            transition(stale, Pickup.Status.CANCELLED)
        transition(pickup, Pickup.Status.COMPLETED)  # the same transaction goes on

    assert [c.to_status for c in history(pickup)] == ["scheduled", "completed"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_update_and_its_log_line_commit_together(monkeypatch):
    pickup = make_pickup(Pickup.Status.OFFERED)

    def refuse(**fields):
        raise DatabaseError("the log line could not be written")

    monkeypatch.setattr(StatusChange.objects, "create", refuse)
    with pytest.raises(DatabaseError):
        transition(pickup, Pickup.Status.SCHEDULED)

    assert Pickup.objects.get(pk=pickup.pk).status == Pickup.Status.OFFERED
