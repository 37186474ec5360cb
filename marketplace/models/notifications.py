"""Notifications: the in-app list, each email or text sent once, and the kinds a user turned off."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """A message shown in the app (and, unless the user turned that kind off, emailed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # One event, one message per person, however often a retried task sends it.
    dedupe_key = models.CharField(max_length=120)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once_per_event")]

    def __str__(self):
        return self.title


class Delivery(models.Model):
    """A message sent to a bare address or number (no account, so no Notification row): a retry skips it."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    dedupe_key = models.CharField(max_length=120)
    address = models.CharField(max_length=254)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["channel", "dedupe_key", "address"], name="delivery_once_per_address")
        ]

    def __str__(self):
        return f"{self.channel} to {self.address}: {self.dedupe_key}"


class NotificationPreference(models.Model):
    """A kind of event a user does not want emailed (they still see it in the app)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_emails")
    kind = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]

    def __str__(self):
        return f"{self.user}: no email for {self.kind}"
