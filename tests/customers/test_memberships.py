"""Who belongs where: one business and one hauler per person at most; invitations; owners."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from customers import services as customers
from customers.models import BusinessRole, Membership
from haulers import services as haulers
from tests import factories


@pytest.mark.django_db
def test_a_person_can_own_one_business_and_be_in_one_hauler(customer_owner):
    hauler = haulers.register_hauler(owner=customer_owner, name="Side Hustle Hauling", depot_zip="78702")
    assert customer_owner.hauler_membership.hauler == hauler
    assert customer_owner.customer_membership.customer.name


@pytest.mark.django_db
def test_a_person_cannot_own_two_businesses(customer_owner):
    with pytest.raises(ValidationError, match="already belongs to a customer"):
        customers.create_customer(owner=customer_owner, name="Second Business")


@pytest.mark.django_db
def test_the_database_refuses_a_second_business_membership(customer_owner):
    other = factories.CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(
            customer=other, user=customer_owner, email=customer_owner.email, role=BusinessRole.MEMBER
        )


@pytest.mark.django_db
def test_inviting_the_same_address_twice_is_refused(customer_owner, customer):
    customers.invite_member(customer=customer, email="new@cafe.example", role="member", invited_by=customer_owner)
    with pytest.raises(ValidationError) as raised:
        customers.invite_member(customer=customer, email="NEW@cafe.example", role="owner", invited_by=customer_owner)
    assert "already" in raised.value.message_dict["email"][0]


@pytest.mark.django_db
def test_an_invitation_needs_a_known_role(customer_owner, customer):
    with pytest.raises(ValidationError) as raised:
        customers.invite_member(customer=customer, email="x@cafe.example", role="boss", invited_by=customer_owner)
    assert "role" in raised.value.message_dict


@pytest.mark.django_db
def test_a_member_of_another_business_cannot_accept(customer_owner, customer):
    elsewhere = factories.CustomerMembershipFactory(user__email="busy@example.com").user
    invitation = customers.invite_member(customer=customer, email=elsewhere.email, role="member", invited_by=None)
    with pytest.raises(ValidationError, match="already belong"):
        customers.accept_invitation(token=invitation.token, user=elsewhere)
    invitation.refresh_from_db()
    assert invitation.user is None


@pytest.mark.django_db
def test_accepting_twice_is_harmless(customer):
    colleague = factories.UserFactory(email="twice@example.com")
    invitation = customers.invite_member(customer=customer, email=colleague.email, role="member", invited_by=None)
    first = customers.accept_invitation(token=invitation.token, user=colleague)
    second = customers.accept_invitation(token=invitation.token, user=colleague)
    assert first.pk == second.pk
    assert Membership.objects.filter(user=colleague).count() == 1


@pytest.mark.django_db
def test_the_last_owner_cannot_be_removed_but_a_member_can(customer_owner, customer):
    owner_seat = customer_owner.customer_membership
    with pytest.raises(ValidationError, match="at least one owner"):
        customers.remove_member(membership=owner_seat, by=None)

    member = factories.CustomerMembershipFactory(customer=customer, role=BusinessRole.MEMBER)
    customers.remove_member(membership=member, by=None)
    assert not Membership.objects.filter(pk=member.pk).exists()

    second_owner = factories.CustomerMembershipFactory(customer=customer, role=BusinessRole.OWNER)
    customers.remove_member(membership=owner_seat, by=None)
    assert list(customer.memberships.all()) == [second_owner]


@pytest.mark.django_db
def test_hauler_invitations_work_the_same_way():
    owner = factories.UserFactory()
    hauler = haulers.register_hauler(owner=owner, name="Eastside Haul", depot_zip="78702")
    driver = factories.UserFactory(email="driver@eastside.example")
    invitation = haulers.invite_member(hauler=hauler, email=driver.email, role="driver", invited_by=owner)
    haulers.accept_invitation(token=invitation.token, user=driver)
    assert driver.hauler_membership.hauler == hauler
    with pytest.raises(ValidationError):
        haulers.remove_member(membership=owner.hauler_membership, by=None)
