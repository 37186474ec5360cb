"""Fill-level sensors on customers' containers, and what they report. A leaf: it knows no market."""

import hashlib
import secrets

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.catalog import Container, WasteStream

TOKEN_BYTES = 24


def new_token() -> str:
    return "hmd_" + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    # The token is random and long, so a plain SHA-256 (no salt, no stretching) cannot be guessed back.
    return hashlib.sha256(token.encode()).hexdigest()


class Device(models.Model):
    """A sensor watching one container at a service location, with the rules it drives."""

    serial = models.CharField(max_length=64, unique=True)
    location = models.ForeignKey("customers.ServiceLocation", on_delete=models.CASCADE, related_name="devices")
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(
        max_length=8, editable=False, help_text="The token's last characters, to tell them apart."
    )
    active = models.BooleanField(default=True)
    # Rules: collect when at least this full; skip a scheduled visit when below this at the cutoff.
    collect_at_percent = models.PositiveSmallIntegerField(
        default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    auto_book = models.BooleanField(default=False, help_text="Book a pickup by itself when full (else suggest one).")
    skip_below_percent = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["location", "serial"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collect_at_percent__gte=1, collect_at_percent__lte=100),
                name="device_collect_threshold_range",
            ),
            models.CheckConstraint(condition=Q(skip_below_percent__lte=100), name="device_skip_threshold_range"),
        ]

    def __str__(self):
        return f"Sensor {self.serial}"


class Reading(models.Model):
    """One fill-level report. A repeat of the same device and time is the same reading."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="readings")
    fill_percent = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    measured_at = models.DateTimeField()
    battery_percent = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    temperature_c = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device", "-measured_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "measured_at"], name="reading_once_per_device_time"),
            models.CheckConstraint(condition=Q(fill_percent__lte=100), name="reading_fill_0_to_100"),
        ]

    def __str__(self):
        return f"{self.fill_percent}% at {self.measured_at:%Y-%m-%d %H:%M}"
