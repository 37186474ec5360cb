"""Money moved once against the Stripe stand-in when an outcome is lost and the retry comes after Stripe forgot its key.

Stripe keeps an idempotency key for a day; changing STRIPE_IDEMPOTENCY_PREFIX between the lost request and the retry
is how these tests make the stand-in forget it.
"""

import pytest

from billing import ledger
from billing import services as billing
from billing import stripe_gateway as gateway
from billing.models import Payout
from tests.services.billing_support import complete, onboard, remote, save_card, scheduled_pickup

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_pending_payout_whose_transfer_was_made_is_not_sent_again_after_stripe_forgot_the_key(
    stripe_on, settings, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    onboard(in_area_hauler)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    destination = in_area_hauler.payout_account.stripe_account_id
    sent = []
    real_transfer = gateway.transfer

    def transfer_then_crash(**kwargs):
        sent.append(real_transfer(**kwargs))
        raise gateway.StripeUnreachable("Stripe could not be reached; it will be tried again.")

    gateway.transfer = transfer_then_crash
    try:
        with pytest.raises(gateway.GatewayError):
            billing.pay_hauler(hauler=in_area_hauler)
    finally:
        gateway.transfer = real_transfer
    [payout] = Payout.objects.filter(hauler=in_area_hauler)
    assert payout.status == Payout.Status.PENDING and len(sent) == 1
    settings.STRIPE_IDEMPOTENCY_PREFIX = "a-week-later:"

    billing.run_payouts()

    payout.refresh_from_db()
    assert (payout.status, payout.stripe_transfer_id) == (Payout.Status.PAID, sent[0])
    assert [t["id"] for t in remote("/v1/transfers", destination=destination)["data"]] == [sent[0]]
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {}
