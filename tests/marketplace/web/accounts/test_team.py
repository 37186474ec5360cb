"""The team page: owners invite and remove people; members see and leave; strangers see nothing."""

import pytest
from django.core import mail
from django.urls import reverse

from customers.models import BusinessRole, Membership
from tests import factories


@pytest.mark.django_db
def test_an_owner_invites_someone_and_the_invitation_is_emailed(
    owner_client, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("team"), {"kind": "business", "business-email": "New@Cafe.example", "business-role": "member"}
        )
    assert response.status_code == 302
    invitation = Membership.objects.get(email="new@cafe.example")
    assert (invitation.customer, invitation.role, invitation.user) == (customer, BusinessRole.MEMBER, None)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@cafe.example"]
    assert f"/invitations/{invitation.token}/" in mail.outbox[0].body
    page = owner_client.get(reverse("team")).content.decode()
    assert "new@cafe.example" in page and "Invited" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"business-email": "not-an-email", "business-role": "member"}, "valid email"),
        ({"business-email": "x@example.com", "business-role": "boss"}, "valid choice"),
    ],
)
def test_a_bad_invitation_says_what_is_wrong(owner_client, data, message):
    response = owner_client.post(reverse("team"), {"kind": "business", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_inviting_a_member_twice_is_refused(owner_client, customer_owner):
    response = owner_client.post(
        reverse("team"), {"kind": "business", "business-email": customer_owner.email, "business-role": "member"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


@pytest.mark.django_db
def test_a_member_cannot_invite_or_remove_others_but_can_leave(client, customer, customer_owner):
    seat = factories.CustomerMembershipFactory(customer=customer, role=BusinessRole.MEMBER)
    client.force_login(seat.user)
    assert "Send invitation" not in client.get(reverse("team")).content.decode()
    response = client.post(
        reverse("team"), {"kind": "business", "business-email": "a@b.example", "business-role": "member"}
    )
    assert response.status_code == 403
    owner_seat = customer_owner.customer_membership
    assert client.post(reverse("remove_member", args=["business", owner_seat.pk])).status_code == 403
    assert client.post(reverse("remove_member", args=["business", seat.pk])).status_code == 302
    assert not Membership.objects.filter(pk=seat.pk).exists()


@pytest.mark.django_db
def test_another_business_members_are_not_found(owner_client):
    stranger = factories.CustomerMembershipFactory()
    response = owner_client.post(reverse("remove_member", args=["business", stranger.pk]))
    assert response.status_code == 404
    assert Membership.objects.filter(pk=stranger.pk).exists()


@pytest.mark.django_db
def test_the_last_owner_is_told_they_cannot_leave(owner_client, customer_owner):
    response = owner_client.post(
        reverse("remove_member", args=["business", customer_owner.customer_membership.pk]), follow=True
    )
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(user=customer_owner).exists()


@pytest.mark.django_db
def test_the_team_page_needs_a_login(client):
    response = client.get(reverse("team"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
