"""Outbound webhooks: the endpoints a business or a hauler registered, and each event's delivery to each of them."""

from django.db import models
from django.db.models import Q


class WebhookEndpoint(models.Model):
    """A URL that receives the events its owner (a business or a hauler, never both) picked, signed with its secret."""

    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    hauler = models.ForeignKey(
        "haulers.Hauler", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="The event types sent here, e.g. pickup.completed.")
    # Kept in the clear: every delivery is signed with it. Shown to the owner once, when made or rotated.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too (a second v1 signature) until this time, so a receiver can switch.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True, help_text="An inactive endpoint is sent nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False, hauler__isnull=True)
                | Q(customer__isnull=True, hauler__isnull=False),
                name="webhook_endpoint_one_owner",
            )
        ]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint; a retry sends the same event id and body again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=40, help_text="The same for every endpoint the event went to.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(help_text="The body sent: id, type, created and data.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The last answer's HTTP status.")
    response_excerpt = models.CharField(max_length=500, blank=True, help_text="The start of the last answer's body.")
    error = models.CharField(max_length=300, blank=True, help_text="Why the last attempt did not deliver.")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            # One event reaches an endpoint once, however often the code that emits it runs.
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint")
        ]
        indexes = [
            # The retry sweep: pending deliveries whose next attempt is due.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.event_id} to {self.endpoint}"
