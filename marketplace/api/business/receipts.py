"""The business API's receipts: one per paid charge (a one-time pickup's or a monthly invoice's), with what was
charged, refunded and credited, each figure summed from the ledger; and each receipt as a PDF.

A receipt's id is its payment's. Another business's receipt, or a payment not paid yet, is a 404.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from billing import pdf, receipts
from marketplace.api.business.billing import PDF, PdfView, _pdf_response
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.api.common import INVALID
from marketplace.api.pagination import Cursor


class CardSerializer(serializers.Serializer):
    brand = serializers.CharField(source="card_brand", help_text='e.g. "visa"; empty when no card is on file.')
    last4 = serializers.CharField(source="card_last4")


class RefundMovementSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(source="cents")
    refunded_at = serializers.DateTimeField(source="at", help_text="When it was booked.")
    pickup = serializers.IntegerField(source="pickup_id", help_text="The visit it was for.")


class CreditMovementSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(source="cents")
    credited_at = serializers.DateTimeField(source="at")
    pickup = serializers.IntegerField(source="pickup_id", help_text="The visit it was granted for.")
    reason = serializers.CharField(source="memo")


class ReceiptLineSerializer(serializers.Serializer):
    pickup = serializers.IntegerField(source="pickup_id")
    service_date = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    amount_cents = serializers.IntegerField(source="money.amount_cents", help_text="Card money and credit.")
    credit_cents = serializers.IntegerField(source="money.credit_cents", help_text="Credit spent on it.")
    charged_cents = serializers.IntegerField(source="money.charged_cents", help_text="Charged to the card.")
    refunded_cents = serializers.IntegerField(source="money.refunded_cents")
    credited_cents = serializers.IntegerField(
        source="money.credited_cents", help_text="Credit granted to the balance for this visit."
    )


class ReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="number", help_text="The receipt's number: its payment's id.")
    payment = serializers.IntegerField(source="payment.pk", help_text="See /api/v1/payments/{id}/.")
    description = serializers.CharField(source="payment.description")
    pickup = serializers.IntegerField(source="payment.pickup_id", allow_null=True, help_text="A one-time pickup's.")
    invoice = serializers.IntegerField(source="payment.invoice_id", allow_null=True, help_text="An invoice's.")
    paid_at = serializers.DateTimeField(source="payment.paid_at")
    time_zone = serializers.CharField(source="zone", help_text="The place's zone, which the PDF says dates in.")
    currency = serializers.CharField(source="payment.currency")
    card = CardSerializer(source="*", help_text="The card on file.")
    amount_cents = serializers.IntegerField(source="money.amount_cents", help_text="What was owed.")
    credit_cents = serializers.IntegerField(
        source="money.credit_cents", help_text="Credit spent instead of card money."
    )
    charged_cents = serializers.IntegerField(source="money.charged_cents", help_text="Charged to the card.")
    refunded_cents = serializers.IntegerField(source="money.refunded_cents", help_text="Given back to the card.")
    paid_cents = serializers.IntegerField(source="money.paid_cents", help_text="Charged less refunded.")
    credited_cents = serializers.IntegerField(
        source="money.credited_cents", help_text="Credit granted to the balance for its visits, for later payments."
    )
    lines = ReceiptLineSerializer(many=True, help_text="One per visit.")
    refunds = RefundMovementSerializer(many=True, source="money.refunds")
    credits = CreditMovementSerializer(many=True, source="money.credited")
    page = serializers.SerializerMethodField(help_text="The receipt on the website.")
    pdf = serializers.SerializerMethodField(help_text="A path on this server to the PDF (the same token fetches it).")

    def get_page(self, receipt) -> str:
        return reverse("receipt_detail", args=[receipt.number])

    def get_pdf(self, receipt) -> str:
        return reverse("api:receipt-pdf", args=[receipt.number])


class ReceiptListView(BusinessView):
    """Your receipts: one per charge that went through, newest first."""

    pagination_class = Cursor

    @extend_schema(
        tags=["billing"],
        summary="List your receipts, newest first",
        description="Each paid charge has one: a one-time pickup's, or a monthly invoice's. Refunds and credit since "
        "are on it.",
        responses={200: ReceiptSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        paginator = self.pagination_class()
        rows = paginator.paginate_queryset(receipts.receipts_of(customer=self.customer), request, view=self)
        found = receipts.receipts(payments=rows)
        return paginator.get_paginated_response(ReceiptSerializer(found, many=True).data)


class ReceiptDetailView(BusinessView):
    """One of your receipts."""

    @extend_schema(
        tags=["billing"],
        summary="One of your receipts",
        responses={200: ReceiptSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(ReceiptSerializer(receipts.receipt_of(customer=self.customer, payment_id=id)).data)


class ReceiptPdfView(PdfView):
    """One of your receipts as a PDF."""

    @extend_schema(
        tags=["billing"],
        summary="A receipt, as PDF",
        description="What was charged, refunded and credited, the card, dates in the place's zone.",
        responses={(200, "application/pdf"): PDF, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        receipt = receipts.receipt_of(customer=self.customer, payment_id=id)
        return _pdf_response(pdf.receipt_pdf(receipt=receipt), pdf.receipt_filename(receipt))
