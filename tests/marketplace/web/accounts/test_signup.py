"""Signing up as a business or a hauler, logging in, and invitations."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from core.models import User
from customers.models import BusinessRole, Customer
from customers.models import Membership as CustomerMembership
from haulers.models import Hauler
from tests import factories

PASSWORD = "a-long-and-unusual-passphrase"


def signup(client, **fields):
    data = {"email": "owner@cafe.example", "password1": PASSWORD, "password2": PASSWORD, **fields}
    return client.post(reverse("account_signup"), data)


@pytest.mark.django_db
def test_signup_as_a_business_creates_the_business_with_the_user_as_owner(client):
    response = signup(client, account_type="business", company_name="Congress Avenue Café", phone="512-555-0100")

    assert response.status_code == 302
    user = User.objects.get(email="owner@cafe.example")
    membership = user.customer_membership
    assert membership.customer.name == "Congress Avenue Café"
    assert membership.role == BusinessRole.OWNER
    assert membership.accepted_at is not None
    assert not Hauler.objects.exists()
    # development sends the verification email to the console backend
    assert any("owner@cafe.example" in message.to for message in mail.outbox)
    home = client.get(reverse("home"))
    assert "Congress Avenue Café" in home.content.decode()


@pytest.mark.django_db
def test_signup_as_a_hauler_creates_a_hauler_pending_verification(client):
    response = signup(client, account_type="hauler", company_name="Lone Star Hauling", depot_zip="78702")

    assert response.status_code == 302
    hauler = User.objects.get(email="owner@cafe.example").hauler_membership.hauler
    assert hauler.status == Hauler.Status.PENDING
    assert hauler.depot_zip == "78702"
    assert hauler.depot_latitude is not None
    assert not Customer.objects.exists()
    assert "pending verification" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"account_type": "business", "company_name": ""}, "company_name", "Enter your company"),
        ({"account_type": "hauler", "company_name": "X", "depot_zip": ""}, "depot_zip", "depot"),
        ({"account_type": "hauler", "company_name": "X", "depot_zip": "00000"}, "depot_zip", "could not find ZIP"),
        ({"account_type": "landlord", "company_name": "X"}, "account_type", "valid choice"),
        ({"account_type": "business", "company_name": "X", "password2": "different"}, "password2", "same password"),
        ({"account_type": "business", "company_name": "X", "email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_signup_with_bad_input_says_what_is_wrong_and_saves_nothing(client, fields, field, message):
    response = signup(client, **fields)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert not User.objects.exists()
    assert not Customer.objects.exists()
    assert not Hauler.objects.exists()


@pytest.mark.django_db
def test_signup_with_an_email_already_registered_is_refused(client):
    factories.UserFactory(email="owner@cafe.example")
    response = signup(client, account_type="business", company_name="Second Café")
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not Customer.objects.filter(name="Second Café").exists()


@pytest.mark.django_db
def test_login_with_email_and_password(client, customer_owner):
    EmailAddress.objects.create(user=customer_owner, email=customer_owner.email, verified=True, primary=True)
    response = client.post(
        reverse("account_login"), {"login": customer_owner.email, "password": factories.PASSWORD}, follow=True
    )
    assert response.status_code == 200
    assert response.context["user"] == customer_owner
    assert customer_owner.customer_membership.customer.name in response.content.decode()


@pytest.mark.django_db
def test_login_with_a_wrong_password_is_refused(client, customer_owner):
    response = client.post(reverse("account_login"), {"login": customer_owner.email, "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].non_field_errors()


@pytest.mark.django_db
def test_signup_and_login_pages_render(client):
    for name in ("account_signup", "account_login", "account_reset_password"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "HaulMatch" in response.content.decode()
    preset = client.get(reverse("account_signup") + "?as=hauler").content.decode()
    assert re.search(r'<input type="hidden" name="account_type" value="hauler"', preset)
    assert "Depot ZIP code" in preset


@pytest.mark.django_db
def test_password_reset_sends_a_link(client, customer_owner):
    mail.outbox.clear()
    response = client.post(reverse("account_reset_password"), {"email": customer_owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_logout(client, customer_owner):
    client.force_login(customer_owner)
    client.post(reverse("account_logout"))
    assert not client.get(reverse("home")).context["user"].is_authenticated


@pytest.mark.django_db
def test_an_invited_person_signs_up_into_the_inviting_business(client, customer_owner, customer):
    from customers.services import invite_member

    invitation = invite_member(
        customer=customer, email="Colleague@Cafe.example", role=BusinessRole.MEMBER, invited_by=customer_owner
    )
    page = client.get(reverse("invitation", args=[invitation.token]))
    assert page.status_code == 200
    assert customer.name in page.content.decode()

    response = signup(client, email="colleague@cafe.example", invitation=invitation.token, account_type="business")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.user.email == "colleague@cafe.example"
    assert invitation.role == BusinessRole.MEMBER
    assert Customer.objects.count() == 1  # joined, did not create another business


@pytest.mark.django_db
def test_an_invitation_cannot_be_used_by_another_address(client, customer_owner, customer):
    from customers.services import invite_member

    invitation = invite_member(
        customer=customer, email="colleague@cafe.example", role="member", invited_by=customer_owner
    )
    response = signup(client, email="intruder@example.com", invitation=invitation.token, account_type="business")
    assert response.status_code == 200
    assert "colleague@cafe.example" in " ".join(response.context["form"].errors["email"])
    assert not User.objects.filter(email="intruder@example.com").exists()


@pytest.mark.django_db
def test_a_signed_in_user_accepts_an_invitation(client, customer_owner, customer):
    from customers.services import invite_member

    colleague = factories.UserFactory(email="colleague@cafe.example")
    invitation = invite_member(customer=customer, email=colleague.email, role="member", invited_by=customer_owner)
    client.force_login(colleague)

    response = client.post(reverse("invitation", args=[invitation.token]))

    assert response.status_code == 302
    assert CustomerMembership.objects.get(user=colleague).customer == customer


@pytest.mark.django_db
def test_an_unknown_invitation_is_a_404(client):
    assert client.get(reverse("invitation", args=["nope"])).status_code == 404
