"""The business API's money: payments with their refunds and receipts, invoices with their PDFs, and the
payment block on pickups, each scoped to one business and pinned to its queries at any length."""

import pytest
from django.urls import reverse

from billing.models import Payment, Refund
from tests.billing import support
from tests.marketplace.api.conftest import client_for

PAYMENTS = "/api/v1/payments/"
INVOICES = "/api/v1/invoices/"
PICKUPS = "/api/v1/pickups/"


@pytest.fixture
def paid(location, in_area_hauler):
    return support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler, price_cents=4_250))


@pytest.fixture
def invoice(customer, location, in_area_hauler):
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40 + n) for n in range(2)]
    return support.invoice_for(customer, visits)


def refund(payment: Payment, cents: int) -> Refund:
    return Refund.objects.create(
        payment=payment, pickup_id=payment.pickup_id, amount_cents=cents, reason="Late", stripe_refund_id=f"re_{cents}"
    )


def all_pages(api, url, **query) -> list[dict]:
    rows, page = [], api.get(url, query).json()
    while True:
        rows += page["results"]
        if not page["next"]:
            return rows
        page = api.get(page["next"]).json()


@pytest.mark.django_db
def test_a_paid_pickup_shows_its_payment_in_the_list_and_its_detail(api, paid):
    refund(paid, 1_000)

    listed = api.get(PICKUPS).json()["results"][0]
    detail = api.get(f"{PICKUPS}{paid.pickup_id}/").json()

    for body in (listed, detail):
        assert body["payment"] == {
            "status": "succeeded",
            "status_display": "Paid",
            "amount_cents": 4_250,
            "credit_cents": 0,
            "charged_cents": 4_250,
            "paid_at": body["payment"]["paid_at"],
            "refunded_cents": 1_000,
            "payment": paid.pk,
            "invoice": None,
        }
        assert body["payment"]["paid_at"].startswith(paid.paid_at.date().isoformat()[:4])


@pytest.mark.django_db
def test_an_unbilled_pickup_and_an_invoiced_visit_say_so(
    api, location, in_area_hauler, invoice, make_pickups, customer
):
    make_pickups(customer=customer)
    by_id = {row["id"]: row["payment"] for row in all_pages(api, PICKUPS)}

    line = invoice.lines.first()
    assert by_id[line.pickup_id]["status"] == invoice.payment.status
    assert (by_id[line.pickup_id]["invoice"], by_id[line.pickup_id]["payment"]) == (invoice.pk, invoice.payment.pk)
    assert by_id[line.pickup_id]["amount_cents"] == line.amount_cents
    unbilled = [payment for payment in by_id.values() if payment["invoice"] is None]
    assert unbilled == [
        {
            "status": "not_billed",
            "status_display": "Not billed yet",
            "amount_cents": None,
            "credit_cents": None,
            "charged_cents": None,
            "paid_at": None,
            "refunded_cents": 0,
            "payment": None,
            "invoice": None,
        }
    ]


@pytest.mark.django_db
def test_an_invoiced_visit_shows_its_invoice_payment_and_refunds_in_three_queries(
    api, invoice, django_assert_num_queries
):
    line = invoice.lines.first()
    Refund.objects.create(
        payment=invoice.payment, pickup_id=line.pickup_id, amount_cents=300, reason="Late", stripe_refund_id="re_line"
    )
    with django_assert_num_queries(3):  # the token with its seat, the pickup with its payment block, its history
        body = api.get(f"{PICKUPS}{line.pickup_id}/").json()
    assert body["payment"] | {"paid_at": None} == {
        "status": invoice.payment.status,
        "status_display": invoice.payment.get_status_display(),
        "amount_cents": line.amount_cents,
        "credit_cents": line.credit_cents,
        "charged_cents": line.amount_cents - line.credit_cents,
        "paid_at": None,
        "refunded_cents": 300,
        "payment": invoice.payment.pk,
        "invoice": invoice.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_the_pickup_list_with_payments_costs_the_same_queries_at_any_length(
    api, location, in_area_hauler, count, django_assert_max_num_queries
):
    for _ in range(count):
        support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
    with django_assert_max_num_queries(5):  # token, membership, page, (savepoints)
        response = api.get(PICKUPS, {"page_size": 100})
    assert len(response.json()["results"]) == count


@pytest.mark.django_db
def test_payments_list_newest_first_with_refunds_and_a_receipt_link(api, paid, location, in_area_hauler):
    failed = support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
    refund(paid, 250)

    body = api.get(PAYMENTS).json()

    assert [row["id"] for row in body["results"]] == [failed.pk, paid.pk]
    first, second = body["results"]
    assert (first["status"], first["status_display"], first["receipt_pdf"]) == ("failed", "Failed", None)
    assert first["failure_message"] == "Your card was declined."
    assert (second["amount_cents"], second["charged_cents"], second["refunded_cents"]) == (4_250, 4_250, 250)
    assert second["receipt_pdf"] == reverse("api:payment-receipt", args=[paid.pk])
    assert (second["pickup"], second["invoice"]) == (paid.pickup_id, None)
    assert api.get(f"{PAYMENTS}{paid.pk}/").json() == second


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 30])
def test_the_payment_and_invoice_lists_cost_the_same_queries_at_any_length(
    api, customer, location, in_area_hauler, count, django_assert_max_num_queries
):
    for _ in range(count):
        support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler))
    with django_assert_max_num_queries(4):
        assert len(api.get(PAYMENTS, {"page_size": 100}).json()["results"]) == count
    with django_assert_max_num_queries(4):
        assert api.get(INVOICES).status_code == 200


@pytest.mark.django_db
def test_payments_page_by_cursor_without_skipping_or_repeating(api, location, in_area_hauler):
    made = [support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler)) for _ in range(7)]

    first = api.get(PAYMENTS, {"page_size": 3}).json()
    assert first["previous"] is None and len(first["results"]) == 3
    ids = [row["id"] for row in all_pages(api, PAYMENTS, page_size=3)]
    assert ids == sorted((payment.pk for payment in made), reverse=True)
    second = api.get(first["next"]).json()
    assert [row["id"] for row in api.get(second["previous"]).json()["results"]] == ids[:3]


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["nonsense", "eyJwIjpbMV0sInIiOjB9"])
def test_a_made_up_cursor_is_a_404(api, cursor):
    response = api.get(PAYMENTS, {"cursor": cursor})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_invoices_list_and_detail_with_lines_and_a_pdf_link(api, invoice):
    listed = api.get(INVOICES).json()["results"]
    detail = api.get(f"{INVOICES}{invoice.pk}/").json()

    assert [row["id"] for row in listed] == [invoice.pk]
    assert listed[0]["pdf"] == detail["pdf"] == reverse("api:invoice-pdf", args=[invoice.pk])
    assert (detail["number"], detail["total_cents"], detail["payment"]) == (
        invoice.number,
        invoice.total_cents,
        invoice.payment.pk,
    )
    assert [line["pickup"] for line in detail["lines"]] == list(invoice.lines.values_list("pickup", flat=True))


@pytest.mark.django_db
def test_the_invoice_pdf_is_a_pdf_for_the_token_and_for_the_website(api, invoice, owner_client):
    url = reverse("api:invoice-pdf", args=[invoice.pk])
    for client in (api, owner_client):
        response = client.get(url, HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="invoice-{invoice.number}.pdf"' in response["Content-Disposition"]
        assert response.content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_the_invoice_page_links_to_its_pdf(owner_client, invoice):
    page = owner_client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert reverse("api:invoice-pdf", args=[invoice.pk]) in page


@pytest.mark.django_db
def test_the_billing_page_links_a_paid_payments_receipt_only(owner_client, paid, location, in_area_hauler):
    failed = support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))

    page = owner_client.get(reverse("billing")).content.decode()

    for name in ("receipt_detail", "api:receipt-pdf"):
        assert reverse(name, args=[paid.pk]) in page
        assert reverse(name, args=[failed.pk]) not in page
    assert owner_client.get(reverse("api:receipt-pdf", args=[paid.pk])).content.startswith(b"%PDF-")


@pytest.mark.django_db
def test_a_receipt_is_a_pdf_once_paid_and_a_409_before(api, paid, location, in_area_hauler):
    failed = support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))

    response = api.get(reverse("api:payment-receipt", args=[paid.pk]))
    refused = api.get(reverse("api:payment-receipt", args=[failed.pk]), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert (refused.status_code, refused["Content-Type"], refused.json()["code"]) == (
        409,
        "application/json",
        "conflict",
    )


@pytest.mark.django_db
def test_another_business_sees_none_of_it(other_customer, paid, invoice):
    rival = client_for(other_customer.memberships.get().user)

    assert rival.get(PAYMENTS).json()["results"] == []
    assert rival.get(INVOICES).json()["results"] == []
    for url in (
        f"{PAYMENTS}{paid.pk}/",
        reverse("api:payment-receipt", args=[paid.pk]),
        f"{INVOICES}{invoice.pk}/",
        reverse("api:invoice-pdf", args=[invoice.pk]),
    ):
        response = rival.get(url)
        assert (url, response.status_code, response.json()["code"]) == (url, 404, "not_found")


@pytest.mark.django_db
def test_the_pdf_fetches_nothing_but_static_files(settings):
    from billing import pdf

    with pytest.raises(ValueError):
        pdf._fetch_local("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(ValueError):
        pdf._fetch_local(f"{pdf.BASE_URL}etc/passwd")
    assert pdf._fetch_local(f"{pdf.BASE_URL}static/receipt.css").read().startswith(b"/*")


@pytest.mark.django_db
def test_payments_need_a_business_account(hauler_user, anonymous):
    assert anonymous.get(PAYMENTS).status_code == 401
    assert client_for(hauler_user).get(PAYMENTS).status_code == 403
    assert Payment.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("count", [2, 20])
def test_an_invoice_costs_the_same_queries_at_any_length(
    api, customer, location, in_area_hauler, count, django_assert_max_num_queries
):
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=35 + n) for n in range(count)]
    invoice = support.invoice_for(customer, visits)
    with django_assert_max_num_queries(5):  # token, membership, the invoice with its payment, its lines
        response = api.get(f"{INVOICES}{invoice.pk}/")
    assert len(response.json()["lines"]) == count
