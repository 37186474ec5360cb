"""A business's billing account: its Stripe customer, the card saved through a SetupIntent, and what blocks booking.

Network calls happen outside row locks; every state change re-checks under a lock, so a retried task or a
replayed webhook finds the work done and returns.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import stripe_gateway as gateway
from billing.models import BillingAccount, Payment
from billing.stripe_gateway import GatewayError, PaymentDeclined
from core.enqueue import enqueue
from core.errors import Conflict
from core.permissions import require


def account_of(*, customer) -> BillingAccount:
    """The business's billing account (created empty on first use)."""
    account, _ = BillingAccount.objects.get_or_create(customer=customer)
    return account


def locked_account(customer) -> BillingAccount:
    """The business's billing account, locked to this transaction: credit spending and failure counts queue here."""
    account_of(customer=customer)
    return BillingAccount.objects.select_for_update().get(customer=customer)


def ensure_stripe_customer(*, customer) -> BillingAccount:
    """The business's Stripe customer, created once (the idempotency key covers a crash before it is saved)."""
    account = account_of(customer=customer)
    if account.stripe_customer_id:
        return account
    stripe_id = gateway.create_customer(
        idempotency_key=f"customer:{customer.pk}",
        name=customer.name,
        email=customer.billing_email,
        metadata={"customer": str(customer.pk)},
    )
    with transaction.atomic():
        account = locked_account(customer)
        if not account.stripe_customer_id:
            account.stripe_customer_id = stripe_id
            account.save(update_fields=["stripe_customer_id", "updated_at"])
    return account


def start_card_setup(*, customer, by) -> tuple[str, str]:
    """A SetupIntent for the card page: (id, client secret). A new one per visit; unused ones simply lapse."""
    require(user=by, organisation=customer, action="billing")  # owners and managers; `by=None` is the platform
    account = ensure_stripe_customer(customer=customer)
    with transaction.atomic():
        account = locked_account(customer)
        account.setup_attempts += 1
        account.save(update_fields=["setup_attempts", "updated_at"])
    return gateway.create_setup_intent(
        idempotency_key=f"setup:customer:{customer.pk}:{account.setup_attempts}",
        customer_id=account.stripe_customer_id,
    )


def save_card(*, customer, setup_intent_id: str, by) -> BillingAccount:
    """Keep the card a confirmed SetupIntent saved; a fixed card lifts a booking pause and clears the failure count."""
    require(user=by, organisation=customer, action="billing")  # owners and managers; `by=None` is the platform
    account = ensure_stripe_customer(customer=customer)
    try:
        card = gateway.saved_card(setup_intent_id=setup_intent_id, customer_id=account.stripe_customer_id)
    except PaymentDeclined as exc:
        raise ValidationError({"card": str(exc)}) from exc
    with transaction.atomic():
        # Failed payments are due again now, with the new card. Their rows are locked before the account's, the
        # order a payment settling or failing takes them in: the other order deadlocks with it on PostgreSQL.
        failed = Payment.objects.filter(customer=customer, status=Payment.Status.FAILED)
        if failed.update(next_attempt_at=timezone.now()):
            # ... and tried at once, after commit, rather than at the next sweep. The market's task does it (one for
            # them all): it also tells the business if the new card is declined too.
            enqueue("marketplace.retry_failed_payments", customer.pk)
        account = locked_account(customer)
        account.payment_method_id = card.payment_method_id
        account.card_brand, account.card_last4 = card.brand, card.last4
        account.card_exp_month, account.card_exp_year = card.exp_month, card.exp_year
        account.failed_payments = 0
        account.bookings_paused_at = None
        account.save()
    return account


def save_test_card(*, customer, number: str, exp_month: int, exp_year: int, cvc: str, by) -> BillingAccount:
    """Development and tests only (a local Stripe stand-in): save a raw test card number via a SetupIntent."""
    require(user=by, organisation=customer, action="billing")
    if not gateway.test_cards_allowed():
        raise Conflict("Card numbers are never sent through this server; use the secure card form.")
    setup_intent_id, _ = start_card_setup(customer=customer, by=by)
    try:
        gateway.confirm_setup_intent_with_test_card(
            setup_intent_id=setup_intent_id, number=number, exp_month=exp_month, exp_year=exp_year, cvc=cvc
        )
    except (PaymentDeclined, GatewayError) as exc:
        raise ValidationError({"number": str(exc)}) from exc
    return save_card(customer=customer, setup_intent_id=setup_intent_id, by=by)


def booking_block(*, customer) -> str | None:
    """Why this business cannot book right now (no usable card, or payments failing), or None."""
    if not gateway.configured():
        return None
    account = BillingAccount.objects.filter(customer=customer).first()
    if account is None or not account.has_card:
        return "Add a payment card before booking: pickups are charged to it once they are done."
    if account.bookings_paused_at is not None:
        return (
            f"New bookings are paused: {account.failed_payments} payments in a row failed. "
            "Update your card and we will retry them."
        )
    today = timezone.localdate()
    if (account.card_exp_year, account.card_exp_month) < (today.year, today.month):
        return "Your card has expired; add a new one before booking."
    return None
