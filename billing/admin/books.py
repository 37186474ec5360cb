"""The ledger (its totals must balance) and Stripe's webhook events (process one again)."""

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from billing import ledger, webhooks
from billing.admin.base import counted, money
from billing.models import LedgerEntry, StripeEvent
from core.admin import ReadOnlyAdminMixin, dollars


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every movement of money; the list's header shows each kind's total and any pickup whose books do not balance."""

    list_display = ("created_at", "kind", "amount", "customer", "hauler", "pickup_id", "reference", "memo")
    list_filter = ("kind", "created_at")
    list_select_related = ("customer", "hauler")
    search_fields = ("key", "memo", "customer__name", "hauler__name")
    date_hierarchy = "created_at"

    amount = money("amount_cents", "amount")

    @admin.display(description="payment / refund / payout")
    def reference(self, entry):
        parts = [
            f"{label} {pk}"
            for label, pk in (("payment", entry.payment_id), ("refund", entry.refund_id), ("payout", entry.payout_id))
            if pk
        ]
        return ", ".join(parts) or "—"

    def changelist_view(self, request, extra_context=None):
        totals = ledger.totals()
        extra_context = {
            **(extra_context or {}),
            "ledger_totals": [(label, dollars(totals[kind])) for kind, label in LedgerEntry.Kind.choices],
            "unbalanced": [
                {
                    "pickup": pickup_id,
                    "difference": dollars(difference),
                    "url": reverse(f"{self.admin_site.name}:marketplace_pickup_change", args=[pickup_id]),
                }
                for pickup_id, difference in sorted(ledger.unbalanced_pickups().items())
            ],
        }
        return super().changelist_view(request, extra_context)


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "type", "event_id", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("event_id", "type")
    date_hierarchy = "received_at"
    readonly_fields = (
        "event_id",
        "type",
        "status",
        "outcome",
        "attempts",
        "received_at",
        "processed_at",
        "payload_shown",
    )
    fields = readonly_fields
    actions = ("process_again",)

    @admin.display(description="payload")
    def payload_shown(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    def has_process_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_stripeevent")

    @admin.action(description="Process again", permissions=["process"])
    def process_again(self, request, queryset):
        """Failed events are set back to received and handled again; processed and ignored ones stay as they are."""
        outcomes = {}
        for event in queryset.only("pk", "status"):
            if event.status == StripeEvent.Status.FAILED:
                StripeEvent.objects.filter(pk=event.pk, status=StripeEvent.Status.FAILED).update(
                    status=StripeEvent.Status.RECEIVED
                )
            status = webhooks.process(event_pk=event.pk)
            outcomes.setdefault(status, []).append(event.pk)
        for status, pks in sorted(outcomes.items()):
            label = StripeEvent.Status(status).label.lower()
            level = messages.ERROR if status == StripeEvent.Status.FAILED else messages.SUCCESS
            self.message_user(request, f"{counted(len(pks), 'event')} now {label}.", level)
