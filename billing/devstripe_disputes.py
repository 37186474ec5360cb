"""The Stripe stand-in's card disputes and file uploads (localstripe has neither), checked the way Stripe checks them.

    GET  /v1/disputes/{id}, GET /v1/disputes (payment_intent, charge, limit, starting_after)
    POST /v1/disputes/{id}     evidence[...] (text fields, and file fields naming an uploaded dispute_evidence
                               file), metadata, submit (true unless it says false: false stages the evidence)
    POST /v1/files             multipart: purpose=dispute_evidence, file (PDF, PNG or JPEG, at most 5 MB)

and the test-only routes standing in for the cardholder's bank (as Stripe's test cards that dispute do):

    POST /_config/disputes                  payment_intent (or charge), reason, amount (default: what is not refunded),
                                            inquiry=true for an inquiry (warning_needs_response: no money moves)
    POST /_config/disputes/{id}/close       status=won|lost (an inquiry: warning_closed)

Each sends the events Stripe sends, its dispute as it is at that moment: opening sends charge.dispute.created and
charge.dispute.funds_withdrawn (a balance transaction of the amount, with Stripe's $15.00 dispute fee), staging or
submitting evidence charge.dispute.updated, closing charge.dispute.closed and, when won, charge.dispute.funds_reinstated
(the amount and the fee given back). localstripe sends each about a second later, concurrently: they may arrive out
of order, as Stripe's may.
"""

import copy
import hashlib
import re
import time

from aiohttp import web
from localstripe import webhooks
from localstripe.resources import Event, store

# The stand-in's parameter checks and error shape. A cycle, but a harmless one: only functions are read from it,
# and only while a request is served.
from billing import devstripe as stand_in

DISPUTE_FEE_CENTS = 1500  # Stripe's fee on a US card dispute
EVIDENCE_DAYS = 7  # the bank's deadline for the evidence, from the dispute's opening
MAX_FILE_BYTES = 5 * 1024 * 1024  # Stripe's limit for a dispute_evidence file
MAX_EVIDENCE_TEXT = 150_000  # characters over all text fields together, as Stripe counts them
FILE_FIELDS = frozenset(
    {
        "cancellation_policy",
        "customer_communication",
        "customer_signature",
        "duplicate_charge_documentation",
        "receipt",
        "refund_policy",
        "service_documentation",
        "shipping_documentation",
        "uncategorized_file",
    }
)
TEXT_FIELDS = frozenset(
    {
        "access_activity_log",
        "billing_address",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_tracking_number",
        "uncategorized_text",
    }
)
REASONS = frozenset(
    {
        "bank_cannot_process",
        "check_returned",
        "credit_not_processed",
        "customer_initiated",
        "debit_not_authorized",
        "duplicate",
        "fraudulent",
        "general",
        "incorrect_account_details",
        "insufficient_funds",
        "product_not_received",
        "product_unacceptable",
        "subscription_canceled",
        "unrecognized",
    }
)
OPEN = ("needs_response", "warning_needs_response")
# What a file's first bytes say it is, for the types Stripe takes as dispute evidence.
FILE_TYPES = {b"%PDF-": "pdf", b"\x89PNG\r\n\x1a\n": "png", b"\xff\xd8\xff": "jpg"}


class Disputes:
    """The fake's state: disputes and uploaded files by id."""

    disputes: dict[str, dict] = {}
    files: dict[str, dict] = {}

    @classmethod
    def clear(cls) -> None:
        cls.disputes.clear()
        cls.files.clear()


class _Snapshot:
    """A plain object as localstripe's events carry one, copied now (an event shows the object as it was)."""

    def __init__(self, data: dict):
        self.data = copy.deepcopy(data)

    def _export(self) -> dict:
        return self.data


def _send(kind: str, dispute: dict, previous: dict | None = None) -> None:
    event = Event(kind, _Snapshot(dispute))
    if previous:
        event.data["previous_attributes"] = previous
    webhooks.schedule_webhook(event)


def _fail(*args, **kwargs):
    stand_in._fail(*args, **kwargs)


def _found(object_id: str) -> dict:
    dispute = Disputes.disputes.get(object_id)
    if dispute is None:
        _fail(404, f"No such dispute: '{object_id}'", param="id", code="resource_missing")
    return dispute


def _fee_detail(fee: int, currency: str) -> dict:
    return {
        "amount": fee,
        "application": None,
        "currency": currency,
        "description": "Dispute fee",
        "type": "stripe_fee",
    }


def _balance_transaction(dispute: dict, *, amount: int, fee: int, description: str, category: str) -> dict:
    """Stripe's balance transaction for money a dispute moves: `amount` to the balance, `fee` taken from it."""
    now = int(time.time())
    return {
        "id": stand_in._new_id("txn_"),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": now,
        "created": now,
        "currency": dispute["currency"],
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": [_fee_detail(fee, dispute["currency"])] if fee else [],
        "net": amount - fee,
        "reporting_category": category,
        "source": dispute["id"],
        "status": "available",
        "type": "adjustment",
    }


# --- The cardholder's bank (test-only routes) ----------------------------------------------------------------


async def open_dispute(request: web.Request) -> web.Response:
    """The bank disputes a succeeded charge: created, then the amount and Stripe's fee are withdrawn."""
    data = await stand_in._params(request, {"payment_intent", "charge", "reason", "amount", "inquiry"})
    inquiry = stand_in._string(data, "inquiry", required=False, pattern="true|false") == "true"
    intent_id = stand_in._string(data, "payment_intent", required=False)
    charge_id = stand_in._string(data, "charge", required=False)
    if bool(intent_id) == bool(charge_id):
        _fail(400, "Name the disputed payment: payment_intent or charge (one of them).", param="payment_intent")
    if intent_id:
        intent = store.get(f"payment_intent:{intent_id}")
        if intent is None:
            _fail(404, f"No such payment_intent: '{intent_id}'", param="payment_intent", code="resource_missing")
        charge = intent.latest_charge
    else:
        charge = store.get(f"charge:{charge_id}")
        if charge is None:
            _fail(404, f"No such charge: '{charge_id}'", param="charge", code="resource_missing")
    if charge is None or charge.status != "succeeded":
        _fail(400, "Only a succeeded charge can be disputed.", param="charge", code="charge_not_disputable")
    if any(d["charge"] == charge.id for d in Disputes.disputes.values()):
        _fail(400, f"Charge {charge.id} has already been disputed.", param="charge", code="charge_already_disputed")
    disputable = charge.amount - int(charge.amount_refunded or 0)
    amount = int(stand_in._string(data, "amount", required=False, pattern=r"[1-9][0-9]*") or disputable)
    if amount > disputable:
        _fail(400, f"At most {disputable} cents of this charge can be disputed.", param="amount")
    reason = stand_in._string(data, "reason", required=False) or "product_not_received"
    if reason not in REASONS:
        _fail(400, f"Invalid reason: {reason!r}", param="reason", code="parameter_invalid_string")
    now = int(time.time())
    due_by = (now // 86400 + EVIDENCE_DAYS + 1) * 86400 - 1  # the end of the deadline's day, UTC, as Stripe's
    dispute = {
        "id": stand_in._new_id("du_"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge.id,
        "created": now,
        "currency": charge.currency,
        "evidence": dict.fromkeys(sorted(FILE_FIELDS | TEXT_FIELDS)),
        "evidence_details": {"due_by": due_by, "has_evidence": False, "past_due": False, "submission_count": 0},
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge.payment_intent,
        "reason": reason,
        "status": "warning_needs_response" if inquiry else "needs_response",
    }
    Disputes.disputes[dispute["id"]] = dispute
    charge.disputed = not inquiry
    _send("charge.dispute.created", dispute)
    if inquiry:  # the bank only asks: nothing is withdrawn, and the charge can still be refunded
        dispute["is_charge_refundable"] = True
        return web.json_response(dispute)
    withdrawal = _balance_transaction(
        dispute,
        amount=-amount,
        fee=DISPUTE_FEE_CENTS,
        description=f"Chargeback withdrawal for {charge.id}",
        category="dispute",
    )
    dispute["balance_transactions"].append(withdrawal)
    _send("charge.dispute.funds_withdrawn", dispute)
    return web.json_response(dispute)


async def close_dispute(request: web.Request) -> web.Response:
    """The bank decides: lost keeps the money withdrawn; won gives back the amount and the fee."""
    data = await stand_in._params(request, {"status"})
    dispute = _found(request.match_info["id"])
    inquiry = dispute["status"].startswith("warning_")
    outcome = stand_in._string(data, "status", pattern="warning_closed" if inquiry else "won|lost")
    if dispute["status"] in ("won", "lost", "warning_closed"):
        _fail(400, f"Dispute {dispute['id']} is already closed ({dispute['status']}).", code="dispute_already_closed")
    previous = {"status": dispute["status"]}
    dispute["status"] = outcome
    _send("charge.dispute.closed", dispute, previous)
    if outcome == "won":
        reinstatement = _balance_transaction(
            dispute,
            amount=dispute["amount"],
            fee=-DISPUTE_FEE_CENTS,
            description=f"Chargeback reversal for {dispute['charge']}",
            category="dispute_reversal",
        )
        dispute["balance_transactions"].append(reinstatement)
        _send("charge.dispute.funds_reinstated", dispute)
    return web.json_response(dispute)


# --- Stripe's API ---------------------------------------------------------------------------------------------


async def retrieve_dispute(request: web.Request) -> web.Response:
    await stand_in._params(request, set())
    return web.json_response(_found(request.match_info["id"]))


async def list_disputes(request: web.Request) -> web.Response:
    """The disputes, filtered by payment_intent or charge."""
    disputes = list(Disputes.disputes.values())
    return await stand_in.list_page(request, disputes, filters=("payment_intent", "charge"), url="/v1/disputes")


def _evidence(value) -> dict:
    if value == "":
        return {}
    if not isinstance(value, dict):
        _fail(400, "Invalid evidence: send evidence[field]=value.", param="evidence")
    evidence = {}
    for name, text in value.items():
        param = f"evidence[{name}]"
        if name not in FILE_FIELDS | TEXT_FIELDS:
            _fail(400, f"Received unknown parameter: {param}", param=param)
        if not isinstance(text, str):
            _fail(400, f"Invalid {param}: a string.", param=param, code="parameter_invalid_string")
        if name in FILE_FIELDS and text:
            uploaded = Disputes.files.get(text)
            if uploaded is None:
                _fail(400, f"No such file upload: '{text}'", param=param, code="resource_missing")
            if uploaded["purpose"] != "dispute_evidence":
                _fail(400, f"{param}: file {text} was not uploaded with purpose dispute_evidence.", param=param)
        evidence[name] = text or None
    return evidence


async def update_dispute(request: web.Request) -> web.Response:
    """Stage evidence (submit=false) or send it to the bank (submit, the default); only while it needs a response."""
    data = await stand_in._params(request, {"evidence", "metadata", "submit"})
    dispute = _found(request.match_info["id"])
    submit = stand_in._string(data, "submit", required=False, pattern="true|false") != "false"
    evidence = _evidence(data.get("evidence", {}))
    metadata = stand_in._metadata(data) if "metadata" in data else None
    if dispute["status"] not in OPEN:
        _fail(
            400,
            f"This dispute is {dispute['status'].replace('_', ' ')}: its evidence can no longer be changed.",
            code="dispute_not_open" if dispute["status"] in ("won", "lost") else "evidence_already_submitted",
        )
    merged = {**dispute["evidence"], **evidence}
    text_length = sum(len(merged[name] or "") for name in TEXT_FIELDS)
    if text_length > MAX_EVIDENCE_TEXT:
        _fail(400, f"The evidence's text fields hold {text_length} characters; at most {MAX_EVIDENCE_TEXT}.")
    if submit and not any(merged.values()):
        _fail(400, "There is no evidence to submit: stage some, or send it with submit.", param="evidence")
    previous = {}
    if evidence:
        previous["evidence"] = dict(dispute["evidence"])
        dispute["evidence"] = merged
    if metadata is not None:
        previous["metadata"], dispute["metadata"] = dispute["metadata"], {**dispute["metadata"], **metadata}
    details = dispute["evidence_details"]
    details["has_evidence"] = any(merged.values())
    if submit:
        previous["status"] = dispute["status"]
        dispute["status"] = "under_review" if dispute["status"] == "needs_response" else "warning_under_review"
        details["submission_count"] += 1
        details["past_due"] = time.time() > details["due_by"]
    _send("charge.dispute.updated", dispute, previous)
    return web.json_response(dispute)


async def create_file(request: web.Request) -> web.Response:
    """A file upload (multipart, as Stripe's files.stripe.com takes it); dispute evidence only."""
    if not re.fullmatch(r"Bearer sk_\w+", request.headers.get("Authorization", "")):
        _fail(401, "Invalid API Key provided: send a secret key as 'Authorization: Bearer sk_...'.")
    if request.content_type != "multipart/form-data":
        _fail(400, "File uploads are multipart/form-data, with the fields purpose and file.")
    if not request.headers.get("Idempotency-Key"):
        _fail(400, "Every file upload to this stand-in must carry an Idempotency-Key header.")
    form = await request.post()
    for name in form:
        if name not in ("purpose", "file"):
            _fail(400, f"Received unknown parameter: {name}", param=name)
    if form.get("purpose") != "dispute_evidence":
        _fail(400, "This stand-in keeps dispute evidence only: purpose must be 'dispute_evidence'.", param="purpose")
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        _fail(400, "Missing required param: file (a file part).", param="file", code="parameter_missing")
    body = upload.file.read()
    upload.file.seek(0)
    kind = next((kind for magic, kind in FILE_TYPES.items() if body.startswith(magic)), None)
    if kind is None:
        _fail(400, "Dispute evidence must be a PDF, PNG or JPEG file.", param="file", code="file_type_invalid")
    if len(body) > MAX_FILE_BYTES:
        _fail(400, f"The file is {len(body)} bytes; dispute evidence takes at most {MAX_FILE_BYTES}.", param="file")
    made = {
        "id": stand_in._new_id("file_"),
        "object": "file",
        "created": int(time.time()),
        "expires_at": None,
        "filename": upload.filename,
        "links": None,
        "purpose": "dispute_evidence",
        "size": len(body),
        "title": None,
        "type": kind,
        "url": None,
    }
    Disputes.files[made["id"]] = {**made, "_body": body}
    return web.json_response(made)


@web.middleware
async def refuse_refunds_of_disputed_charges(request, handler):
    """Stripe's charge_disputed: a charge the bank has charged back cannot be refunded (an inquiry's still can)."""
    if request.method == "POST" and request.path == "/v1/refunds":
        data = await request.post()
        charge_id = data.get("charge", "")
        intent = store.get(f"payment_intent:{data.get('payment_intent', '')}")
        if intent is not None and intent.latest_charge is not None:
            charge_id = intent.latest_charge.id
        for dispute in Disputes.disputes.values():
            if dispute["charge"] == charge_id and not dispute["status"].startswith("warning_"):
                _fail(400, f"Charge {charge_id} has been charged back; cannot issue a refund.", code="charge_disputed")
    return await handler(request)


async def multipart_fingerprint(request: web.Request) -> tuple:
    """A file upload's parameters for the idempotency check: its fields and files, whatever the multipart boundary
    (a retried upload encodes the same file with a new boundary)."""
    form = await request.post()
    parts = []
    for name, value in form.items():
        if isinstance(value, web.FileField):
            digest = hashlib.sha256(value.file.read()).hexdigest()
            value.file.seek(0)
            parts.append((name, f"{value.filename}:{digest}"))
        else:
            parts.append((name, value))
    return (request.path, tuple(sorted(parts)))


def install(app: web.Application) -> None:
    app.router.add_post("/_config/disputes", open_dispute)
    app.router.add_post("/_config/disputes/{id}/close", close_dispute)
    app.router.add_get("/v1/disputes", list_disputes)
    app.router.add_get("/v1/disputes/{id}", retrieve_dispute)
    app.router.add_post("/v1/disputes/{id}", update_dispute)
    app.router.add_post("/v1/files", create_file)
