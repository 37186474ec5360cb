"""The hauler portal lets in a hauler's own people only: strangers log in, others are refused or see nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from haulers import services as hauler_services
from marketplace.models import Offer, Pickup
from tests import factories

PAGES = [
    "hauler_company",
    "hauler_credentials",
    "hauler_area",
    "hauler_rates",
    "hauler_offers",
    "hauler_offer_list",
    "hauler_jobs",
    "hauler_earnings",
]
ACTIONS = ["hauler_offer_accept", "hauler_offer_decline", "hauler_job_complete", "hauler_job_exception"]


@pytest.fixture
def member(in_area_hauler):
    return factories.HaulerMembershipFactory(hauler=in_area_hauler).user


@pytest.fixture
def other_member(db):
    return factories.HaulerMembershipFactory(hauler=factories.HaulerFactory(name="Elsewhere Hauling")).user


def make_pickup(location, *, hauler=None, status=Pickup.Status.OFFERED, days_ahead=3):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, service_date=timezone.localdate() + dt.timedelta(days=days_ahead),
        status=status, price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


def make_offer(pickup, hauler):
    return Offer.objects.create(
        pickup=pickup, hauler=hauler, payout_cents=8_500, answer_by=timezone.now() + dt.timedelta(hours=1)
    )


def action_url(name, *, offer, job):
    return reverse(name, args=[offer.pk if "offer" in name else job.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_member(client, member, name):
    client.force_login(member)
    response = client.get(reverse(name))
    assert response.status_code == 200
    if name != "hauler_offer_list":  # the polled fragment has no navigation
        assert 'aria-label="Hauler portal"' in response.content.decode()


@pytest.mark.django_db
def test_the_portal_is_in_the_site_navigation_for_hauler_people_only(client, member, customer_owner):
    client.force_login(member)
    assert client.get("/hauler/", follow=True).redirect_chain[-1][0] == reverse("hauler_offers")
    page = client.get(reverse("home")).content.decode()
    assert f'<a href="{reverse("hauler_offers")}">Offers</a>' in page
    assert f'<a href="{reverse("hauler_jobs")}">Jobs</a>' in page
    client.force_login(customer_owner)
    assert reverse("hauler_offers") not in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_sends_strangers_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_refuses_a_business(client, customer_owner, name):
    client.force_login(customer_owner)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_every_page_refuses_someone_in_no_organisation(client, name):
    client.force_login(factories.UserFactory())
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", ACTIONS)
def test_actions_send_strangers_to_log_in_and_refuse_a_business(client, customer_owner, location, in_area_hauler, name):
    pickup = make_pickup(location)
    url = action_url(name, offer=make_offer(pickup, in_area_hauler), job=pickup)
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(customer_owner)
    assert client.post(url).status_code == 403
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.OFFERED


@pytest.mark.django_db
def test_another_haulers_offers_and_jobs_are_not_found(client, other_member, location, in_area_hauler):
    client.force_login(other_member)
    offered = make_pickup(location)
    offer = make_offer(offered, in_area_hauler)
    job = make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, days_ahead=0)

    assert client.post(reverse("hauler_offer_accept", args=[offer.pk])).status_code == 404
    assert client.post(reverse("hauler_offer_decline", args=[offer.pk]), {"reason": "too_far"}).status_code == 404
    assert client.get(reverse("hauler_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("hauler_job_complete", args=[job.pk])).status_code == 404
    assert client.post(reverse("hauler_job_exception", args=[job.pk]), {"reason": "blocked"}).status_code == 404
    inbox = client.get(reverse("hauler_offers"))
    assert inbox.context["offers"] == [] and "No offers right now" in inbox.content.decode()

    offer.refresh_from_db()
    job.refresh_from_db()
    assert (offer.status, job.status) == (Offer.Status.PENDING, Pickup.Status.SCHEDULED)


@pytest.mark.django_db
def test_an_offered_pickup_is_not_a_job_until_accepted(client, member, location, in_area_hauler):
    client.force_login(member)
    pickup = make_pickup(location)
    make_offer(pickup, in_area_hauler)
    assert client.get(reverse("hauler_job", args=[pickup.pk])).status_code == 404


@pytest.mark.django_db
def test_a_credential_document_is_for_the_haulers_people_and_staff_only(
    client, member, other_member, customer_owner, staff_user, in_area_hauler
):
    credential = hauler_services.add_credential(
        by=None,
        hauler=in_area_hauler, kind="licence", number="TX-1", issuer="City of Austin",
        valid_from=dt.date(2025, 1, 1), expires_on=dt.date(2030, 1, 1),
        document=SimpleUploadedFile("licence.pdf", b"%PDF-1.4 the licence", content_type="application/pdf"),
    )  # fmt: skip
    url = reverse("hauler_credential_document", args=[credential.pk])

    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    for outsider in (other_member, customer_owner, factories.UserFactory()):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (member, staff_user):
        client.force_login(insider)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 the licence"
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"]
    # Nothing serves uploads at a public address.
    assert client.get(f"/media/{credential.document.name}").status_code == 404
