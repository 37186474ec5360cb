"""Hauler payouts: Connect Express onboarding and the weekly run, one transfer per hauler and payout.

Network calls happen outside row locks; every state change re-checks under a lock, so a retried task or a
replayed webhook finds the work done and returns.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from billing import ledger
from billing import stripe_gateway as gateway
from billing.models import LedgerEntry, Payout, PayoutAccount
from billing.stripe_gateway import GatewayError, RequestRefused
from core.permissions import require

Kind = LedgerEntry.Kind
# Stripe's codes for a transfer refused only for now (the platform's balance is short until charges settle): the
# payout stays pending and the next run sends it again. Any other refusal fails the payout.
TEMPORARY_TRANSFER_REFUSALS = frozenset({"balance_insufficient"})


def payout_account_of(*, hauler) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(hauler=hauler).first()


def start_payout_onboarding(*, hauler, by, email: str, refresh_url: str, return_url: str) -> str:
    """The Stripe-hosted onboarding page for the hauler's Express account (the account is created once)."""
    require(user=by, organisation=hauler, action="payouts")  # owners only; `by=None` is the platform
    account = payout_account_of(hauler=hauler)
    if account is None:
        account_id = gateway.create_express_account(
            idempotency_key=f"account:hauler:{hauler.pk}", email=email, metadata={"hauler": str(hauler.pk)}
        )
        try:
            account, _ = PayoutAccount.objects.get_or_create(hauler=hauler, defaults={"stripe_account_id": account_id})
        except IntegrityError:
            account = PayoutAccount.objects.get(hauler=hauler)
    # A link opens once (a second visit goes to refresh_url, which asks for a new one), so every request makes its
    # own link, numbered; two at once are harmless.
    PayoutAccount.objects.filter(pk=account.pk).update(onboarding_links=F("onboarding_links") + 1)
    account.refresh_from_db(fields=["onboarding_links"])
    return gateway.onboarding_link(
        idempotency_key=f"account-link:{account.stripe_account_id}:{account.onboarding_links}",
        account_id=account.stripe_account_id,
        refresh_url=refresh_url,
        return_url=return_url,
    )


def refresh_payout_account(*, stripe_account_id: str) -> PayoutAccount | None:
    """Copy whether Stripe lets the account receive payouts (after onboarding, or on account.updated)."""
    account = PayoutAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    remote = gateway.retrieve_account(stripe_account_id)
    account.details_submitted, account.payouts_enabled = remote.details_submitted, remote.payouts_enabled
    account.save(update_fields=["details_submitted", "payouts_enabled", "updated_at"])
    return account


def pay_hauler(*, hauler) -> Payout | None:
    """Transfer everything the hauler has earned on paid jobs and not yet received, as one payout.

    The payout and its ledger entries are written first (a pickup is in one standing payout only: what is unpaid is
    worked out under the account's lock, one run at a time), then the transfer
    is sent with the payout's idempotency key; a crash in between leaves a pending payout that `send_payout` finishes.
    """
    account = PayoutAccount.objects.filter(hauler=hauler, payouts_enabled=True).first()
    if account is None:
        return None
    with transaction.atomic():
        PayoutAccount.objects.select_for_update().get(pk=account.pk)  # one payout run per hauler at a time
        owed = ledger.unpaid_payables(hauler_id=hauler.pk)
        if not owed:
            return None
        payout = Payout.objects.create(hauler=hauler, amount_cents=sum(owed.values()), currency=settings.CURRENCY)
        for pickup_id, cents in owed.items():
            ledger.post(
                kind=Kind.TRANSFER,
                amount_cents=cents,
                key=f"transfer:{payout.pk}:{pickup_id}",
                hauler=hauler,
                pickup_id=pickup_id,
                payout=payout,
            )
    return send_payout(payout_id=payout.pk)


def send_payout(*, payout_id: int) -> Payout:
    """Send (or re-send, with the same key) a pending payout's transfer.

    A transfer an earlier send made whose outcome was lost is found first: a pending payout is re-sent by the weekly
    run, long after Stripe has forgotten the idempotency key, and a second transfer would pay the hauler twice.
    A transfer Stripe refuses for good (the account cannot receive money) fails the payout and its jobs are owed
    again; a refusal that passes (the platform balance is short) or no answer leaves it pending for the next run.
    """
    payout = Payout.objects.select_related("hauler__payout_account").get(pk=payout_id)
    if payout.status != Payout.Status.PENDING:
        return payout
    destination = payout.hauler.payout_account.stripe_account_id
    refused = None
    try:
        transfer_id = gateway.find_transfer(
            transfer_group=payout.transfer_group, destination=destination, payout_ref=str(payout.pk)
        )
        if not transfer_id:
            try:
                transfer_id = gateway.transfer(
                    idempotency_key=f"transfer:payout:{payout.pk}",
                    amount_cents=payout.amount_cents,
                    currency=payout.currency,
                    destination=destination,
                    transfer_group=payout.transfer_group,
                    metadata={"payout": str(payout.pk), "hauler": str(payout.hauler_id)},
                )
            except RequestRefused as exc:
                if exc.code in TEMPORARY_TRANSFER_REFUSALS:
                    raise
                refused = exc
    except GatewayError as exc:
        Payout.objects.filter(pk=payout.pk).update(failure_message=str(exc)[:300])
        raise
    if refused is not None:
        return _fail_payout(payout.pk, destination=destination, message=f"Stripe refused the transfer: {refused}")
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status == Payout.Status.PENDING:
            payout.status, payout.stripe_transfer_id, payout.paid_at = Payout.Status.PAID, transfer_id, timezone.now()
            payout.failure_message = ""
            payout.save()
    return payout


def _fail_payout(payout_id: int, *, destination: str, message: str) -> Payout:
    """A pending payout whose transfer Stripe refused for good fails; each of its jobs gets a reversal, so the next
    run (once the account can receive money) pays them in a new payout. The account's state is asked of Stripe, so
    a hauler who cannot receive payouts is left out of runs until Stripe says otherwise (account.updated)."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_id)
        if payout.status != Payout.Status.PENDING:
            return payout
        payout.status, payout.failure_message = Payout.Status.FAILED, message[:300]
        payout.save(update_fields=["status", "failure_message"])
        for entry in payout.entries.filter(kind=Kind.TRANSFER).order_by("pickup_id"):
            ledger.post(
                kind=Kind.TRANSFER_REVERSED,
                amount_cents=entry.amount_cents,
                key=f"transfer-reversed:{payout.pk}:{entry.pickup_id}",
                hauler_id=entry.hauler_id,
                pickup_id=entry.pickup_id,
                payout=payout,
                memo=payout.failure_message,
            )
    try:
        refresh_payout_account(stripe_account_id=destination)
    except RequestRefused:  # Stripe has no such account (or will not show it): it cannot be paid either
        PayoutAccount.objects.filter(stripe_account_id=destination).update(payouts_enabled=False)
    except GatewayError:
        pass  # no answer: the next run asks again, through the transfer
    return payout


def pending_payout_ids() -> list[int]:
    """Payouts whose transfer is not confirmed yet."""
    return list(Payout.objects.filter(status=Payout.Status.PENDING).order_by("pk").values_list("pk", flat=True))


def payable_hauler_ids() -> list[int]:
    """Haulers whose payout account can receive transfers."""
    return list(
        PayoutAccount.objects.filter(payouts_enabled=True).order_by("hauler_id").values_list("hauler_id", flat=True)
    )


def payout_account_for(*, hauler_id: int) -> PayoutAccount:
    return PayoutAccount.objects.select_related("hauler").get(hauler_id=hauler_id)


def run_payouts() -> list[Payout]:
    """The whole payout run in one go (`manage.py run_payouts`; beat runs it as one task per payout and hauler)."""
    for payout_id in pending_payout_ids():
        try:
            send_payout(payout_id=payout_id)
        except GatewayError:
            continue
    made = []
    for hauler_id in payable_hauler_ids():
        try:
            payout = pay_hauler(hauler=payout_account_for(hauler_id=hauler_id).hauler)
        except GatewayError:
            continue  # left pending; the next run re-sends it with the same key
        if payout is not None:
            made.append(payout)
    return made
