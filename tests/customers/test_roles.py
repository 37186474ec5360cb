"""A business's roles hold in its services and on its pages: members book and see, managers run the account
(billing, details, locations, team) but never its owners, owners hand ownership on."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.errors import Forbidden
from customers import services
from customers.models import Customer
from customers.models import Membership as CustomerMembership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe():
    owner = factories.CustomerMembershipFactory(customer__name="Cafe Uno", role="owner")
    customer = owner.customer
    factories.LocationFactory(customer=customer)
    return {
        "customer": customer,
        "owner": owner,
        "manager": factories.CustomerMembershipFactory(customer=customer, role="manager"),
        "member": factories.CustomerMembershipFactory(customer=customer, role="member"),
    }


def signed_in(client, seat):
    client.force_login(seat.user)
    return client


# --- The probe: a member who is not an owner renamed the business and replaced its card --------------------------


def test_a_member_cannot_rename_the_business(client, cafe):
    response = signed_in(client, cafe["member"]).post(reverse("company"), {"name": "Renamed", "phone": ""})
    assert response.status_code == 403
    assert "Only an owner or a manager of Cafe Uno can change the business" in response.content.decode()
    assert Customer.objects.get().name == "Cafe Uno"
    with pytest.raises(Forbidden):
        services.update_company(customer=cafe["customer"], by=cafe["member"].user, name="Renamed")
    assert Customer.objects.get().name == "Cafe Uno"


def test_a_member_reads_the_business_details_without_a_save_button(client, cafe):
    page = signed_in(client, cafe["member"]).get(reverse("company")).content.decode()
    assert "Only the business's owners and managers can change these details." in page
    assert "disabled" in page and ">Save</button>" not in page


def test_a_manager_renames_the_business(client, cafe):
    response = signed_in(client, cafe["manager"]).post(reverse("company"), {"name": "Cafe Dos", "phone": ""})
    assert response["Location"] == reverse("company")
    assert Customer.objects.get().name == "Cafe Dos"


def test_a_member_cannot_add_change_or_archive_a_location(client, cafe):
    location = cafe["customer"].locations.get()
    member = cafe["member"].user
    with pytest.raises(Forbidden):
        services.add_location(
            customer=cafe["customer"], by=member, name="Annex", street="1 Main St", city="Austin", state="TX",
            zip_code="78701",
        )  # fmt: skip
    with pytest.raises(Forbidden):
        services.update_location(location=location, by=member, name="Renamed")
    with pytest.raises(Forbidden):
        services.archive_location(location=location, by=member)
    signed_in(client, cafe["member"])
    assert client.post(reverse("location_archive", args=[location.pk])).status_code == 403
    page = client.get(reverse("location_list")).content.decode()
    assert "Add a location" not in page and "Archive" not in page
    location.refresh_from_db()
    assert location.archived_at is None and cafe["customer"].locations.count() == 1


def test_a_manager_adds_a_location(cafe):
    services.add_location(
        customer=cafe["customer"], by=cafe["manager"].user, name="Annex", street="1 Main St", city="Austin",
        state="TX", zip_code="78701",
    )  # fmt: skip
    assert cafe["customer"].locations.count() == 2


# --- The team: managers run it, owners alone make and unmake owners ------------------------------------------------


def test_a_member_cannot_invite(cafe):
    with pytest.raises(Forbidden, match="invite people"):
        services.invite_member(
            customer=cafe["customer"], email="x@cafe.example", role="member", invited_by=cafe["member"].user
        )
    assert not CustomerMembership.objects.filter(email="x@cafe.example").exists()


def test_a_manager_invites_members_and_managers_but_not_owners(cafe):
    manager = cafe["manager"].user
    services.invite_member(customer=cafe["customer"], email="a@cafe.example", role="member", invited_by=manager)
    services.invite_member(customer=cafe["customer"], email="b@cafe.example", role="manager", invited_by=manager)
    with pytest.raises(Forbidden, match="make someone an owner"):
        services.invite_member(customer=cafe["customer"], email="c@cafe.example", role="owner", invited_by=manager)
    assert sorted(CustomerMembership.objects.filter(user=None).values_list("email", "role")) == [
        ("a@cafe.example", "member"),
        ("b@cafe.example", "manager"),
    ]


def test_a_manager_changes_roles_but_cannot_make_remove_or_demote_an_owner(cafe):
    manager = cafe["manager"].user
    services.change_role(membership=cafe["member"], role="manager", by=manager)
    assert CustomerMembership.objects.get(pk=cafe["member"].pk).role == "manager"
    with pytest.raises(Forbidden):
        services.change_role(membership=cafe["member"], role="owner", by=manager)
    with pytest.raises(Forbidden):
        services.change_role(membership=cafe["owner"], role="member", by=manager)
    with pytest.raises(Forbidden):
        services.remove_member(membership=cafe["owner"], by=manager)
    with pytest.raises(Forbidden):
        services.change_role(membership=cafe["manager"], role="owner", by=manager)  # nor make themselves one
    assert CustomerMembership.objects.get(pk=cafe["owner"].pk).role == "owner"
    assert CustomerMembership.objects.get(pk=cafe["manager"].pk).role == "manager"


def test_a_manager_removes_a_member_and_a_member_may_leave(cafe):
    extra = factories.CustomerMembershipFactory(customer=cafe["customer"], role="member")
    services.remove_member(membership=extra, by=cafe["manager"].user)
    with pytest.raises(Forbidden):
        services.remove_member(membership=cafe["manager"], by=cafe["member"].user)
    services.remove_member(membership=cafe["member"], by=cafe["member"].user)  # leaving is always allowed
    assert set(cafe["customer"].memberships.values_list("role", flat=True)) == {"owner", "manager"}


def test_the_last_owner_can_be_neither_demoted_nor_removed(cafe):
    owner = cafe["owner"]
    with pytest.raises(ValidationError, match="at least one owner"):
        services.change_role(membership=owner, role="manager", by=owner.user)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.remove_member(membership=owner, by=owner.user)
    services.change_role(membership=cafe["manager"], role="owner", by=owner.user)
    services.change_role(membership=owner, role="manager", by=owner.user)  # now someone else owns it
    assert CustomerMembership.objects.get(pk=owner.pk).role == "manager"


def test_an_owner_hands_ownership_on_and_becomes_a_manager(cafe):
    services.transfer_ownership(membership=cafe["member"], by=cafe["owner"].user)
    roles = dict(cafe["customer"].memberships.values_list("pk", "role"))
    assert roles[cafe["member"].pk] == "owner" and roles[cafe["owner"].pk] == "manager"


def test_only_an_owner_hands_ownership_on_and_only_to_someone_who_joined(cafe):
    with pytest.raises(Forbidden):
        services.transfer_ownership(membership=cafe["member"], by=cafe["manager"].user)
    invitation = services.invite_member(
        customer=cafe["customer"], email="new@cafe.example", role="member", invited_by=cafe["owner"].user
    )
    with pytest.raises(ValidationError, match="has not accepted"):
        services.transfer_ownership(membership=invitation, by=cafe["owner"].user)
    assert cafe["customer"].memberships.get(role="owner") == cafe["owner"]


def test_ownership_handed_to_someone_who_left_meanwhile_leaves_the_giver_the_owner(cafe):
    target = cafe["member"]  # read by the page, then the member leaves before the owner's form arrives
    CustomerMembership.objects.filter(pk=target.pk).delete()

    with pytest.raises(ValidationError, match="no longer a member"):
        services.transfer_ownership(membership=target, by=cafe["owner"].user)

    assert list(cafe["customer"].memberships.filter(role="owner")) == [cafe["owner"]]


def test_a_manager_cannot_demote_a_seat_made_owner_after_they_read_it(cafe):
    seat = cafe["member"]
    as_the_manager_read_it = CustomerMembership.objects.get(pk=seat.pk)  # a member, on the manager's page ...
    services.change_role(membership=seat, role="owner", by=cafe["owner"].user)  # ... whom the owner then promotes

    with pytest.raises(Forbidden):
        services.change_role(membership=as_the_manager_read_it, role="manager", by=cafe["manager"].user)

    assert CustomerMembership.objects.get(pk=seat.pk).role == "owner"
