"""Recurring service: a plan generates its visits ahead; pauses skip a stretch of them."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.catalog import Container, WasteStream
from marketplace.models.pickups import MAX_QUANTITY, Frequency


class ServicePlan(models.Model):
    """Recurring service: quoted and offered like a pickup; the hauler that accepts its first visit takes
    the plan, and the beat generates its later visits ahead (PLAN_HORIZON), already scheduled with it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Finding a hauler"
        ACTIVE = "active", "Active"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.ENDED, Status.CANCELLED},
        Status.ACTIVE: {Status.PENDING, Status.ENDED, Status.CANCELLED},
        Status.ENDED: set(),
        Status.CANCELLED: set(),
    }

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="plans")
    location = models.ForeignKey("customers.ServiceLocation", on_delete=models.PROTECT, related_name="plans")
    quote = models.OneToOneField("Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="plan")
    hauler = models.ForeignKey("haulers.Hauler", null=True, blank=True, on_delete=models.PROTECT, related_name="plans")
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
        help_text="The plan this one continues (e.g. after a change of weekdays).",
    )
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    quantity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)])
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    weekdays = models.PositiveSmallIntegerField(default=0, help_text="Bitmask: Monday is 1 ... Sunday 64.")
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last day of service, if any.")
    window_start = models.TimeField(default=datetime.time(7, 0), help_text="Every visit's arrival window, local time.")
    window_end = models.TimeField(default=datetime.time(17, 0))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    price_cents = models.PositiveIntegerField(help_text="Per visit.")
    payout_cents = models.PositiveIntegerField(help_text="Per visit.")
    currency = models.CharField(max_length=3, default="usd")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(payout_cents__lte=F("price_cents")), name="plan_payout_within_price"),
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="plan_window_ordered"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="plan_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=["weekly", "biweekly"], weekdays__gte=1, weekdays__lte=127)
                | Q(frequency="monthly", day_of_month__gte=1, day_of_month__lte=31),
                name="plan_recurrence_complete",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "ended", "cancelled"]), name="plan_status_valid"
            ),
        ]

    def __str__(self):
        return f"Plan {self.pk}: {self.get_frequency_display().lower()} from {self.start_date}"


class PlanPause(models.Model):
    """No visits from start_date to end_date (a single skipped visit is a pause of one day)."""

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="pauses")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="pause_ends_after_start"),
        ]

    def __str__(self):
        return f"No visits {self.start_date} to {self.end_date}"
