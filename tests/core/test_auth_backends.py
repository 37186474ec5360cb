"""A signed-in page's user arrives with both seats and their organisations in one query; sessions signed in by
Django's or allauth's own backends (before this one) stay signed in."""

import pytest
from django.test import Client

from core.auth_backends import ModelBackend
from tests import factories


@pytest.mark.django_db
def test_the_user_comes_with_seats_and_organisations_in_one_query(customer_owner, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(str(customer_owner.pk))
        assert user.customer_membership.customer.name
        assert getattr(user, "hauler_membership", None) is None


@pytest.mark.django_db
def test_an_inactive_or_unknown_user_is_nobody(customer_owner):
    assert ModelBackend().get_user("999999999") is None
    assert ModelBackend().get_user("not a number") is None
    customer_owner.is_active = False
    customer_owner.save(update_fields=["is_active"])
    assert ModelBackend().get_user(str(customer_owner.pk)) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "backend", ["django.contrib.auth.backends.ModelBackend", "allauth.account.auth_backends.AuthenticationBackend"]
)
def test_a_session_signed_in_by_the_old_backends_stays_signed_in(customer_owner, backend):
    client = Client()
    client.force_login(customer_owner, backend=backend)
    assert client.get("/dashboard/").status_code == 200


@pytest.mark.django_db
def test_a_hauler_page_gets_the_hauler_seat_the_same_way(django_assert_max_num_queries):
    seat = factories.HaulerMembershipFactory()
    with django_assert_max_num_queries(1):
        user = ModelBackend().get_user(seat.user_id)
        assert user.hauler_membership.hauler.name == seat.hauler.name
