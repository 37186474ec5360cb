"""API shapes for money: a pickup's payment status, payments (with their receipts), invoices (with their PDFs)."""

import functools

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import Invoice, Payment, Refund

NOT_BILLED = "not_billed"
# A pickup's payment status: the payment's own, or not billed yet (not done, payments off, or invoiced later).
PICKUP_PAYMENT_STATUSES = [(NOT_BILLED, "Not billed yet"), *Payment.Status.choices]
PDF_PATH = "A path on this server to the PDF (the same token, or a signed-in browser, fetches it)."


class PickupPaymentSerializer(serializers.Serializer):
    """How a pickup is paid: charged on its own once done, or as a line of its plan's monthly invoice."""

    status = serializers.ChoiceField(choices=PICKUP_PAYMENT_STATUSES, help_text="For programs.")
    status_display = serializers.CharField(help_text='For people, e.g. "Paid", "Not billed yet".')
    amount_cents = serializers.IntegerField(allow_null=True, help_text="What is owed for it, once billed.")
    credit_cents = serializers.IntegerField(allow_null=True, help_text="Credit spent on it instead of card money.")
    charged_cents = serializers.IntegerField(allow_null=True, help_text="What the card pays for it.")
    paid_at = serializers.DateTimeField(allow_null=True)
    refunded_cents = serializers.IntegerField(help_text="Given back on it so far.")
    payment = serializers.IntegerField(allow_null=True, help_text="The payment (see /api/v1/payments/{id}/).")
    invoice = serializers.IntegerField(allow_null=True, help_text="For a plan's visit, the invoice it is a line of.")


def _refunded(pickup) -> int:
    annotated = getattr(pickup, "refunded_cents", None)  # selectors.with_payment_status adds it to lists
    if annotated is not None:
        return annotated
    return sum(Refund.objects.filter(pickup=pickup).values_list("amount_cents", flat=True))


def payment_status(pickup) -> dict:
    """The payment block of a pickup, from its payment or its invoice line (each one query unless joined)."""
    payment, invoice = getattr(pickup, "payment", None), None
    amount = credit = None
    line = getattr(pickup, "invoice_line", None)
    if payment is not None:
        amount, credit = payment.amount_cents, payment.credit_cents
    elif line is not None:
        invoice = line.invoice
        payment = getattr(invoice, "payment", None)
        amount, credit = line.amount_cents, line.credit_cents
    status, words = (payment.status, payment.get_status_display()) if payment else (NOT_BILLED, "Not billed yet")
    return {
        "status": status,
        "status_display": words,
        "amount_cents": amount,
        "credit_cents": credit,
        "charged_cents": amount - credit if amount is not None else None,
        "paid_at": payment.paid_at if payment else None,
        "refunded_cents": _refunded(pickup),
        "payment": payment.pk if payment else None,
        "invoice": invoice.pk if invoice else None,
    }


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Payment.Status.choices, help_text="For programs.")
    status_display = serializers.CharField(source="get_status_display", help_text='For people, e.g. "Paid".')
    amount_cents = serializers.IntegerField(help_text="What was owed.")
    credit_cents = serializers.IntegerField(help_text="Credit spent on it instead of card money.")
    charged_cents = serializers.IntegerField(help_text="What the card is charged (amount less credit).")
    refunded_cents = serializers.IntegerField(help_text="Given back on it so far.")
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    failure_message = serializers.CharField(allow_blank=True, help_text="Why the last attempt failed, if it did.")
    next_attempt_at = serializers.DateTimeField(allow_null=True, help_text="When a failed payment is tried again.")
    pickup = serializers.IntegerField(source="pickup_id", allow_null=True, help_text="The one-time pickup it pays.")
    invoice = serializers.IntegerField(source="invoice_id", allow_null=True, help_text="The invoice it pays.")
    receipt_pdf = serializers.SerializerMethodField(help_text=f"Once paid. {PDF_PATH}")

    def get_receipt_pdf(self, payment) -> str | None:
        if payment.status != Payment.Status.SUCCEEDED:
            return None
        return reverse("api:payment-receipt", args=[payment.pk])


class InvoiceLineSerializer(serializers.Serializer):
    pickup = serializers.IntegerField(source="pickup_id")
    service_date = serializers.DateField()
    description = serializers.CharField()
    amount_cents = serializers.IntegerField()
    credit_cents = serializers.IntegerField()


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    month = serializers.DateField(help_text="The first day of the month billed.")
    status = serializers.ChoiceField(choices=Invoice.Status.choices, help_text="For programs.")
    status_display = serializers.CharField(source="get_status_display", help_text='For people, e.g. "Paid".')
    subtotal_cents = serializers.IntegerField()
    credit_cents = serializers.IntegerField()
    total_cents = serializers.IntegerField()
    currency = serializers.CharField()
    issued_at = serializers.DateTimeField()
    payment = serializers.SerializerMethodField(help_text="The payment of the invoice, once opened.")
    pdf = serializers.SerializerMethodField(help_text=PDF_PATH)

    def get_payment(self, invoice) -> int | None:
        payment = getattr(invoice, "payment", None)
        return payment.pk if payment is not None else None

    def get_pdf(self, invoice) -> str:
        return reverse("api:invoice-pdf", args=[invoice.pk])


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, source="lines.all", help_text="One per visit, by date.")


@extend_schema_field(PickupPaymentSerializer)
class PickupPaymentField(serializers.Field):
    """A pickup's payment block, read from the pickup itself (source="*")."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)
        # One serializer for every row, as a list serializer keeps one child: making one per pickup copied its
        # nine fields again for each row of a page.
        self.block = PickupPaymentSerializer()

    def to_representation(self, pickup):
        # What the block's serializer gives, written out: its fields walked one by one cost more than the
        # pickup's whole row on a page of 25 (tests/marketplace/api/test_pickup_representation.py holds the two
        # equal).
        block = payment_status(pickup)
        paid_at = block["paid_at"]
        return {
            **block,
            "status_display": str(block["status_display"]),
            "paid_at": None if paid_at is None else self._paid_at.to_representation(paid_at),
        }

    @functools.cached_property
    def _paid_at(self):
        return self.block.fields["paid_at"]
