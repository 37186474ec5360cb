"""Payout accounts (refresh them from Stripe) and payouts (send a pending one again)."""

from django.contrib import admin, messages

from billing import payouts
from billing.admin.base import counted, money
from billing.admin.payments import EntryInline
from billing.models import Payout, PayoutAccount
from billing.stripe_gateway import GatewayError
from core.admin import ReadOnlyAdminMixin


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("hauler", "stripe_account_id", "details_submitted", "payouts_enabled", "updated_at")
    list_filter = ("payouts_enabled", "details_submitted")
    list_select_related = ("hauler",)
    search_fields = ("hauler__name", "stripe_account_id")
    actions = ("refresh_selected",)

    def has_refresh_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_payoutaccount")

    @admin.action(description="Refresh from Stripe", permissions=["refresh"])
    def refresh_selected(self, request, queryset):
        refreshed = 0
        for account in queryset:
            try:
                payouts.refresh_payout_account(stripe_account_id=account.stripe_account_id)
            except GatewayError as error:
                self.message_user(request, f"{account.hauler}: {error}", messages.ERROR)
            else:
                refreshed += 1
        if refreshed:
            self.message_user(request, f"Refreshed {counted(refreshed, 'payout account')}.", messages.SUCCESS)


class TransferInline(EntryInline):
    verbose_name_plural = "jobs paid (ledger entries)"


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "hauler", "amount", "status", "stripe_transfer_id", "paid_at")
    list_filter = ("status", "created_at")
    list_select_related = ("hauler",)
    search_fields = ("hauler__name", "stripe_transfer_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "hauler",
        "amount_cents",
        "currency",
        "status",
        "stripe_transfer_id",
        "transfer_group",
        "failure_message",
        "created_at",
        "paid_at",
    )
    fields = readonly_fields
    inlines = (TransferInline,)
    actions = ("send_again",)

    amount = money("amount_cents", "amount")

    def has_send_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_payout")

    @admin.action(description="Send pending payouts again", permissions=["send"])
    def send_again(self, request, queryset):
        sent = 0
        for payout in queryset.filter(status=Payout.Status.PENDING):
            try:
                payouts.send_payout(payout_id=payout.pk)
            except GatewayError as error:
                self.message_user(request, f"Payout {payout.pk}: {error}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent {counted(sent, 'payout')}.", messages.SUCCESS)
        else:
            self.message_user(request, "No pending payout was sent.", messages.WARNING)
