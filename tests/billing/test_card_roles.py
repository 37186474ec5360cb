"""The business's card is its owners' and managers' to replace: the probe that found a member doing it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import cards
from billing import stripe_gateway as gateway
from billing.models import BillingAccount
from core.errors import Forbidden
from tests import factories

pytestmark = pytest.mark.django_db
CARD = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": "", "cvc": "123"}


@pytest.fixture
def stand_in(monkeypatch, test_cards_on):
    """The Stripe calls of saving a test card, answered here (nothing leaves the test)."""
    monkeypatch.setattr(gateway, "create_customer", lambda **kwargs: "cus_1")
    monkeypatch.setattr(gateway, "create_setup_intent", lambda **kwargs: ("seti_1", "seti_1_secret"))
    monkeypatch.setattr(gateway, "confirm_setup_intent_with_test_card", lambda **kwargs: None)
    card = gateway.Card(payment_method_id="pm_1", brand="visa", last4="4242", exp_month=12, exp_year=2031)
    monkeypatch.setattr(gateway, "saved_card", lambda **kwargs: card)


def card_form():
    return {**CARD, "exp_year": str(timezone.localdate().year + 2)}


@pytest.fixture
def seats():
    owner = factories.CustomerMembershipFactory(customer__name="Cafe Uno", role="owner")
    return {
        role: factories.CustomerMembershipFactory(customer=owner.customer, role=role).user
        for role in ("manager", "member")
    } | {"owner": owner.user, "customer": owner.customer}


def test_a_member_cannot_replace_the_card(client, seats, stand_in):
    client.force_login(seats["member"])
    assert client.get(reverse("billing_card")).status_code == 403
    response = client.post(reverse("billing_card"), card_form())
    assert response.status_code == 403
    assert "Only an owner or a manager of Cafe Uno can replace the card" in response.content.decode()
    assert not BillingAccount.objects.filter(payment_method_id="pm_1").exists()


def test_the_card_service_refuses_a_member_whatever_calls_it(seats, stand_in):
    for save in (
        lambda: cards.save_test_card(
            customer=seats["customer"], by=seats["member"], number="4242424242424242", exp_month=12,
            exp_year=2031, cvc="123",
        ),
        lambda: cards.save_card(customer=seats["customer"], setup_intent_id="seti_1", by=seats["member"]),
        lambda: cards.start_card_setup(customer=seats["customer"], by=seats["member"]),
    ):  # fmt: skip
        with pytest.raises(Forbidden):
            save()
    assert not BillingAccount.objects.exists()  # refused before the Stripe customer is even made


def test_a_manager_replaces_the_card(client, seats, stand_in):
    client.force_login(seats["manager"])
    response = client.post(reverse("billing_card"), card_form())
    assert response["Location"] == reverse("billing")
    account = BillingAccount.objects.get(customer=seats["customer"])
    assert (account.payment_method_id, account.card_last4) == ("pm_1", "4242")


def test_a_member_sees_billing_but_not_the_way_to_change_the_card(client, seats, payments_on):
    client.force_login(seats["member"])
    page = client.get(reverse("billing")).content.decode()
    assert reverse("billing_card") not in page
    assert "Your business's owners and managers change the card." in page
    client.force_login(seats["manager"])
    assert f'href="{reverse("billing_card")}"' in client.get(reverse("billing")).content.decode()
