"""The business API's receipts: one per paid charge with what was charged, refunded and credited; a PDF each;
another business's (or an unpaid payment's) a 404; the list's queries do not grow with its length."""

import pytest
from django.urls import reverse

from billing import refunds
from billing.models import LedgerEntry, Refund
from tests import factories
from tests.billing import support
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_schema import assert_matches_schema, openapi

__all__ = ["openapi"]  # the schema fixture, shared

pytestmark = pytest.mark.django_db

RECEIPTS = "/api/v1/billing/receipts/"
# The token with its user (the seat and the business come from the cache), the page of payments (with their pickups
# and places), the invoices' lines, the ledger entries and the card: whatever the page's length.
RECEIPT_LIST_QUERIES = 5


def booked_refund(payment, cents: int, *, pickup_id=None) -> Refund:
    """A refund Stripe confirmed, booked as refund_payment books it."""
    made = Refund.objects.create(
        payment=payment,
        pickup_id=pickup_id or payment.pickup_id,
        amount_cents=cents,
        reason="Late",
        stripe_refund_id=f"re_{payment.pk}_{cents}",
    )
    refunds._book_refund(made, payment)
    return made


@pytest.fixture
def paid(customer, location, in_area_hauler):
    factories.BillingAccountFactory(customer=customer, card_brand="mastercard", card_last4="4444")
    pickup = support.completed_pickup(location=location, hauler=in_area_hauler, price_cents=8_220)
    return support.paid_payment(pickup)


def test_the_list_has_each_paid_charge_with_its_refunds_and_credit(api, paid, location, in_area_hauler):
    booked_refund(paid, 2_000)
    refunds.grant_credit(customer=paid.customer, amount_cents=500, reason="Sorry", key="k", pickup=paid.pickup)
    support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))

    body = api.get(RECEIPTS).json()

    assert [row["id"] for row in body["results"]] == [paid.pk]  # the failed payment has no receipt
    row = body["results"][0]
    assert row["payment"] == paid.pk and row["pickup"] == paid.pickup_id and row["invoice"] is None
    assert row["card"] == {"brand": "mastercard", "last4": "4444"}
    assert row["time_zone"] == "America/Chicago"
    assert (row["amount_cents"], row["credit_cents"], row["charged_cents"]) == (8_220, 0, 8_220)
    assert (row["refunded_cents"], row["paid_cents"], row["credited_cents"]) == (2_000, 6_220, 500)
    refund_at = LedgerEntry.objects.get(kind="refund").created_at
    assert row["refunds"] == [
        {"amount_cents": 2_000, "refunded_at": refund_at.isoformat().replace("+00:00", "Z"), "pickup": paid.pickup_id}
    ]
    assert [(c["amount_cents"], c["reason"]) for c in row["credits"]] == [(500, "Sorry")]
    assert row["lines"][0]["refunded_cents"] == 2_000 and row["lines"][0]["description"] == paid.description
    assert row["page"] == reverse("receipt_detail", args=[paid.pk])
    assert row["pdf"] == reverse("api:receipt-pdf", args=[paid.pk])


def test_the_detail_and_the_pdf(api, paid):
    booked_refund(paid, 8_220)

    detail = api.get(f"{RECEIPTS}{paid.pk}/")
    pdf = api.get(f"{RECEIPTS}{paid.pk}/pdf/", HTTP_ACCEPT="application/pdf")

    assert detail.status_code == 200 and detail.json()["paid_cents"] == 0
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert f'filename="receipt-{paid.pk}.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF-") and pdf["Cache-Control"] == "private, no-store"


def test_an_invoice_s_receipt_has_a_line_per_visit(api, customer, location, in_area_hauler):
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40 + n) for n in range(2)]
    invoice = support.invoice_for(customer, visits)
    support.settle(invoice.payment, intent="pi_inv")
    booked_refund(invoice.payment, 300, pickup_id=visits[1].pk)

    row = api.get(f"{RECEIPTS}{invoice.payment.pk}/").json()

    assert row["invoice"] == invoice.pk and row["pickup"] is None
    assert [(line["pickup"], line["refunded_cents"]) for line in row["lines"]] == [
        (visits[1].pk, 300),
        (visits[0].pk, 0),
    ]
    assert row["refunded_cents"] == 300 and row["paid_cents"] == row["charged_cents"] - 300


def test_another_business_s_receipt_and_an_unpaid_one_are_404(api, paid, location, in_area_hauler):
    rival = factories.CustomerMembershipFactory(customer__name="Rival Diner")
    rival_api = client_for(rival.user)
    unpaid = support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))

    for client, payment_id in ((rival_api, paid.pk), (api, unpaid.pk)):
        for path in (f"{RECEIPTS}{payment_id}/", f"{RECEIPTS}{payment_id}/pdf/"):
            response = client.get(path)
            assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert rival_api.get(RECEIPTS).json()["results"] == []


@pytest.mark.parametrize("count", [1, 5])
def test_the_list_s_queries_do_not_grow(api, customer, location, in_area_hauler, count, django_assert_num_queries):
    factories.BillingAccountFactory(customer=customer)
    for _ in range(count):
        payment = support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
        booked_refund(payment, 100)
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40 + n) for n in range(count)]
    invoice = support.invoice_for(customer, visits)
    support.settle(invoice.payment, intent="pi_inv")

    with django_assert_num_queries(RECEIPT_LIST_QUERIES):
        body = api.get(RECEIPTS).json()

    assert len(body["results"]) == count + 1


def test_receipts_are_documented_and_answer_as_documented(openapi, api, paid):
    booked_refund(paid, 2_000)
    refunds.grant_credit(customer=paid.customer, amount_cents=500, reason="Sorry", key="k", pickup=paid.pickup)
    paths = openapi["paths"]

    assert {"cursor", "page_size"} <= {parameter["name"] for parameter in paths[RECEIPTS]["get"]["parameters"]}
    pdf = paths[f"{RECEIPTS}{{id}}/pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and {"401", "403", "404"} <= set(pdf)
    assert_matches_schema(openapi, api.get(RECEIPTS).json(), path=RECEIPTS, method="get", status=200)
    detail = api.get(f"{RECEIPTS}{paid.pk}/").json()
    assert_matches_schema(openapi, detail, path=f"{RECEIPTS}{{id}}/", method="get", status=200)
