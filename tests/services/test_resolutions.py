"""Settling cases against real parts: a miss made up once however many workers race to do it (PostgreSQL), and
refunds through the Stripe stand-in with a make-up and a credit, retried and raced, the ledger balanced."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import ledger, refunds
from billing.models import Payment, Refund
from core.transitions import transition
from marketplace import makeups, resolutions
from marketplace.models import Case, Pickup
from tests import factories
from tests.services.billing_support import complete, remote, save_card, scheduled_pickup
from tests.services.threads import at_once, race

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def hauler(name, price):
    made = factories.HaulerFactory(name=name, zips=["78701"])
    factories.RateFactory(hauler=made, price_cents=price)
    factories.HaulerMembershipFactory(hauler=made)
    return made


def test_a_miss_is_made_up_once_when_its_task_runs_on_four_workers_at_once(postgres, customer):
    missing, other = hauler("Missing", 8_500), hauler("Other", 9_000)
    pickup = factories.PickupFactory(
        customer=customer, location=customer.locations.get(), hauler=missing, container="dumpster_4yd",
        price_cents=12_000, payout_cents=8_500, service_date=timezone.localdate(),
    )  # fmt: skip
    transition(pickup, Pickup.Status.MISSED)

    outcomes = race(lambda: makeups.make_up_missed(pickup_id=pickup.pk), 4)

    made = pickup.make_ups.get()  # one, whoever won
    assert sorted(o.pk if o else 0 for o in outcomes) == [0, 0, 0, made.pk]
    assert list(made.offers.values_list("hauler", flat=True)) == [other.pk]


@pytest.fixture
def paid_case(stripe_on, customer, run_on_commit):
    first = hauler("Original Hauling", 8_500)
    hauler("Second Best", 9_000)
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, first, price=12_000, payout=8_500))
    assert Payment.objects.get(pickup=pickup).status == Payment.Status.SUCCEEDED
    return Case.objects.create(
        customer=customer, pickup=pickup, hauler=first, problem=Case.Problem.NOT_EMPTIED,
        respond_by=timezone.now() + dt.timedelta(hours=48),
    )  # fmt: skip


def refunded_at_stripe(case) -> int:
    intent = Payment.objects.get(pickup=case.pickup).stripe_payment_intent_id
    return remote(f"/v1/payment_intents/{intent}")["latest_charge"]["amount_refunded"]


def settle(case, by, **parts):
    choice = {"make_up": False, "refund_cents": 0, "credit_cents": 0, "note": "", "claim_overturned": False}
    return resolutions.resolve(case=case, by=by, **{**choice, **parts})


def test_a_partial_refund_a_credit_and_a_make_up_at_once_keep_the_books_balanced(paid_case, staff_user):
    settled = settle(paid_case, staff_user, make_up=True, refund_cents=4_000, credit_cents=1_000, note="Half done")

    assert (settled.status, settled.refund_cents, settled.credit_cents) == (Case.Status.RESOLVED, 4_000, 1_000)
    assert refunded_at_stripe(paid_case) == 4_000
    assert settled.make_up.price_cents == 0
    assert ledger.credit_balance_cents(customer_id=paid_case.customer_id) == 1_000
    assert ledger.unbalanced_pickups() == {}


def test_a_refund_is_capped_by_what_is_left_to_refund(paid_case, staff_user):
    refunds.refund_payment(
        payment=Payment.objects.get(pickup=paid_case.pickup), amount_cents=10_000, reason="Earlier", by=staff_user
    )
    with pytest.raises(ValidationError, match=r"At most \$20.00 can be refunded"):
        settle(paid_case, staff_user, refund_cents=2_001)
    assert settle(paid_case, staff_user, refund_cents=2_000).refund_cents == 2_000
    assert refunded_at_stripe(paid_case) == 12_000
    assert ledger.unbalanced_pickups() == {}


def test_a_resolve_retried_after_its_refund_went_out_refunds_once(paid_case, staff_user):
    # the first attempt made the refund and died before closing the case
    refunds.refund_payment(
        payment=Payment.objects.get(pickup=paid_case.pickup), amount_cents=3_000, reason="Case", by=staff_user,
        token=uuid.uuid5(resolutions.REFUND_TOKENS, f"case:{paid_case.pk}"),
    )  # fmt: skip
    settle(paid_case, staff_user, refund_cents=3_000)
    assert Refund.objects.count() == 1 and refunded_at_stripe(paid_case) == 3_000


def test_two_staff_resolving_at_once_refund_once_and_one_is_told_it_is_settled(postgres, paid_case, staff_user):
    other = factories.UserFactory(is_staff=True)
    outcomes = at_once(
        lambda: settle(paid_case, staff_user, refund_cents=2_500).status,
        lambda: settle(paid_case, other, refund_cents=2_500).status,
    )
    assert sorted(map(str, outcomes))[0] == "Conflict('This case is already resolved.')"
    assert Case.Status.RESOLVED in outcomes
    assert Refund.objects.count() == 1 and refunded_at_stripe(paid_case) == 2_500
    assert ledger.unbalanced_pickups() == {}


def test_an_unpaid_visit_cannot_be_refunded_but_can_be_credited(stripe_on, customer, staff_user):
    first = hauler("Original Hauling", 8_500)
    pickup = factories.PickupFactory(
        customer=customer, location=customer.locations.get(), hauler=first, status=Pickup.Status.MISSED
    )
    case = Case.objects.create(
        customer=customer, pickup=pickup, hauler=first, problem=Case.Problem.MISSED, respond_by=timezone.now()
    )
    with pytest.raises(ValidationError, match="grant a credit instead"):
        settle(case, staff_user, refund_cents=100)
    assert settle(case, staff_user, credit_cents=1_000).status == Case.Status.RESOLVED
