"""Quotes, pickups, the offers that match them to haulers, proof of service, and demand no hauler could meet."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.catalog import Container, WasteStream

MAX_QUANTITY = 20


class Frequency(models.TextChoices):
    ONCE = "once", "One time"
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Every month"


class Quote(models.Model):
    """A price offered to a customer for one request: a snapshot that expires."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="quotes")
    location = models.ForeignKey("customers.ServiceLocation", on_delete=models.CASCADE, related_name="quotes")
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)])
    service_date = models.DateField()
    # The arrival window the business chose (local time at the location), one of ARRIVAL_WINDOWS.
    window_start = models.TimeField(default=datetime.time(7, 0))
    window_end = models.TimeField(default=datetime.time(17, 0))
    price_cents = models.PositiveIntegerField(help_text="What the customer pays.")
    payout_cents = models.PositiveIntegerField(help_text="What the best-ranked hauler earns.")
    currency = models.CharField(max_length=3, default="usd")
    ranking = models.JSONField(
        default=list, help_text="Eligible haulers at quote time, best first: [{hauler, payout_cents}]."
    )
    # Recurring service: the price is per visit and service_date is the first visit.
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.ONCE)
    weekdays = models.PositiveSmallIntegerField(
        default=0, help_text="Weekly plans: bitmask, Monday is 1 ... Sunday 64."
    )
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(payout_cents__lte=F("price_cents")), name="quote_payout_within_price"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY), name="quote_quantity_range"
            ),
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="quote_window_ordered"),
        ]

    def __str__(self):
        return f"Quote {self.pk}: ${self.price_cents / 100:,.2f} for {self.service_date:%b %-d, %Y}"


class ExceptionReason(models.TextChoices):
    BLOCKED = "blocked", "Container blocked"
    CONTAMINATED = "contaminated", "Contaminated (wrong material in the container)"
    NOT_OUT = "not_out", "Container not put out"


class Pickup(models.Model):
    """One service visit on one date."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        OFFERED = "offered", "Offered to a hauler"
        SCHEDULED = "scheduled", "Scheduled"
        COMPLETED = "completed", "Completed"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"
        UNMATCHED = "unmatched", "No hauler found"

    S = Status
    # requested/unmatched -> scheduled directly: staff assigned a hauler by hand
    TRANSITIONS = {
        S.REQUESTED: {S.OFFERED, S.SCHEDULED, S.UNMATCHED, S.CANCELLED},
        # back to requested when the hauler declines or lets the offer expire: the cascade goes on
        S.OFFERED: {S.SCHEDULED, S.REQUESTED, S.UNMATCHED, S.CANCELLED},
        # back to requested when the hauler drops out (e.g. its licence lapsed): re-dispatch
        S.SCHEDULED: {S.COMPLETED, S.MISSED, S.CANCELLED, S.SKIPPED, S.REQUESTED},
        S.UNMATCHED: {S.REQUESTED, S.SCHEDULED, S.CANCELLED},
        S.MISSED: {S.REQUESTED},
        S.COMPLETED: set(),
        S.CANCELLED: set(),
        S.SKIPPED: set(),
    }
    HAULER_REQUIRED = (S.SCHEDULED, S.COMPLETED, S.MISSED)

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="pickups")
    location = models.ForeignKey("customers.ServiceLocation", on_delete=models.PROTECT, related_name="pickups")
    quote = models.OneToOneField(
        Quote,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pickup",
        help_text="Booking a quote twice gives one pickup.",
    )
    plan = models.ForeignKey("ServicePlan", null=True, blank=True, on_delete=models.PROTECT, related_name="visits")
    plan_date = models.DateField(
        null=True, blank=True, help_text="The plan's nominal date for this visit, before any holiday shift."
    )
    hauler = models.ForeignKey(
        "haulers.Hauler", null=True, blank=True, on_delete=models.PROTECT, related_name="pickups"
    )
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)])
    service_date = models.DateField(db_index=True)
    window_start = models.TimeField(
        default=datetime.time(7, 0), help_text="Local time at the location from which the hauler may arrive."
    )
    window_end = models.TimeField(default=datetime.time(17, 0), help_text="Local time by which the pickup is done.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    # Snapshots at booking: a later rate change never rewrites what was agreed.
    price_cents = models.PositiveIntegerField()
    payout_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The hauler came but could not service it, for a reason on the customer's side (so not held against it).
    exception_reason = models.CharField(max_length=20, choices=ExceptionReason.choices, blank=True)
    exception_notes = models.CharField(max_length=500, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the day-before reminders went out.")
    # Bin sensors: the device that booked this pickup (full) or skipped it (nearly empty), and when the
    # skip rule last looked at it.
    device = models.ForeignKey(
        "sensors.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="pickups"
    )
    sensor_checked_at = models.DateTimeField(null=True, blank=True)
    # The dispatcher put this job on this truck: the router keeps it there.
    truck = models.ForeignKey("haulers.Truck", null=True, blank=True, on_delete=models.SET_NULL, related_name="pinned")
    cancellation_fee_cents = models.PositiveIntegerField(default=0)
    make_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="make_ups",
        help_text="The missed or reported visit this one makes up for.",
    )

    class Meta:
        ordering = ["service_date", "id"]
        indexes = [
            models.Index(fields=["hauler", "service_date", "status"]),
            # A business's pickups in their list order (the API's pages, the dashboard's upcoming): without it a
            # page walked the date index of every business's pickups, or sorted all of this one's.
            models.Index(fields=["customer", "service_date", "id"], name="pickup_customer_day"),
            # The pickups a business had change lately (recent activity): transition() stamps updated_at.
            models.Index(fields=["customer", "updated_at"], name="pickup_customer_updated"),
        ]
        constraints = [
            # a make-up visit another hauler does for one that failed is paid by the platform, not the business
            models.CheckConstraint(
                condition=Q(payout_cents__lte=F("price_cents")) | Q(make_up_of__isnull=False),
                name="pickup_payout_within_price",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_QUANTITY), name="pickup_quantity_range"
            ),
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="pickup_window_ordered"),
            # two beats, or a rerun, never make a plan's visit twice
            models.UniqueConstraint(
                fields=["plan", "plan_date"], condition=Q(plan__isnull=False), name="pickup_one_visit_per_plan_date"
            ),
            models.CheckConstraint(
                condition=Q(cancellation_fee_cents__lte=F("price_cents")), name="pickup_cancellation_fee_within_price"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "completed", "missed"]) | Q(hauler__isnull=False),
                name="pickup_hauler_when_scheduled",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "requested",
                        "offered",
                        "scheduled",
                        "completed",
                        "missed",
                        "cancelled",
                        "skipped",
                        "unmatched",
                    ]
                ),
                name="pickup_status_valid",
            ),
        ]

    def __str__(self):
        return f"Pickup {self.pk} on {self.service_date} ({self.get_status_display()})"

    def window(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The arrival window as aware datetimes, in the location's timezone."""
        from marketplace.scheduling import window_bounds

        return window_bounds(
            service_date=self.service_date,
            window_start=self.window_start,
            window_end=self.window_end,
            tz_name=self.location.timezone,
        )


class Offer(models.Model):
    """A pickup offered to one hauler, who must answer by `answer_by`."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"
        RELEASED = "released", "Released after accepting"

    TRANSITIONS = {
        Status.PENDING: {Status.ACCEPTED, Status.DECLINED, Status.EXPIRED, Status.WITHDRAWN},
        # released: the hauler (or its lapsed credentials) gave the job back, and it counts against it;
        # withdrawn: the customer or staff moved the job, which is no fault of the hauler's
        Status.ACCEPTED: {Status.RELEASED, Status.WITHDRAWN},
        Status.RELEASED: set(),
        Status.DECLINED: set(),
        Status.EXPIRED: set(),
        Status.WITHDRAWN: set(),
    }

    pickup = models.ForeignKey(Pickup, on_delete=models.CASCADE, related_name="offers")
    hauler = models.ForeignKey("haulers.Hauler", on_delete=models.CASCADE, related_name="offers")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    payout_cents = models.PositiveIntegerField()
    answer_by = models.DateTimeField()
    # The pickup's service date, copied so a hauler's pending offers of a day are one range of the partial index
    # below: counting them through a join to pickups needed fresh planner statistics to stay fast. Set from the
    # pickup on save (bulk creators pass it); dispatch.reschedule moves it with the pickup's date.
    service_date = models.DateField(editable=False)
    decline_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the expiry sweep: pending offers past their answer-by time
            models.Index(fields=["answer_by"], condition=Q(status="pending"), name="offer_pending_answer_by"),
            # capacity: a hauler's pending offers
            models.Index(fields=["hauler", "status"], name="offer_hauler_status"),
            # capacity on a day: a hauler's pending offers of that date, read without joining pickups
            models.Index(fields=["hauler", "service_date"], condition=Q(status="pending"), name="offer_pending_day"),
        ]
        constraints = [
            # exactly one hauler wins a pickup, however many answer at once
            models.UniqueConstraint(fields=["pickup"], condition=Q(status="accepted"), name="offer_one_accepted"),
            models.UniqueConstraint(
                fields=["pickup", "hauler"], condition=Q(status="pending"), name="offer_one_pending_per_hauler"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "declined", "expired", "withdrawn", "released"]),
                name="offer_status_valid",
            ),
        ]

    def __str__(self):
        return f"Offer {self.pk} of pickup {self.pickup_id} to {self.hauler_id} ({self.status})"

    def save(self, *args, **kwargs):
        if self.service_date is None:
            self.service_date = self.pickup.service_date
        super().save(*args, **kwargs)


class UnmetDemand(models.Model):
    """A request no hauler could serve: where staff should recruit next."""

    customer = models.ForeignKey("customers.Customer", null=True, blank=True, on_delete=models.SET_NULL)
    zip_code = models.CharField("ZIP code", max_length=5, db_index=True)
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    service_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "unmet demand"

    def __str__(self):
        return f"{self.zip_code}: {self.get_waste_stream_display()} in {self.get_container_display()}"


def proof_upload_path(proof, filename: str) -> str:
    return f"proof/{proof.pickup.service_date:%Y/%m}/pickup-{proof.pickup_id}-{filename}"


class ServiceProof(models.Model):
    """What the hauler recorded when it did the pickup."""

    pickup = models.OneToOneField(Pickup, on_delete=models.CASCADE, related_name="proof")
    photo = models.FileField(upload_to=proof_upload_path)
    weight_kg = models.DecimalField(
        max_digits=8, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    notes = models.CharField(max_length=500, blank=True)
    serviced_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gte=0), name="proof_weight_not_negative"
            )
        ]

    def __str__(self):
        return f"Proof for pickup {self.pickup_id}"
