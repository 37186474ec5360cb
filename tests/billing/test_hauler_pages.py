"""A hauler's payouts: account status, what is not yet paid out, payout statements, and onboarding with Stripe."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing import payouts
from billing.models import Payout, PayoutAccount
from billing.stripe_gateway import GatewayError
from haulers.models import HaulerRole
from tests import factories
from tests.billing.support import completed_pickup, paid_payment, payout_for

pytestmark = pytest.mark.django_db

# The user with both seats and the hauler (the session comes from the cache), the two earnings aggregates and
# recent jobs, the payout account, unpaid payables and payouts: whatever the number of payouts.
EARNINGS_PAGE_QUERIES = 6


def _messages(response):
    return [message.message for message in get_messages(response.wsgi_request)]


@pytest.fixture
def paid_jobs(location, in_area_hauler):
    """Three jobs the customer paid for: $24.00, $36.00 and $48.00 earned."""
    return [
        paid_payment(
            completed_pickup(location=location, hauler=in_area_hauler, price_cents=c * 5, payout_cents=c * 4)
        ).pickup
        for c in (600, 900, 1_200)
    ]


def test_payouts_off_is_said_plainly(hauler_client):
    page = hauler_client.get(reverse("hauler_earnings")).content.decode()
    assert "Payouts are not set up on this installation." in page
    assert "Set up payouts" not in page


def test_earnings_show_payouts_and_what_is_not_yet_paid_out(hauler_client, in_area_hauler, paid_jobs, payments_on):
    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1", payouts_enabled=True)
    payout = payout_for(in_area_hauler, paid_jobs[:2])
    other = payout_for(factories.HaulerFactory(), [])

    page = hauler_client.get(reverse("hauler_earnings")).content.decode()

    assert "Payouts on" in page and "Set up payouts" not in page
    assert 'aria-label="Not yet paid out">$48.00<' in page
    assert reverse("payout_detail", args=[payout.pk]) in page and "$60.00" in page and "Paid" in page
    assert reverse("payout_detail", args=[other.pk]) not in page
    assert "Payouts: coming with Stripe Connect" not in page


@pytest.mark.parametrize(
    ("account", "shown", "button"),
    [
        (None, "None yet.", "Set up payouts"),
        ({"details_submitted": False}, "Onboarding incomplete", "Continue payout setup"),
        ({"details_submitted": True}, "Stripe is checking your details", "Continue payout setup"),
    ],
)
def test_earnings_show_the_payout_account_status(hauler_client, in_area_hauler, payments_on, account, shown, button):
    if account is not None:
        PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1", **account)

    page = hauler_client.get(reverse("hauler_earnings")).content.decode()

    assert shown in page
    assert f'<form method="post" action="{reverse("payout_connect")}">' in page and button in page
    assert "No payouts yet." in page


def test_a_dispatcher_sees_earnings_but_cannot_set_up_payouts(client, in_area_hauler, payments_on, monkeypatch):
    monkeypatch.setattr(payouts, "start_payout_onboarding", lambda **kwargs: pytest.fail("a member started it"))
    member = factories.HaulerMembershipFactory(hauler=in_area_hauler, role=HaulerRole.DISPATCHER).user
    client.force_login(member)

    page = client.get(reverse("hauler_earnings")).content.decode()
    assert f"An owner of {in_area_hauler.name} can set up payouts." in page
    assert reverse("payout_connect") not in page
    assert client.post(reverse("payout_connect")).status_code == 403


@pytest.mark.parametrize("count", [1, 5])
def test_earnings_queries_do_not_grow_with_payouts(
    hauler_client, location, in_area_hauler, payments_on, django_assert_num_queries, count
):
    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1", payouts_enabled=True)
    for _ in range(count):
        job = paid_payment(completed_pickup(location=location, hauler=in_area_hauler)).pickup
        payout_for(in_area_hauler, [job])
        paid_payment(completed_pickup(location=location, hauler=in_area_hauler))

    with django_assert_num_queries(EARNINGS_PAGE_QUERIES):
        response = hauler_client.get(reverse("hauler_earnings"))

    assert len(response.context["payouts"]) == count
    assert response.context["unpaid_cents"] == count * 2_400


def test_payout_statement_lists_each_job_it_paid(hauler_client, in_area_hauler, paid_jobs):
    payout = payout_for(in_area_hauler, paid_jobs)

    response = hauler_client.get(reverse("payout_detail", args=[payout.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"tr_test_{payout.pk}" in page and f"payout_{payout.pk}" in page
    for job in paid_jobs:
        assert reverse("hauler_job", args=[job.pk]) in page
        assert f"{job.service_date:%b %-d, %Y}" in page
    assert "78701" in page and "Trash, 1 \u00d7 96-gallon cart" in page
    assert "$24.00" in page and "$36.00" in page and "$48.00" in page
    assert response.context["total_cents"] == payout.amount_cents == 10_800
    assert "$108.00" in page


def test_a_failed_payout_is_shown_with_stripes_reason_and_its_jobs_are_owed_again(
    hauler_client, in_area_hauler, paid_jobs, payments_on
):
    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1", payouts_enabled=True)
    message = "Stripe refused the transfer: Your destination account needs the transfers capability."
    failed = payout_for(in_area_hauler, paid_jobs[:2], status=Payout.Status.FAILED, failure_message=message)

    page = hauler_client.get(reverse("hauler_earnings")).content.decode()

    assert '<span class="badge failed">Failed</span>' in page
    assert "Not sent: its jobs go in the next payout." in page
    assert reverse("payout_detail", args=[failed.pk]) in page
    assert hauler_client.get(reverse("hauler_earnings")).context["unpaid_cents"] == 10_800  # all three jobs

    response = hauler_client.get(reverse("payout_detail", args=[failed.pk]))

    page = response.content.decode()
    assert '<span class="badge failed">Failed</span>' in page
    assert "None: Stripe refused it" in page and "Not sent yet" not in page
    assert f"{message} Nothing was sent: these jobs are paid in your next payout" in page
    assert "We will send it again." not in page
    assert "Jobs (moved to your next payout)" in page
    assert reverse("hauler_job", args=[paid_jobs[0].pk]) in page and "$60.00" in page


def test_another_hauler_payout_is_not_found(hauler_client, location, paid_jobs):
    elsewhere = factories.HaulerFactory()
    theirs = payout_for(elsewhere, [paid_payment(completed_pickup(location=location, hauler=elsewhere)).pickup])
    assert hauler_client.get(reverse("payout_detail", args=[theirs.pk])).status_code == 404
    assert hauler_client.get(reverse("payout_detail", args=[theirs.pk + 100])).status_code == 404


def test_payout_pages_are_for_haulers(client, customer_owner, in_area_hauler, paid_jobs):
    payout = payout_for(in_area_hauler, paid_jobs)
    client.force_login(customer_owner)
    assert client.get(reverse("payout_detail", args=[payout.pk])).status_code == 403
    assert client.post(reverse("payout_connect")).status_code == 403


# --- Onboarding ------------------------------------------------------------------------------------------


def test_connect_sends_the_owner_to_stripe_with_absolute_return_links(
    hauler_client, hauler_owner, in_area_hauler, payments_on, monkeypatch
):
    calls = []

    def start(**kwargs):
        calls.append(kwargs)
        return "https://connect.stripe.com/setup/e/acct_1/abc"

    monkeypatch.setattr(payouts, "start_payout_onboarding", start)

    response = hauler_client.post(reverse("payout_connect"))

    assert response["Location"] == "https://connect.stripe.com/setup/e/acct_1/abc"
    assert calls == [
        {
            "hauler": in_area_hauler,
            "by": hauler_owner,
            "email": hauler_owner.email,
            "refresh_url": "http://testserver/billing/payouts/connect/",
            "return_url": "http://testserver/billing/payouts/return/",
        }
    ]


def test_an_expired_onboarding_link_leads_back_to_a_fresh_one(hauler_client, payments_on):
    page = hauler_client.get(reverse("payout_connect")).content.decode()
    assert f'<form method="post" action="{reverse("payout_connect")}">' in page
    assert "Continue to Stripe" in page


def test_connect_when_payouts_are_off_or_stripe_fails_is_a_message(hauler_client, settings, monkeypatch):
    response = hauler_client.post(reverse("payout_connect"))
    assert response["Location"] == reverse("hauler_earnings")
    assert _messages(response) == ["Payouts are not set up on this installation."]

    settings.STRIPE_SECRET_KEY = "sk_test_x"

    def unreachable(**kwargs):
        raise GatewayError("Stripe could not be reached; it will be tried again.")

    monkeypatch.setattr(payouts, "start_payout_onboarding", unreachable)
    response = hauler_client.post(reverse("payout_connect"))
    assert response["Location"] == reverse("hauler_earnings")
    assert (
        _messages(response)[-1] == "Payout setup could not start: Stripe could not be reached; it will be tried again."
    )


@pytest.mark.parametrize(
    ("remote", "level", "shown"),
    [
        ({"details_submitted": True, "payouts_enabled": True}, "success", "Payouts are on"),
        ({"details_submitted": True, "payouts_enabled": False}, "info", "Stripe is checking your details"),
        ({"details_submitted": False, "payouts_enabled": False}, "warning", "not finished yet"),
    ],
)
def test_return_from_onboarding_refreshes_the_account(
    hauler_client, in_area_hauler, payments_on, monkeypatch, remote, level, shown
):
    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1")

    def refresh(*, stripe_account_id):
        PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).update(**remote)
        return PayoutAccount.objects.get(stripe_account_id=stripe_account_id)

    monkeypatch.setattr(payouts, "refresh_payout_account", refresh)

    response = hauler_client.get(reverse("payout_return"))

    assert response["Location"] == reverse("hauler_earnings")
    [message] = get_messages(response.wsgi_request)
    assert message.level_tag == level and shown in message.message
    assert PayoutAccount.objects.get().payouts_enabled is remote["payouts_enabled"]


def test_return_without_an_account_or_with_stripe_down_is_a_message(
    hauler_client, in_area_hauler, payments_on, monkeypatch
):
    assert _messages(hauler_client.get(reverse("payout_return"))) == ["Payout setup has not started yet."]

    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1")

    def unreachable(**kwargs):
        raise GatewayError("Stripe could not be reached; it will be tried again.")

    monkeypatch.setattr(payouts, "refresh_payout_account", unreachable)
    response = hauler_client.get(reverse("payout_return"))
    assert response["Location"] == reverse("hauler_earnings")
    assert "Could not check your payout account with Stripe" in _messages(response)[-1]


def test_a_pending_payout_says_it_is_not_sent_yet(hauler_client, in_area_hauler, paid_jobs):
    payout = payout_for(in_area_hauler, paid_jobs[:1], status=Payout.Status.PENDING)
    page = hauler_client.get(reverse("payout_detail", args=[payout.pk])).content.decode()
    assert "Sending" in page and "Not sent yet" in page
