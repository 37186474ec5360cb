"""The business API's money: payments (each paid one with a receipt PDF) and monthly invoices (with their PDFs).

The PDF endpoints take the API token or the website's session alike, so the website links to them too.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from billing import pdf, receipts
from billing import selectors as billing_selectors
from billing.models import Payment
from core.errors import Conflict
from marketplace.api.business import billing_serializers as b
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.api.common import INVALID, error_response
from marketplace.api.pagination import Cursor

PDF = OpenApiResponse(OpenApiTypes.BINARY, description="The PDF, as an attachment.")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # a business's money, never kept by a shared cache
    return response


class PdfView(BusinessView):
    # Answers a PDF, or an error as JSON whatever the Accept header asked for (a PDF client asks for PDF).

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type


# --- Payments -------------------------------------------------------------------------


class PaymentListView(BusinessView):
    """What your business has paid, or owes, newest first."""

    pagination_class = Cursor

    @extend_schema(
        tags=["billing"],
        summary="List your payments, newest first",
        description="One-time pickups are charged once done; recurring service is paid by monthly invoice.",
        responses={200: b.PaymentSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(billing_selectors.payment_list(customer=self.customer), b.PaymentSerializer)


class PaymentDetailView(BusinessView):
    """One of your payments."""

    @extend_schema(
        tags=["billing"],
        summary="One of your payments",
        responses={200: b.PaymentSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(b.PaymentSerializer(billing_selectors.payment_of(customer=self.customer, payment_id=id)).data)


class PaymentReceiptView(PdfView):
    """The receipt of one of your payments."""

    @extend_schema(
        tags=["billing"],
        summary="A payment's receipt, as PDF",
        description="For a payment that went through; refunds since are shown on it.",
        responses={
            (200, "application/pdf"): PDF,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The payment has not gone through (`conflict`)."),
        },
    )
    def get(self, request, id: int):
        payment = billing_selectors.payment_of(customer=self.customer, payment_id=id)
        if payment.status != Payment.Status.SUCCEEDED:
            raise Conflict("This payment has not gone through, so there is no receipt yet.")
        receipt = receipts.receipt_of(customer=self.customer, payment_id=payment.pk)
        return _pdf_response(pdf.receipt_pdf(receipt=receipt), pdf.receipt_filename(receipt))


# --- Invoices -------------------------------------------------------------------------


class InvoiceListView(BusinessView):
    """The monthly invoices for your recurring service, latest month first."""

    pagination_class = Cursor

    @extend_schema(
        tags=["billing"],
        summary="List your invoices, latest month first",
        responses={200: b.InvoiceSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(billing_selectors.invoice_list(customer=self.customer), b.InvoiceSerializer)


class InvoiceDetailView(BusinessView):
    """One of your invoices, with a line per visit."""

    @extend_schema(
        tags=["billing"],
        summary="One of your invoices, with its lines",
        responses={200: b.InvoiceDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        invoice = billing_selectors.invoice_of(customer=self.customer, invoice_id=id)
        return Response(b.InvoiceDetailSerializer(invoice).data)


class InvoicePdfView(PdfView):
    """One of your invoices as a PDF."""

    @extend_schema(
        tags=["billing"],
        summary="An invoice, as PDF",
        description="The printable invoice, as the website shows it.",
        responses={(200, "application/pdf"): PDF, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        invoice = billing_selectors.invoice_of(customer=self.customer, invoice_id=id)
        return _pdf_response(pdf.invoice_pdf(invoice=invoice), pdf.invoice_filename(invoice))
