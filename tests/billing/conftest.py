"""Billing page fixtures: a signed-in hauler owner, and payments switched on or off."""

import pytest

from tests import factories


@pytest.fixture
def hauler_owner(in_area_hauler):
    return factories.HaulerMembershipFactory(hauler=in_area_hauler).user


@pytest.fixture
def hauler_client(client, hauler_owner):
    client.force_login(hauler_owner)
    return client


@pytest.fixture
def payments_on(settings):
    """A Stripe key as in production: payments on, no test-card form (nothing here reaches Stripe)."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"
    settings.STRIPE_API_BASE = ""


@pytest.fixture
def test_cards_on(settings):
    """Pointed at a local Stripe stand-in: the server-side test-card form is allowed."""
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:8420"
