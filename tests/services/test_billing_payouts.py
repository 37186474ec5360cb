"""Hauler payouts against the Stripe stand-in's Connect fake: onboarding, one transfer per run, nothing twice."""

import pytest
from django.conf import settings

from billing import ledger, payouts, reconcile
from billing import stripe_gateway as gateway
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
    return payouts.start_payout_onboarding(
        by=None, hauler=hauler, email="owner@hauler.example", refresh_url=REFRESH, return_url=RETURN
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
    payouts.refresh_payout_account(stripe_account_id=account.stripe_account_id)
    account.refresh_from_db()
    assert (account.details_submitted, account.payouts_enabled) == (False, False)

    assert open_without_redirect(url) == (302, RETURN)
    payouts.refresh_payout_account(stripe_account_id=account.stripe_account_id)
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
    assert payouts.run_payouts() == []  # nobody can receive money yet
    onboard(in_area_hauler)

    [payout] = payouts.run_payouts()

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

    assert payouts.run_payouts() == []
    assert [t["id"] for t in remote("/v1/transfers")["data"]] == [payout.stripe_transfer_id]
    assert remote("/v1/transfers", transfer_group=f"payout_{payout.pk}")["data"] == [transfer]
    assert not Payout.objects.filter(hauler=not_onboarded).exists()
    assert sum(ledger.unpaid_payables(hauler_id=not_onboarded.pk).values()) == 4_000
    assert ledger.unbalanced_pickups() == {}


def test_a_new_paid_job_goes_in_the_next_run(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    onboard(in_area_hauler)
    complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    [first] = payouts.run_payouts()
    later = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=4_000, payout=3_100))

    [second] = payouts.run_payouts()

    assert (first.amount_cents, second.amount_cents) == (2_400, 3_100)
    assert LedgerEntry.objects.get(kind="transfer", pickup=later).payout == second
    listed = remote("/v1/transfers", destination=in_area_hauler.payout_account.stripe_account_id)["data"]
    assert [t["amount"] for t in listed] == [3_100, 2_400]  # newest first, as Stripe lists


def test_a_transfer_refused_for_good_fails_the_payout_and_its_jobs_go_in_the_next_run(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    jobs = [
        complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=price, payout=payout))
        for price, payout in ((3_000, 2_400), (10_200, 8_500))
    ]
    start(in_area_hauler)  # the account exists at Stripe, onboarding unfinished
    # We believe it can be paid (an account.updated that turned it off never arrived).
    PayoutAccount.objects.filter(hauler=in_area_hauler).update(details_submitted=True, payouts_enabled=True)

    [failed] = payouts.run_payouts()

    assert (failed.status, failed.amount_cents, failed.stripe_transfer_id) == (Payout.Status.FAILED, 10_900, "")
    assert failed.failure_message.startswith("Stripe refused the transfer: Your destination account needs")
    assert remote("/v1/transfers")["data"] == []
    assert {job.pk: kind_totals(pickup=job)["transfer_reversed"] for job in jobs} == {
        jobs[0].pk: 2_400,
        jobs[1].pk: 8_500,
    }
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {jobs[0].pk: 2_400, jobs[1].pk: 8_500}
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []  # a refused payout that moved nothing is what we expect
    account = PayoutAccount.objects.get(hauler=in_area_hauler)
    assert (account.details_submitted, account.payouts_enabled) == (False, False)  # as Stripe says
    assert payouts.run_payouts() == []  # nobody is paid into an account that cannot receive money
    assert payouts.send_payout(payout_id=failed.pk) == failed  # a failed payout is never sent again
    assert LedgerEntry.objects.filter(kind="transfer_reversed").count() == 2

    onboard(in_area_hauler)  # staff have the hauler finish onboarding
    [paid] = payouts.run_payouts()

    assert (paid.status, paid.amount_cents) == (Payout.Status.PAID, 10_900)
    assert [t["id"] for t in remote("/v1/transfers")["data"]] == [paid.stripe_transfer_id]
    assert {job.pk: kind_totals(pickup=job)["transfer"] for job in jobs} == {jobs[0].pk: 4_800, jobs[1].pk: 17_000}
    assert set(LedgerEntry.objects.filter(kind="transfer", payout=paid).values_list("pickup", flat=True)) == {
        job.pk for job in jobs
    }
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {}
    assert payouts.run_payouts() == []
    assert [t["id"] for t in remote("/v1/transfers")["data"]] == [paid.stripe_transfer_id]
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


def test_a_transfer_to_an_account_stripe_does_not_have_fails_and_the_hauler_is_left_out(
    stripe_on, customer, in_area_hauler, run_on_commit
):
    save_card(customer)
    job = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_gone", payouts_enabled=True)

    [failed] = payouts.run_payouts()

    assert failed.status == Payout.Status.FAILED
    assert "No such account: 'acct_gone'" in failed.failure_message
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {job.pk: 2_400}
    assert not PayoutAccount.objects.get(hauler=in_area_hauler).payouts_enabled
    assert payouts.run_payouts() == []
    assert reconcile.differences() == []


def test_a_platform_balance_too_low_keeps_the_payout_pending_for_the_next_run(
    stripe_on, customer, in_area_hauler, run_on_commit, monkeypatch
):
    save_card(customer)
    onboard(in_area_hauler)
    job = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=3_000, payout=2_400))
    send = gateway.transfer

    def short_balance(**kwargs):
        raise gateway.RequestRefused("Insufficient funds in Stripe account.", code="balance_insufficient")

    monkeypatch.setattr(gateway, "transfer", short_balance)
    assert payouts.run_payouts() == []
    payout = Payout.objects.get(hauler=in_area_hauler)
    assert (payout.status, payout.failure_message) == (Payout.Status.PENDING, "Insufficient funds in Stripe account.")
    assert ledger.unpaid_payables(hauler_id=in_area_hauler.pk) == {}  # it stays in this payout
    assert not LedgerEntry.objects.filter(kind="transfer_reversed").exists()

    monkeypatch.setattr(gateway, "transfer", send)  # the balance has come in
    assert payouts.run_payouts() == []  # the pending payout is sent; nothing new is owed

    payout.refresh_from_db()
    assert (payout.status, payout.amount_cents) == (Payout.Status.PAID, 2_400)
    assert LedgerEntry.objects.get(kind="transfer", pickup=job).payout == payout
    assert [t["id"] for t in remote("/v1/transfers")["data"]] == [payout.stripe_transfer_id]
    assert reconcile.differences() == []
