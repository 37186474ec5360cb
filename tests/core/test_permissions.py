"""The role table's one reader: who may, who is refused and what they are told."""

import pytest

from core.errors import Forbidden
from core.permissions import may, membership_in, require
from tests import factories

pytestmark = pytest.mark.django_db


def seat(role, **fields):
    return factories.CustomerMembershipFactory(role=role, **fields)


def test_each_business_role_may_what_its_table_says():
    owner = seat("owner", customer__name="Cafe Uno")
    customer = owner.customer
    manager = seat("manager", customer=customer)
    member = seat("member", customer=customer)
    table = {
        "book": (True, True, True),
        "billing": (True, True, False),
        "company": (True, True, False),
        "sites": (True, True, False),
        "team": (True, True, False),
        "ownership": (True, False, False),
    }
    for action, expected in table.items():
        got = tuple(may(user=m.user, organisation=customer, action=action) for m in (owner, manager, member))
        assert got == expected, action


def test_each_hauler_role_may_what_its_table_says():
    owner = factories.HaulerMembershipFactory(role="owner")
    hauler = owner.hauler
    dispatcher = factories.HaulerMembershipFactory(hauler=hauler, role="dispatcher")
    driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver")
    table = {
        "day": (True, True, True),
        "offers": (True, True, False),
        "dispatch": (True, True, False),
        "fleet": (True, True, False),
        "see": (True, True, False),
        "commercial": (True, False, False),
        "company": (True, False, False),
        "payouts": (True, False, False),
        "team": (True, False, False),
    }
    for action, expected in table.items():
        got = tuple(may(user=m.user, organisation=hauler, action=action) for m in (owner, dispatcher, driver))
        assert got == expected, action


def test_a_refusal_names_the_roles_that_may_and_the_callers_own():
    member = seat("member", customer__name="Cafe Uno")
    with pytest.raises(Forbidden) as refused:
        require(user=member.user, organisation=member.customer, action="billing")
    assert str(refused.value) == (
        "Only an owner or a manager of Cafe Uno can replace the card or change billing. "
        "Your role at Cafe Uno is member."
    )


def test_a_seat_elsewhere_counts_for_nothing_here():
    mine = seat("owner", customer__name="Cafe Uno")
    elsewhere = seat("owner", customer__name="Rival Diner").customer
    assert membership_in(user=mine.user, organisation=elsewhere) is None
    assert not may(user=mine.user, organisation=elsewhere, action="book")
    with pytest.raises(Forbidden, match="Only an owner, a manager or a member of Rival Diner can book"):
        require(user=mine.user, organisation=elsewhere, action="book")


def test_the_platform_and_staff_outside_the_organisation_may():
    customer = seat("owner").customer
    staff = factories.UserFactory(is_staff=True)
    assert require(user=None, organisation=customer, action="ownership") is None
    assert may(user=staff, organisation=customer, action="billing")


def test_an_unknown_action_is_a_mistake_not_a_refusal():
    customer = seat("owner").customer
    with pytest.raises(ValueError, match="No permission rule 'fly'"):
        may(user=None, organisation=customer, action="fly")
