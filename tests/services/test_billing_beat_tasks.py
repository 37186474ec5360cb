"""The beat's billing sweeps queue one task per item and, run through Celery (eagerly here), finish the work."""

import pytest

from billing import tasks as billing_tasks
from billing.models import Payment, Payout
from marketplace import tasks as market_tasks
from tests import factories
from tests.services.billing_support import DECLINES_ON_CHARGE, VISA, complete, onboard, save_card, scheduled_pickup

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_the_weekly_run_pays_each_payable_hauler_through_its_own_task(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    other = factories.HaulerFactory(name="Second Hauler")
    save_card(customer)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    complete(run_on_commit, scheduled_pickup(customer, other, price=5_000, payout=4_000))
    onboard(in_area_hauler)
    onboard(other)

    assert billing_tasks.run_payouts() == 2

    assert sorted(Payout.objects.values_list("hauler__name", "status", "amount_cents")) == sorted(
        [(in_area_hauler.name, Payout.Status.PAID, 2_400), ("Second Hauler", Payout.Status.PAID, 4_000)]
    )
    assert billing_tasks.run_payouts() == 2  # both still payable; nothing new to pay
    assert Payout.objects.count() == 2


def test_the_retry_sweep_tries_each_due_payment_in_its_own_task(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer, DECLINES_ON_CHARGE)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler))
    payment = Payment.objects.get(pickup=pickup)
    assert payment.status == Payment.Status.FAILED

    assert run_on_commit(market_tasks.retry_payments) == 0  # the next try is a day away
    save_card(customer, VISA)  # a new card makes it due now
    assert run_on_commit(market_tasks.retry_payments) == 1

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
