"""`manage.py reconcile` against the Stripe stand-in: silent when the books and Stripe agree, loud when not."""

import pytest
from django.core.management import CommandError, call_command

from billing import payouts, reconcile, refunds
from billing.models import Payment, Payout
from tests.services.billing_support import complete, onboard, save_card, scheduled_pickup

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def books(stripe_on, customer, in_area_hauler, staff_user, run_on_commit):
    """A paid pickup with a partial refund, its hauler paid out."""
    save_card(customer)
    onboard(in_area_hauler)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=10_200, payout=8_500))
    payment = Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)
    refunds.refund_payment(payment=payment, amount_cents=1_500, reason="Late arrival", by=staff_user)
    [payout] = payouts.run_payouts()
    return payment, payout


def test_nothing_is_reported_when_the_ledger_and_stripe_agree(books, capsys):
    assert reconcile.differences() == []
    call_command("reconcile")
    assert "The ledger and Stripe agree." in capsys.readouterr().out


def test_a_payment_changed_behind_the_ledgers_back_is_reported(books):
    payment, _ = books
    Payment.objects.filter(pk=payment.pk).update(amount_cents=9_000)

    found = reconcile.differences()

    assert found
    assert all(f"Payment {payment.pk}" in line for line in found)
    assert any("Stripe charged 10200 cents, we recorded 9000" in line for line in found)
    with pytest.raises(CommandError, match=r"difference\(s\) between the ledger and Stripe"):
        call_command("reconcile")


def test_a_payout_changed_behind_the_ledgers_back_is_reported(books):
    _, payout = books
    Payout.objects.filter(pk=payout.pk).update(amount_cents=payout.amount_cents + 1)

    found = reconcile.differences()

    assert any(f"Payout {payout.pk}" in line and "Stripe transferred 8500 cents" in line for line in found)
