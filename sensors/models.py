"""Fill-level sensors on customers' containers, and what they report. A leaf: it knows no market."""

import hashlib
import secrets

from django.conf import settings
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

    class Kind(models.TextChoices):
        BIN = "bin", "Bin"
        COMPACTOR = "compactor", "Compacting bin"

    serial = models.CharField(max_length=64, unique=True)
    # The id a network server or vendor cloud knows the device by (The Things Stack's device id, a vendor's id).
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # Which registered device model it is (sensors/device_models.py): how its uplink bytes are decoded.
    model = models.CharField(max_length=40, default="generic")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BIN)
    # A compactor holds this many times its loose volume; its fill is already the equivalent fill.
    capacity_multiplier = models.DecimalField(
        max_digits=4, decimal_places=1, default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    # A compactor that reports a compaction count rather than an equivalent fill: the count that means full.
    compactions_when_full = models.PositiveIntegerField(null=True, blank=True)
    # How often it reports: no reading for two intervals raises the offline alarm.
    reporting_interval_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)]
    )
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
    # Forecast rules (marketplace/bins.py): collect before the bin is full, skip a visit it can wait past.
    use_forecast = models.BooleanField(
        default=True, help_text="Book before the bin is forecast to fill, and skip a visit it can wait past."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What the device says now, kept on the row so a map of a city's bins is one query, not a scan of readings:
    # the latest reading (set by ingest) and the forecast from the readings since the last emptying
    # (sensors/state.py, after each batch).
    last_reading_at = models.DateTimeField(null=True, blank=True)
    last_fill_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    last_battery_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    fill_rate_per_day = models.FloatField(null=True, blank=True)
    full_at = models.DateTimeField(null=True, blank=True, help_text="When the bin is forecast to be full (100%).")
    # The forecast's weekday clock (Monday..Sunday rise relative to the bin's mean day) and the spread of the
    # readings around its line, which sets the collect rule's margin (sensors/rules.py).
    fill_weekday_factors = models.JSONField(null=True, blank=True)
    fill_spread_percent = models.FloatField(null=True, blank=True)
    battery_empty_at = models.DateTimeField(null=True, blank=True, help_text="When the battery is forecast to run out.")

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
    # A tilt sensor's angle from upright (a bin knocked over or lifted), when the device has one.
    tilt_degrees = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(180)])
    # A compactor's compactions since it was emptied, when it reports them (its fill is derived from them).
    compactions = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device", "-measured_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "measured_at"], name="reading_once_per_device_time"),
            models.CheckConstraint(condition=Q(fill_percent__lte=100), name="reading_fill_0_to_100"),
        ]

    def __str__(self):
        return f"{self.fill_percent}% at {self.measured_at:%Y-%m-%d %H:%M}"


class Alarm(models.Model):
    """Something wrong with a device or its bin. Opens once per device and kind; closes when the condition clears."""

    class Kind(models.TextChoices):
        OFFLINE = "offline", "Not reporting"
        BATTERY_LOW = "battery_low", "Battery running out"
        OVERFLOW_RISK = "overflow_risk", "Will overflow before the next visit"
        FILL_NOT_DROPPING = "fill_not_dropping", "Still full after a completed visit"
        IMPOSSIBLE_VALUE = "impossible_value", "Reporting impossible values"
        TEMPERATURE = "temperature", "Too hot (possible fire)"
        TILT = "tilt", "Tipped over"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="alarms")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=300, help_text="What was seen, in a sentence.")
    # What the alarm is about beyond the device, e.g. {"pickup": 12} for a visit the bin did not empty at.
    context = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind"], condition=Q(closed_at__isnull=True), name="alarm_open_once_per_device_kind"
            )
        ]
        indexes = [models.Index(fields=["closed_at", "kind"], name="alarm_open_by_kind")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.device.serial}"


class Integration(models.Model):
    """A network server or vendor cloud that pushes many devices' readings, with its own key.

    Scoped to one business when `customer` is set (it reaches only that business's devices), else to
    every device by external id (a platform-wide network such as a city's LoRaWAN server).
    """

    name = models.CharField(max_length=100)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="sensor_integrations"
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(max_length=8, editable=False)
    active = models.BooleanField(default=True)
    # Readings a minute it may push (across requests); beyond it the API answers 429.
    readings_per_minute = models.PositiveIntegerField(default=600_000, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
