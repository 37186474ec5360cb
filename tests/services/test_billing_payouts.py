"""Hauler payouts against the Stripe stand-in's Connect fake: onboarding, one transfer per run, nothing twice."""

import pytest
from django.conf import settings

from billing import ledger
from billing import services as billing
from billing.models import LedgerEntry, Payout, PayoutAccount
from tests import factories
from tests.services.billing_support import (
    complete,
    kind_totals,
    onboard,
    open_without_redirect,
    remote,
    save_card,
    scheduled_pickup,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db]

REFRESH = "http://testserver/billing/payouts/connect/"
RETURN = "http://testserver/billing/payouts/return/"


def start(hauler) -> str:
    return billing.start_payout_onboarding(
        hauler=hauler, email="owner@hauler.example", refresh_url=REFRESH, return_url=RETURN
    )


def test_onboarding_goes_through_the_hosted_page_and_turns_payouts_on(stripe_on, in_area_hauler):
    url = start(in_area_hauler)
    account = in_area_hauler.payout_account
    assert url.startswith(f"{settings.STRIPE_API_BASE}/connect/onboard/{account.stripe_account_id}?")
    remote_account = remote(f"/v1/accounts/{account.stripe_account_id}")
    assert (remote_account["type"], remote_account["country"], remote_account["email"]) == (
        "express",
        "US",
        "owner@hauler.example",
    )
    assert remote_account["metadata"] == {"hauler": str(in_area_hauler.pk)}
    billing.refresh_payout_account(stripe_account_id=account.stripe_account_id)
    account.refresh_from_db()
    assert (account.details_submitted, account.payouts_enabled) == (False, False)

    assert open_without_redirect(url) == (302, RETURN)
    billing.refresh_payout_account(stripe_account_id=account.stripe_account_id)
    account.refresh_from_db()
    assert (account.details_submitted, account.payouts_enabled) == (True, True)


def test_a_used_link_sends_the_hauler_to_refresh_where_a_new_link_works(stripe_on, in_area_hauler):
    first = start(in_area_hauler)
    assert open_without_redirect(first) == (302, RETURN)
    assert open_without_redirect(first) == (302, REFRESH)  # a link opens once, as Stripe's do

    again = start(in_area_hauler)  # what the refresh page does
    assert again != first
    assert open_without_redirect(again) == (302, RETURN)
    assert PayoutAccount.objects.filter(hauler=in_area_hauler).count() == 1  # one Stripe account throughout
    assert f"/connect/onboard/{in_area_hauler.payout_account.stripe_account_id}?" in again


def test_a_payout_run_transfers_what_paid_jobs_earned_once(stripe_on, customer, in_area_hauler, run_on_commit):
    not_onboarded = factories.HaulerFactory(name="No Stripe Yet")
    save_card(customer)
    jobs = [
        complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=price, payout=payout))
        for price, payout in ((3_000, 2_400), (10_200, 8_500))
    ]
    complete(run_on_commit, scheduled_pickup(customer, not_onboarded, price=5_000, payout=4_000))
    assert billing.run_payouts() == []  # nobody can receive money yet
    onboard(in_area_hauler)

    [payout] = billing.run_payouts()

    assert (payout.hauler, payout.status, payout.amount_cents) == (in_area_hauler, Payout.Status.PAID, 10_900)
    transfer = remote(f"/v1/transfers/{payout.stripe_transfer_id}")
    assert (transfer["amount"], transfer["currency"], transfer["destination"], transfer["transfer_group"]) == (
        10_900,
        "usd",
        in_area_hauler.payout_account.stripe_account_id,
        f"payout_{payout.pk}",
    )
    assert transfer["metadata"] == {"payout": str(payout.pk), "hauler": str(in_area_hauler.pk)}
    assert {job.pk: kind_totals(pickup=job)["transfer"] for job in jobs} == {jobs[0].pk: 2_400, jobs[1].pk: 8_500}
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {}

    assert billing.run_payouts() == []
    assert [t["id"] for t in remote("/v1/transfers")["data"]] == [payout.stripe_transfer_id]
    assert remote("/v1/transfers", transfer_group=f"payout_{payout.pk}")["data"] == [transfer]
    assert not Payout.objects.filter(hauler=not_onboarded).exists()
    assert sum(ledger.unpaid_payables(hauler_id=not_onboarded.pk).values()) == 4_000
    assert ledger.unbalanced_pickups() == {}


def test_a_new_paid_job_goes_in_the_next_run(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    onboard(in_area_hauler)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    [first] = billing.run_payouts()
    later = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=4_000, payout=3_100))

    [second] = billing.run_payouts()

    assert (first.amount_cents, second.amount_cents) == (2_400, 3_100)
    assert LedgerEntry.objects.get(kind="transfer", pickup=later).payout == second
    listed = remote("/v1/transfers", destination=in_area_hauler.payout_account.stripe_account_id)["data"]
    assert [t["amount"] for t in listed] == [3_100, 2_400]  # newest first, as Stripe lists
