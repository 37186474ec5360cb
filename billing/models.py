"""Money: saved cards, payments, invoices, refunds, credits, hauler payouts, the ledger and Stripe's webhooks.

Every amount is integer cents in settings.CURRENCY. Market rows (customers, haulers, pickups) are referred to by
string foreign keys: billing never imports the market's code.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class BillingAccount(models.Model):
    """A business's Stripe customer and the card it pays with."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="billing")
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    payment_method_id = models.CharField(max_length=255, blank=True)
    card_brand = models.CharField(max_length=30, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # Payments that failed in a row; at PAYMENT_FAILURES_BEFORE_PAUSE new bookings pause until the card is fixed.
    failed_payments = models.PositiveSmallIntegerField(default=0)
    bookings_paused_at = models.DateTimeField(null=True, blank=True)
    setup_attempts = models.PositiveIntegerField(default=0, help_text="Card setups started (numbers their keys).")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Billing for {self.customer}"

    @property
    def has_card(self) -> bool:
        return bool(self.payment_method_id)

    def card_label(self) -> str:
        if not self.has_card:
            return "No card"
        expires = f"{self.card_exp_month:02d}/{self.card_exp_year}"
        return f"{self.card_brand.title()} ending {self.card_last4}, expires {expires}"


class Invoice(models.Model):
    """One invoice per business per month for its recurring service: a line per completed visit."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="invoices")
    month = models.DateField(help_text="The first day of the month billed.")
    number = models.CharField(max_length=30, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    subtotal_cents = models.PositiveIntegerField()
    credit_cents = models.PositiveIntegerField(default=0)
    total_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default=settings.CURRENCY)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="one_invoice_per_customer_month")]

    def __str__(self):
        return f"Invoice {self.number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    pickup = models.OneToOneField("marketplace.Pickup", on_delete=models.PROTECT, related_name="invoice_line")
    hauler = models.ForeignKey("haulers.Hauler", null=True, on_delete=models.PROTECT, related_name="+")
    service_date = models.DateField()
    description = models.CharField(max_length=200)
    amount_cents = models.PositiveIntegerField()
    credit_cents = models.PositiveIntegerField(default=0)
    payable_cents = models.PositiveIntegerField(default=0, help_text="The hauler's share of the amount.")

    class Meta:
        ordering = ["service_date", "id"]

    def __str__(self):
        return self.description


class Payment(models.Model):
    """One attempt-tracked payment: a one-time pickup (or its late-cancellation fee) or a monthly invoice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Paid"
        FAILED = "failed", "Failed"

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="payments")
    pickup = models.OneToOneField(
        "marketplace.Pickup", null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    invoice = models.OneToOneField(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    description = models.CharField(max_length=200)
    # What was owed, the credit applied to it, and what the card is charged (amount - credit).
    amount_cents = models.PositiveIntegerField()
    credit_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default=settings.CURRENCY)
    # For a pickup payment: who did the job and their share (an invoice's lines carry their own).
    hauler = models.ForeignKey("haulers.Hauler", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payable_cents = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pickup__isnull=False) ^ Q(invoice__isnull=False), name="payment_for_pickup_or_invoice"
            ),
            models.CheckConstraint(
                condition=Q(credit_cents__lte=models.F("amount_cents")), name="credit_within_amount"
            ),
            models.UniqueConstraint(
                fields=["stripe_payment_intent_id"],
                condition=~Q(stripe_payment_intent_id=""),
                name="one_payment_per_intent",
            ),
        ]

    def __str__(self):
        return f"Payment {self.pk}: {self.description}"

    @property
    def charged_cents(self) -> int:
        return self.amount_cents - self.credit_cents


class Refund(models.Model):
    """Money given back on a payment, by staff, with a reason; tied to one pickup for the ledger."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    pickup = models.ForeignKey("marketplace.Pickup", on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    stripe_refund_id = models.CharField(max_length=255, blank=True)
    request_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="The staff form's token: sent twice, it refunds once.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One Stripe refund is booked once per pickup: a refund of an invoice spreads over its visits' rows.
            models.UniqueConstraint(
                fields=["stripe_refund_id", "pickup"],
                condition=~Q(stripe_refund_id=""),
                name="one_refund_row_per_stripe_refund_and_pickup",
            ),
        ]

    def __str__(self):
        return f"Refund {self.pk}: {self.amount_cents} cents"


class PayoutAccount(models.Model):
    """A hauler's Stripe Connect Express account."""

    hauler = models.OneToOneField("haulers.Hauler", on_delete=models.CASCADE, related_name="payout_account")
    stripe_account_id = models.CharField(max_length=255, unique=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    onboarding_links = models.PositiveIntegerField(default=0, help_text="Onboarding links made (numbers their keys).")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.hauler} ({self.stripe_account_id})"


class Payout(models.Model):
    """One transfer to a hauler in a payout run, covering the jobs it lists in the ledger."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    hauler = models.ForeignKey("haulers.Hauler", on_delete=models.PROTECT, related_name="payouts")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default=settings.CURRENCY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_transfer_id = models.CharField(max_length=255, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Payout {self.pk} to {self.hauler}"

    @property
    def transfer_group(self) -> str:
        return f"payout_{self.pk}"


class Dispute(models.Model):
    """A card dispute (chargeback) the cardholder's bank opened on one of our payments, as Stripe reports it."""

    class Status(models.TextChoices):
        # Stripe's own values: an inquiry (warning_*) moves no money; a dispute takes it until it is decided
        WARNING_NEEDS_RESPONSE = "warning_needs_response", "Inquiry: needs a response"
        WARNING_UNDER_REVIEW = "warning_under_review", "Inquiry: under review"
        WARNING_CLOSED = "warning_closed", "Inquiry closed"
        NEEDS_RESPONSE = "needs_response", "Needs a response"
        UNDER_REVIEW = "under_review", "Under review"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="disputes")
    stripe_dispute_id = models.CharField(max_length=255, unique=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True)
    amount_cents = models.PositiveIntegerField()
    fee_cents = models.PositiveIntegerField(default=0, help_text="Stripe's dispute fee, when it took one.")
    currency = models.CharField(max_length=3, default=settings.CURRENCY)
    reason = models.CharField(max_length=40, blank=True, help_text="Stripe's reason code, e.g. product_not_received.")
    status = models.CharField(max_length=30, choices=Status.choices, db_index=True)
    due_by = models.DateTimeField(null=True, blank=True, help_text="Evidence must be submitted before this.")
    evidence_staged_at = models.DateTimeField(null=True, blank=True)
    evidence_submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_by", "id"]

    def __str__(self):
        return f"Dispute {self.stripe_dispute_id} ({self.get_status_display()})"


class LedgerEntry(models.Model):
    """One movement of money. Per pickup: charges - refunds = hauler payable + platform fee - credits applied.

    Entries are written once (the unique `key` makes a retried write a no-op) and never edited.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"  # the customer's card paid this
        PLATFORM_FEE = "platform_fee", "Platform fee"  # HaulMatch's share (negative when a refund comes out of it)
        HAULER_PAYABLE = "hauler_payable", "Hauler payable"  # owed to the hauler for the job
        REFUND = "refund", "Refund"  # money back to the card
        CREDIT_GRANTED = "credit_granted", "Credit granted"  # the business's credit balance grows (no pickup balance)
        CREDIT = "credit", "Credit applied"  # credit spent on this pickup instead of card money
        TRANSFER = "transfer", "Transfer"  # the hauler was paid what it was owed for this pickup
        # a payout's transfer Stripe refused for good: that pickup is owed again, for a later payout
        TRANSFER_REVERSED = "transfer_reversed", "Transfer reversed"
        # a card dispute: the bank took the amount back (and Stripe its fee); won, both come back
        DISPUTE_WITHDRAWN = "dispute_withdrawn", "Dispute: funds withdrawn"
        DISPUTE_FEE = "dispute_fee", "Dispute fee"
        DISPUTE_REINSTATED = "dispute_reinstated", "Dispute: funds reinstated"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    amount_cents = models.IntegerField()
    currency = models.CharField(max_length=3, default=settings.CURRENCY)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    hauler = models.ForeignKey(
        "haulers.Hauler", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    pickup = models.ForeignKey(
        "marketplace.Pickup", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    payout = models.ForeignKey(Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    dispute = models.ForeignKey(Dispute, null=True, blank=True, on_delete=models.PROTECT, related_name="entries")
    memo = models.CharField(max_length=300, blank=True)
    key = models.CharField(max_length=120, unique=True, help_text="What wrote it; a second write is a no-op.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            # A pickup is in a payout once, and taken back out of a failed one once. That it is paid out once in
            # all (a later payout takes it only after a reversal) is held by pay_hauler, which works out what is
            # unpaid under the hauler's PayoutAccount lock, one run at a time.
            models.UniqueConstraint(
                fields=["pickup", "payout"], condition=Q(kind="transfer"), name="one_transfer_per_pickup_and_payout"
            ),
            models.UniqueConstraint(
                fields=["pickup", "payout"],
                condition=Q(kind="transfer_reversed"),
                name="one_reversal_per_pickup_and_payout",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount_cents}"


class StripeEvent(models.Model):
    """A webhook event from Stripe, stored once per event id, with how its handler fared."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (no handler)"
        FAILED = "failed", "Failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    outcome = models.TextField(blank=True, help_text="What the handler did, or the error it raised.")
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.type} {self.event_id}"
