"""The gateway's own rules: when the server-side test-card path is allowed, and how the client is set up."""

import pytest

from billing import cards, stripe_gateway
from core.errors import Conflict
from tests import factories


@pytest.mark.parametrize(
    ("key", "base", "production", "allowed"),
    [
        ("sk_test_x", "http://127.0.0.1:8420", False, True),
        ("sk_test_x", "http://localhost:8420", False, True),
        ("sk_test_x", "", False, False),  # Stripe itself: card numbers must go through Stripe.js
        ("sk_test_x", "https://stripe.example.com", False, False),  # anything but this machine
        ("sk_live_x", "http://127.0.0.1:8420", False, False),
        ("", "http://127.0.0.1:8420", False, False),
        ("sk_test_x", "http://127.0.0.1:8420", True, False),  # never in production
    ],
)
def test_the_test_card_path_is_allowed_only_against_a_local_stand_in(settings, key, base, production, allowed):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.PRODUCTION = key, base, production
    assert stripe_gateway.test_cards_allowed() is allowed


@pytest.mark.django_db
def test_a_test_card_is_refused_before_anything_reaches_stripe_when_not_allowed(settings):
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_live_x", ""
    customer = factories.CustomerFactory()
    with pytest.raises(Conflict, match="never sent through this server"):
        cards.save_test_card(
            by=None, customer=customer, number="4242424242424242", exp_month=12, exp_year=2030, cvc="1"
        )
    assert not hasattr(customer, "billing") or not customer.billing.stripe_customer_id
    with pytest.raises(stripe_gateway.GatewayError):
        stripe_gateway.confirm_setup_intent_with_test_card(
            setup_intent_id="seti_x", number="4242424242424242", exp_month=12, exp_year=2030, cvc="1"
        )


def test_with_payments_off_every_call_fails_with_a_plain_message(settings):
    settings.STRIPE_SECRET_KEY = ""
    assert not stripe_gateway.configured()
    with pytest.raises(stripe_gateway.GatewayError, match="not set up"):
        stripe_gateway.retrieve_charge("pi_x")
