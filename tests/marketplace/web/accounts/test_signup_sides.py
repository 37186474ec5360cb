"""Each side's signup asks only for its own fields: a business is never asked for a depot, an invitee for a company."""

import re

import pytest
from django.urls import reverse

from core.models import User
from customers.models import Customer
from customers.services import invite_member
from haulers.models import Hauler

PASSWORD = "a-long-and-unusual-passphrase"


def field_names(page: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([a-z_0-9]+)"', page))


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?as=business"])
def test_a_business_signup_has_no_depot_zip(client, query):
    page = client.get(reverse("account_signup") + query).content.decode()
    assert "Depot ZIP" not in page
    assert "depot_zip" not in field_names(page)
    assert {"company_name", "email", "password1", "password2", "phone"} <= field_names(page)
    assert "Sign up your business" in page
    assert 'href="/accounts/signup/?as=hauler"' in page  # the other side is one link away


@pytest.mark.django_db
def test_a_hauler_signup_asks_for_the_depot(client):
    page = client.get(reverse("account_signup") + "?as=hauler").content.decode()
    assert "depot_zip" in field_names(page)
    assert "Sign up your hauling company" in page


@pytest.mark.django_db
def test_a_hauler_signup_with_a_mistake_comes_back_as_a_hauler_signup(client):
    data = {"account_type": "hauler", "company_name": "Lone Star Hauling", "email": "x@lonestar.example"}
    page = client.post(reverse("account_signup"), {**data, "password1": PASSWORD, "password2": "other"})
    assert "depot_zip" in field_names(page.content.decode())
    assert not Hauler.objects.exists()


@pytest.mark.django_db
def test_a_business_signup_ignores_a_stray_depot_zip(client):
    data = {"account_type": "business", "company_name": "Corner Café", "email": "owner@corner.example"}
    response = client.post(
        reverse("account_signup"), {**data, "password1": PASSWORD, "password2": PASSWORD, "depot_zip": "00000"}
    )
    assert response.status_code == 302
    assert Customer.objects.filter(name="Corner Café").exists() and not Hauler.objects.exists()


@pytest.mark.django_db
def test_an_invited_person_is_asked_only_for_their_own_login(client, customer_owner, customer):
    invitation = invite_member(
        customer=customer, email="colleague@cafe.example", role="member", invited_by=customer_owner
    )
    page = client.get(f"{reverse('account_signup')}?invitation={invitation.token}").content.decode()
    assert not {"company_name", "phone", "depot_zip"} & field_names(page)
    assert "Join your team" in page
    response = client.post(
        reverse("account_signup"),
        {"email": "colleague@cafe.example", "password1": PASSWORD, "password2": PASSWORD,
         "invitation": invitation.token, "account_type": "business"},
    )  # fmt: skip
    assert response.status_code == 302
    assert User.objects.get(email="colleague@cafe.example").customer_membership.customer == customer
