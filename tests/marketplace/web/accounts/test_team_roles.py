"""The team page: the roles explained, a role changed, ownership handed on, each by whom the roles allow."""

import pytest
from django.urls import reverse

from customers.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe():
    owner = factories.CustomerMembershipFactory(customer__name="Cafe Uno", role="owner")
    manager = factories.CustomerMembershipFactory(customer=owner.customer, role="manager")
    member = factories.CustomerMembershipFactory(customer=owner.customer, role="member")
    return {"owner": owner, "manager": manager, "member": member}


def page_as(client, seat) -> str:
    client.force_login(seat.user)
    return client.get(reverse("team")).content.decode()


def role_url(seat) -> str:
    return reverse("change_role", args=["business", seat.pk])


def test_the_page_explains_each_role_in_a_sentence(client, cafe):
    page = page_as(client, cafe["member"])
    assert "<dt>Owner</dt><dd>Everything a manager can do, and makes or removes owners.</dd>" in page
    assert "<dt>Manager</dt><dd>Runs the account: the card and billing" in page
    assert "<dt>Member</dt><dd>Books pickups and sees the schedule" in page
    assert "You are member." in page
    assert "Send invitation" not in page and role_url(cafe["manager"]) not in page
    assert "Owners and managers invite people and change roles." in page


def test_a_manager_may_re_role_the_others_but_not_the_owner_and_offers_no_owner_role(client, cafe):
    page = page_as(client, cafe["manager"])
    assert role_url(cafe["member"]) in page and role_url(cafe["owner"]) not in page
    assert '<option value="owner"' not in page  # neither in the role selects nor in the invitation's
    assert "Make owner" not in page and "Send invitation" in page


def test_a_manager_makes_a_member_a_manager(client, cafe):
    client.force_login(cafe["manager"].user)
    response = client.post(role_url(cafe["member"]), {"role": "manager"}, follow=True)
    assert f"{cafe['member'].email} is now manager." in response.content.decode()
    assert Membership.objects.get(pk=cafe["member"].pk).role == "manager"


def test_a_manager_who_posts_an_owner_change_anyway_is_refused(client, cafe):
    client.force_login(cafe["manager"].user)
    assert client.post(role_url(cafe["owner"]), {"role": "member"}).status_code == 403
    assert client.post(role_url(cafe["member"]), {"role": "owner"}).status_code == 403
    assert client.post(reverse("remove_member", args=["business", cafe["owner"].pk])).status_code == 403
    assert Membership.objects.get(pk=cafe["owner"].pk).role == "owner"
    assert Membership.objects.get(pk=cafe["member"].pk).role == "member"


def test_a_member_who_posts_an_invitation_anyway_is_refused(client, cafe):
    client.force_login(cafe["member"].user)
    form = {"kind": "business", "business-email": "x@cafe.example", "business-role": "member"}
    response = client.post(reverse("team"), form)
    assert response.status_code == 403
    assert "Only an owner or a manager of Cafe Uno can invite people" in response.content.decode()
    assert not Membership.objects.filter(email="x@cafe.example").exists()


def test_the_owner_hands_ownership_on_from_the_page(client, cafe):
    page = page_as(client, cafe["owner"])
    transfer = reverse("transfer_ownership", args=["business", cafe["member"].pk])
    assert transfer in page and "they become the owner and you become a manager" in page
    response = client.post(transfer, follow=True)
    assert f"{cafe['member'].email} is the owner now; you are manager." in response.content.decode()
    roles = dict(Membership.objects.values_list("pk", "role"))
    assert (roles[cafe["member"].pk], roles[cafe["owner"].pk]) == ("owner", "manager")


def test_a_hauler_owner_sees_the_hauler_roles(client):
    owner = factories.HaulerMembershipFactory(hauler__name="Eastside Hauling", hauler__stops=0, role="owner")
    page = page_as(client, owner)
    assert "<dt>Dispatcher</dt><dd>Answers offers, plans the routes" in page
    assert "<dt>Driver</dt><dd>Works their own day" in page
    assert '<option value="driver" selected>Driver</option>' in page  # a new person drives unless said otherwise


def test_a_driver_starts_on_the_day_and_the_office_on_the_offers(client):
    owner = factories.HaulerMembershipFactory(hauler__name="Eastside Hauling", hauler__stops=0, role="owner")
    driver = factories.HaulerMembershipFactory(hauler=owner.hauler, role="driver")
    client.force_login(driver.user)
    assert client.get(reverse("start"))["Location"] == reverse("hauler_day")
    client.force_login(owner.user)
    assert client.get(reverse("start"))["Location"] == reverse("hauler_offers")


def test_a_member_invited_to_a_business_without_locations_starts_on_the_dashboard(client):
    owner = factories.CustomerMembershipFactory(customer__name="Cafe Uno", role="owner")
    member = factories.CustomerMembershipFactory(customer=owner.customer, role="member")
    client.force_login(member.user)
    assert client.get(reverse("start"))["Location"] == reverse("dashboard")  # onboarding is the owners' to do
    client.force_login(owner.user)
    assert client.get(reverse("start"))["Location"] == reverse("onboarding")
