"""Saving a card against the Stripe stand-in, and when a business may book."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from billing import cards
from billing.models import BillingAccount
from marketplace import payments
from tests.services.billing_support import (
    DECLINED_AT_SAVE,
    DECLINES_ON_CHARGE,
    NEEDS_AUTHENTICATION,
    VISA,
    remote,
    save_card,
    scheduled_pickup,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_saved_card_is_kept_with_its_details_and_one_stripe_customer(stripe_on, customer):
    save_card(customer, VISA)
    account = save_card(customer, VISA, exp_year=2031)

    account.refresh_from_db()
    assert (account.card_brand, account.card_last4, account.card_exp_month, account.card_exp_year) == (
        "visa",
        "4242",
        12,
        2031,
    )
    assert account.stripe_customer_id.startswith("cus_")
    assert account.payment_method_id.startswith("pm_")
    assert account.setup_attempts == 2
    assert [c["id"] for c in remote("/v1/customers")["data"]] == [account.stripe_customer_id]
    method = remote(f"/v1/payment_methods/{account.payment_method_id}")
    assert (method["customer"], method["card"]["last4"]) == (account.stripe_customer_id, "4242")


@pytest.mark.parametrize(
    ("number", "message"),
    [(DECLINED_AT_SAVE, "declined"), (NEEDS_AUTHENTICATION, "confirm this card")],
    ids=["declined", "needs-authentication"],
)
def test_a_refused_card_is_not_saved(stripe_on, customer, number, message):
    with pytest.raises(ValidationError, match=message):
        save_card(customer, number)
    account = BillingAccount.objects.get(customer=customer)
    assert not account.has_card
    assert (account.card_brand, account.card_last4, account.card_exp_year) == ("", "", None)


def test_booking_needs_a_card_and_pauses_after_failures_until_a_new_card(stripe_on, customer, in_area_hauler):
    assert "Add a payment card" in cards.booking_block(customer=customer)
    save_card(customer, DECLINES_ON_CHARGE)  # saves fine; refused when charged
    assert cards.booking_block(customer=customer) is None

    failures = settings.PAYMENT_FAILURES_BEFORE_PAUSE
    for _ in range(failures):
        pickup = scheduled_pickup(customer, in_area_hauler, status="completed")
        payments.charge_pickup(pickup_id=pickup.pk)
    block = cards.booking_block(customer=customer)
    assert block.startswith(f"New bookings are paused: {failures} payments in a row failed")

    save_card(customer, VISA)
    assert cards.booking_block(customer=customer) is None
    account = BillingAccount.objects.get(customer=customer)
    assert (account.failed_payments, account.bookings_paused_at) == (0, None)
