"""The Stripe stand-in's card disputes and file uploads (billing/devstripe_disputes.py), checked as Stripe checks."""

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.conf import settings

from billing.models import Payment
from tests import factories
from tests.services.billing_support import complete, save_card, scheduled_pickup
from tests.services.dispute_support import FEE, PAYOUT, PRICE, bank_decides, bank_opens, call, stand_in_events

pytestmark = pytest.mark.services


@pytest.fixture
def paid(stripe_on, customer, in_area_hauler, run_on_commit) -> Payment:
    factories.HaulerMembershipFactory(hauler=in_area_hauler)  # someone at the hauler to tell
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=PRICE, payout=PAYOUT))
    return Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)


def upload(content: bytes, *, key: str, purpose: str = "dispute_evidence", filename: str = "proof.pdf"):
    boundary = f"----haulmatch{time.monotonic_ns()}"  # a new boundary each time, as a retried upload has
    parts = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Authorization": f"Bearer {settings.STRIPE_SECRET_KEY}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Idempotency-Key": key,
    }
    request = urllib.request.Request(settings.STRIPE_API_BASE + "/v1/files", data=parts, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as answer:
        return answer.code, json.load(answer)


@pytest.mark.django_db
def test_the_stand_in_disputes_a_charge_and_checks_evidence_as_stripe_does(paid):
    opened = bank_opens(paid)
    assert (opened["object"], opened["status"], opened["amount"], opened["payment_intent"]) == (
        "dispute",
        "needs_response",
        PRICE,
        paid.stripe_payment_intent_id,
    )
    [withdrawal] = opened["balance_transactions"]
    assert (withdrawal["amount"], withdrawal["fee"], withdrawal["net"], withdrawal["reporting_category"]) == (
        -PRICE,
        FEE,
        -PRICE - FEE,
        "dispute",
    )
    assert opened["evidence_details"]["due_by"] > time.time() + 6 * 86400
    assert call("POST", "/_config/disputes", {"payment_intent": paid.stripe_payment_intent_id})[0] == 400  # once
    dispute_id = opened["id"]
    assert call("GET", f"/v1/disputes/{dispute_id}")[1]["id"] == dispute_id
    assert call("GET", "/v1/disputes/du_nothing")[0] == 404

    # Strict parameters: unknown fields, a file that was never uploaded, text where the bank needs a file id.
    for bad in ({"evidence[favourite_colour]": "red"}, {"evidence[service_documentation]": "file_nope"}, {"x": "1"}):
        status, body = call("POST", f"/v1/disputes/{dispute_id}", {**bad, "submit": "false"})
        assert status == 400, body
        assert body["error"]["type"] == "invalid_request_error"
    assert upload(b"GIF89a...", key="gif")[0] == 400  # PDF, PNG or JPEG only
    assert upload(b"%PDF-1.7 proof", key="pdf", purpose="identity_document")[0] == 400
    status, made = upload(b"%PDF-1.7 proof", key="pdf")
    assert (status, made["object"], made["purpose"], made["type"]) == (200, "file", "dispute_evidence", "pdf")
    again = upload(b"%PDF-1.7 proof", key="pdf")[1]  # the same upload under its key: the same file, not a second
    assert again["id"] == made["id"]
    assert upload(b"%PDF-1.7 other", key="pdf")[1]["error"]["type"] == "idempotency_error"

    staged = {"evidence[service_documentation]": made["id"], "evidence[service_date]": "2026-12-01", "submit": "false"}
    status, body = call("POST", f"/v1/disputes/{dispute_id}", staged, key="stage-1")
    assert (status, body["status"], body["evidence_details"]["has_evidence"]) == (200, "needs_response", True)
    assert body["evidence"]["service_documentation"] == made["id"]
    assert body["evidence_details"]["submission_count"] == 0
    status, body = call("POST", f"/v1/disputes/{dispute_id}", {"submit": "true"}, key="submit-1")
    assert (status, body["status"], body["evidence_details"]["submission_count"]) == (200, "under_review", 1)
    assert call("POST", f"/v1/disputes/{dispute_id}", {"evidence[service_date]": "x"})[0] == 400  # sent once

    won = bank_decides(dispute_id, "won")
    assert [txn["amount"] for txn in won["balance_transactions"]] == [-PRICE, PRICE]
    assert won["balance_transactions"][1]["fee"] == -FEE
    assert call("POST", f"/_config/disputes/{dispute_id}/close", {"status": "lost"})[0] == 400
    kinds = [event["type"] for event in stand_in_events(dispute_id)]
    assert sorted(kinds) == sorted(
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_reinstated",
        ]
    )
