"""The one door to Stripe: the only module that imports `stripe`.

Every create call carries a deterministic idempotency key chosen by the caller (e.g. `charge:payment:42:1`), so a
retried task or a double click reaches Stripe as the same request. Network retries are bounded by
STRIPE_MAX_NETWORK_RETRIES and each request by STRIPE_TIMEOUT_SECONDS. Stripe's exceptions become the domain errors
below, with messages a person can act on: PaymentDeclined (the card), StripeUnreachable (no definite answer: try
again, with the same key) and RequestRefused (a definite no; nothing was made). `STRIPE_API_BASE` points the client
elsewhere (the local stand-in in development and tests).
"""

import datetime as dt
import io
from dataclasses import dataclass
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from core import jsonlimits


class PaymentDeclined(Exception):
    """The card was refused (declined, expired, needs the holder's authentication); the customer must act."""

    def __init__(self, message: str, *, code: str = "", payment_intent_id: str = ""):
        super().__init__(message)
        self.code = code
        self.payment_intent_id = payment_intent_id


class GatewayError(Exception):
    """Stripe could not be reached or refused the request; trying again later may work."""


class StripeUnreachable(GatewayError):
    """No definite answer (no connection, a timeout, a rate limit, Stripe's own 5xx): the request may have taken
    effect. Repeat it with the same idempotency key, or look for what it made, never with a new key."""


class RequestRefused(GatewayError):
    """Stripe refused the request itself (a 4xx such as an amount below its minimum or a missing object): nothing
    was made, and sending it again unchanged fails the same way. `code` is Stripe's error code ("" if it gave none)."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Card:
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Charge:
    payment_intent_id: str
    status: str  # Stripe's PaymentIntent status: succeeded, processing, requires_action, ...
    amount_cents: int
    amount_refunded_cents: int = 0


@dataclass(frozen=True)
class RemoteRefund:
    refund_id: str
    amount_cents: int
    status: str  # Stripe's refund status: pending, succeeded, failed, canceled, requires_action
    metadata: dict


@dataclass(frozen=True)
class Account:
    account_id: str
    details_submitted: bool
    payouts_enabled: bool


def configured() -> bool:
    """Whether payments are switched on (a Stripe secret key is set)."""
    return bool(settings.STRIPE_SECRET_KEY)


def test_cards_allowed() -> bool:
    """The server-side test-card form: only against a local Stripe stand-in with a test key, never in production."""
    base = settings.STRIPE_API_BASE
    return (
        not settings.PRODUCTION
        and settings.STRIPE_SECRET_KEY.startswith("sk_test_")
        and bool(base)
        and urlsplit(base).hostname in ("127.0.0.1", "localhost", "::1")
    )


def _client() -> stripe.StripeClient:
    if not configured():
        raise GatewayError("Payments are not set up on this installation.")
    base = {name: settings.STRIPE_API_BASE for name in ("api", "connect", "files")} if settings.STRIPE_API_BASE else {}
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses=base,
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        stripe_version=settings.STRIPE_API_VERSION or None,
        # stripe-python waits 80 s by default: a call and its retries must end inside a task's 60 s soft limit.
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _call(fn, *args, **kwargs):
    """Run one Stripe call, translating its errors."""
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        intent = getattr(getattr(exc, "error", None), "payment_intent", None)
        message = exc.user_message or "Your card was declined."
        raise PaymentDeclined(message, code=exc.code or "", payment_intent_id=getattr(intent, "id", "")) from exc
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise StripeUnreachable("Stripe could not be reached; it will be tried again.") from exc
    except stripe.APIError as exc:
        raise StripeUnreachable(exc.user_message or "Stripe had a problem; it will be tried again.") from exc
    except stripe.InvalidRequestError as exc:
        message = exc.user_message or str(exc) or "Stripe refused the request."
        raise RequestRefused(message, code=exc.code or "") from exc
    except stripe.StripeError as exc:
        raise GatewayError(exc.user_message or str(exc) or "Stripe refused the request.") from exc


def _metadata(made) -> dict:
    metadata = getattr(made, "metadata", None)
    return metadata.to_dict() if metadata else {}


def _key(idempotency_key: str) -> dict:
    return {"idempotency_key": f"{settings.STRIPE_IDEMPOTENCY_PREFIX}{idempotency_key}"}


# --- Customers and cards -------------------------------------------------------------------------------------


def create_customer(*, idempotency_key: str, name: str, email: str, metadata: dict) -> str:
    """Create the Stripe customer for a business; returns its id."""
    c = _client()
    params = {"name": name, "metadata": metadata, **({"email": email} if email else {})}
    return _call(c.v1.customers.create, params=params, options=_key(idempotency_key)).id


def create_setup_intent(*, idempotency_key: str, customer_id: str) -> tuple[str, str]:
    """A SetupIntent that saves a card for later off-session charges; returns (id, client_secret)."""
    c = _client()
    intent = _call(
        c.v1.setup_intents.create,
        params={"customer": customer_id, "usage": "off_session"},
        options=_key(idempotency_key),
    )
    return intent.id, intent.client_secret


def confirm_setup_intent_with_test_card(
    *, setup_intent_id: str, number: str, exp_month: int, exp_year: int, cvc: str
) -> str:
    """Development only: confirm a SetupIntent with a raw test card number; returns the SetupIntent's status."""
    if not test_cards_allowed():
        raise GatewayError("Card numbers are never sent through this server; use the card form.")
    c = _client()
    card = {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc}
    method = _call(c.v1.payment_methods.create, params={"type": "card", "card": card})
    intent = _call(c.v1.setup_intents.confirm, setup_intent_id, params={"payment_method": method.id})
    return intent.status


def saved_card(*, setup_intent_id: str, customer_id: str) -> Card:
    """The card a succeeded SetupIntent saved, attached to the customer; PaymentDeclined if it did not succeed."""
    c = _client()
    intent = _call(c.v1.setup_intents.retrieve, setup_intent_id)
    if intent.customer != customer_id:
        raise GatewayError("That card setup belongs to someone else.")
    if intent.status != "succeeded" or not intent.payment_method:
        message = {
            "requires_action": "Your bank asks you to confirm this card; complete the check and try again.",
            "canceled": "Your card was declined.",
        }.get(intent.status, "The card was not saved; try again.")
        raise PaymentDeclined(message, code=intent.status)
    method_id = intent.payment_method if isinstance(intent.payment_method, str) else intent.payment_method.id
    method = _call(c.v1.payment_methods.retrieve, method_id)
    if method.customer is None:
        method = _call(c.v1.payment_methods.attach, method_id, params={"customer": customer_id})
    card = method.card
    return Card(method.id, card.brand or "card", card.last4, int(card.exp_month), int(card.exp_year))


# --- Charges and refunds -------------------------------------------------------------------------------------


def charge(
    *,
    idempotency_key: str,
    customer_id: str,
    payment_method_id: str,
    amount_cents: int,
    currency: str,
    description: str,
    metadata: dict,
) -> Charge:
    """Charge a saved card off-session; PaymentDeclined when the card is refused or needs its holder."""
    c = _client()
    params = {
        "amount": amount_cents,
        "currency": currency,
        "customer": customer_id,
        "payment_method": payment_method_id,
        "off_session": True,
        "confirm": True,
        "metadata": metadata,
    }
    if description and not settings.STRIPE_API_BASE:  # localstripe refuses the field; Stripe shows it on receipts
        params["description"] = description
    intent = _call(c.v1.payment_intents.create, params=params, options=_key(idempotency_key))
    if intent.status == "requires_action":
        raise PaymentDeclined(
            "Your bank asks you to confirm this payment; update your card to pay.",
            code="authentication_required",
            payment_intent_id=intent.id,
        )
    return _as_charge(intent)


def _as_charge(intent) -> Charge:
    latest = getattr(intent, "latest_charge", None)
    refunded = int(getattr(latest, "amount_refunded", 0) or 0) if latest and not isinstance(latest, str) else 0
    return Charge(intent.id, intent.status, int(intent.amount), refunded)


def retrieve_charge(payment_intent_id: str) -> Charge:
    """Stripe's current view of a payment (webhooks re-fetch rather than trust an event's snapshot)."""
    c = _client()
    return _as_charge(_call(c.v1.payment_intents.retrieve, payment_intent_id, params={"expand": ["latest_charge"]}))


def cancel_charge(payment_intent_id: str) -> None:
    """Cancel a PaymentIntent still waiting on its holder (or a new payment method), so it can never complete."""
    c = _client()
    _call(c.v1.payment_intents.cancel, payment_intent_id, options=_key(f"cancel:{payment_intent_id}"))


def refund(*, idempotency_key: str, payment_intent_id: str, amount_cents: int, metadata: dict) -> tuple[str, str]:
    """Refund part or all of a payment; returns (refund id, status)."""
    c = _client()
    params = {"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata}
    made = _call(c.v1.refunds.create, params=params, options=_key(idempotency_key))
    return made.id, made.status


def find_refund(*, payment_intent_id: str, refund_ref: str) -> str | None:
    """The id of the refund on a payment that our refund `refund_ref` made (its metadata names it), or None.

    Stripe forgets an idempotency key after a day: a refund whose outcome was lost is looked for before it is sent
    again, so it is never made twice.
    """
    c = _client()
    params = {"payment_intent": payment_intent_id, "limit": 100}
    for made in _call(c.v1.refunds.list, params=params).data:
        if _metadata(made).get("refund") == refund_ref:
            return made.id
    return None


def list_refunds(*, payment_intent_id: str) -> list[RemoteRefund]:
    """Every refund Stripe holds on a payment, ours and those made elsewhere (the Dashboard), newest first."""
    c = _client()
    page = _call(c.v1.refunds.list, params={"payment_intent": payment_intent_id, "limit": 100})
    return [
        RemoteRefund(made.id, int(made.amount), made.status, _metadata(made))
        for made in _call(lambda: list(page.auto_paging_iter()))
    ]


def retrieve_refund(refund_id: str) -> tuple[int, str]:
    """(amount in cents, status) of a refund."""
    made = _call(_client().v1.refunds.retrieve, refund_id)
    return int(made.amount), made.status


# --- Connect: hauler accounts and transfers ------------------------------------------------------------------


def create_express_account(*, idempotency_key: str, email: str, metadata: dict) -> str:
    """A Connect Express account for a hauler; returns its id."""
    c = _client()
    params = {
        "type": "express",
        "country": settings.STRIPE_CONNECT_COUNTRY,
        "capabilities": {"transfers": {"requested": True}},
        "business_type": "company",
        "metadata": metadata,
        **({"email": email} if email else {}),
    }
    return _call(c.v1.accounts.create, params=params, options=_key(idempotency_key)).id


def onboarding_link(*, idempotency_key: str, account_id: str, refresh_url: str, return_url: str) -> str:
    """A short-lived Stripe-hosted onboarding page for the account."""
    c = _client()
    params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url, "type": "account_onboarding"}
    return _call(c.v1.account_links.create, params=params, options=_key(idempotency_key)).url


def retrieve_account(account_id: str) -> Account:
    made = _call(_client().v1.accounts.retrieve, account_id)
    return Account(made.id, bool(made.details_submitted), bool(made.payouts_enabled))


def transfer(
    *, idempotency_key: str, amount_cents: int, currency: str, destination: str, transfer_group: str, metadata: dict
) -> str:
    """Move money from the platform balance to a hauler's connected account; returns the transfer id."""
    c = _client()
    params = {
        "amount": amount_cents,
        "currency": currency,
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    return _call(c.v1.transfers.create, params=params, options=_key(idempotency_key)).id


def find_transfer(*, transfer_group: str, destination: str, payout_ref: str) -> str | None:
    """The id of the transfer our payout `payout_ref` already made to `destination`, or None.

    Stripe forgets an idempotency key after a day, and a pending payout may be sent again a week later: it is looked
    for first, so a transfer whose outcome was lost is not made twice.
    """
    c = _client()
    params = {"transfer_group": transfer_group, "destination": destination, "limit": 100}
    for made in _call(c.v1.transfers.list, params=params).data:
        if _metadata(made).get("payout") == payout_ref:
            return made.id
    return None


def retrieve_transfer(transfer_id: str) -> tuple[int, str, bool]:
    """(amount in cents, destination, reversed) of a transfer."""
    made = _call(_client().v1.transfers.retrieve, transfer_id)
    return int(made.amount), made.destination, bool(made.reversed)


# --- Disputes -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeMoney:
    """One balance transaction a dispute made: `amount_cents` into our balance (negative when withdrawn) and the
    fee Stripe took with it (negative when it gave the fee back)."""

    transaction_id: str
    amount_cents: int
    fee_cents: int


@dataclass(frozen=True)
class RemoteDispute:
    dispute_id: str
    charge_id: str
    payment_intent_id: str
    amount_cents: int
    currency: str
    reason: str
    status: str  # Stripe's: warning_needs_response, needs_response, under_review, won, lost, ...
    due_by: dt.datetime | None  # evidence must be submitted before this (None: the bank takes no response)
    has_evidence: bool
    submission_count: int
    money: tuple[DisputeMoney, ...]
    evidence: dict


def _as_dispute(made) -> RemoteDispute:
    details = made.evidence_details
    due_by = int(details.due_by or 0) if details else 0
    intent = made.payment_intent
    evidence = made.evidence.to_dict() if made.evidence else {}
    return RemoteDispute(
        dispute_id=made.id,
        charge_id=made.charge if isinstance(made.charge, str) else made.charge.id,
        payment_intent_id=(intent if isinstance(intent, str) else getattr(intent, "id", "")) or "",
        amount_cents=int(made.amount),
        currency=made.currency,
        reason=made.reason or "",
        status=made.status,
        due_by=dt.datetime.fromtimestamp(due_by, tz=dt.UTC) if due_by else None,
        has_evidence=bool(details and details.has_evidence),
        submission_count=int(details.submission_count or 0) if details else 0,
        money=tuple(
            DisputeMoney(txn.id, int(txn.amount), int(txn.fee or 0)) for txn in (made.balance_transactions or [])
        ),
        evidence={name: value for name, value in evidence.items() if value},
    )


def retrieve_dispute(dispute_id: str) -> RemoteDispute:
    """Stripe's current view of a dispute (its events are re-fetched, never trusted)."""
    return _as_dispute(_call(_client().v1.disputes.retrieve, dispute_id))


def list_disputes() -> list[RemoteDispute]:
    """Every dispute Stripe holds on the account, newest first."""
    page = _call(_client().v1.disputes.list, params={"limit": 100})
    return [_as_dispute(made) for made in _call(lambda: list(page.auto_paging_iter()))]


def upload_dispute_file(*, idempotency_key: str, filename: str, content: bytes) -> str:
    """Upload a PDF, PNG or JPEG as dispute evidence (Stripe's files API); returns the file's id."""
    upload = io.BytesIO(content)
    upload.name = filename  # the multipart part's filename
    c = _client()
    params = {"purpose": "dispute_evidence", "file": upload}
    return _call(c.v1.files.create, params=params, options=_key(idempotency_key)).id


def update_dispute(*, idempotency_key: str, dispute_id: str, evidence: dict, submit: bool) -> RemoteDispute:
    """Stage evidence on a dispute (submit=False: visible, changeable, not yet sent) or send it to the bank."""
    params = {"submit": submit, **({"evidence": evidence} if evidence else {})}
    c = _client()
    return _as_dispute(_call(c.v1.disputes.update, dispute_id, params=params, options=_key(idempotency_key)))


# --- Webhooks ------------------------------------------------------------------------------------------------


class BadSignature(Exception):
    """A webhook whose signature or timestamp does not verify."""


def verify_event(*, payload: bytes, signature: str) -> dict:
    """Check a webhook's signature and age (STRIPE_WEBHOOK_TOLERANCE); returns the event as plain data."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise BadSignature("No webhook secret is configured.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
        )
        event = jsonlimits.loads(payload)  # bounded nesting: a RecursionError would be a 500
    except (ValueError, stripe.SignatureVerificationError) as exc:
        raise BadSignature(str(exc)) from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("The payload is not a Stripe event.")
    return event
