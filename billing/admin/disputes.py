"""Card disputes: the queue by the bank's deadline, and the one thing staff do, send the staged evidence in time."""

from django.contrib import admin, messages
from django.db.models import Prefetch
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html

from billing import disputes
from billing.admin.base import ReadOnlyInline
from billing.models import Dispute, LedgerEntry
from core.admin import ReadOnlyAdminMixin, dollars
from core.errors import Conflict


def deadline_sentence(dispute: Dispute, *, now=None) -> str:
    """'Due in 3 days' / 'Due in 5 hours' / 'Overdue by 2 hours' / 'Sent' / 'Closed': the clock a queue shows."""
    if dispute.evidence_submitted_at is not None:
        return "Evidence sent"
    if dispute.status not in disputes.NEEDS_RESPONSE:
        return dispute.get_status_display()
    if dispute.due_by is None:
        return "No response taken"
    left = dispute.due_by - (now or timezone.now())
    hours = abs(left.total_seconds()) // 3600
    amount = f"{int(hours // 24)} days" if hours >= 48 else f"{int(hours)} hours" if hours >= 2 else "under 2 hours"
    return f"Due in {amount}" if left.total_seconds() > 0 else f"Overdue by {amount}"


class DisputeEntryInline(ReadOnlyInline, admin.TabularInline):
    model = LedgerEntry
    fields = ("created_at", "kind", "amount_cents", "pickup", "memo", "key")
    readonly_fields = fields
    verbose_name_plural = "ledger entries"


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "stripe_dispute_id",
        "payment",
        "amount",
        "reason",
        "status",
        "due_by",
        "deadline",
        "evidence_staged_at",
        "evidence_submitted_at",
    )
    list_filter = ("status", "reason")
    list_select_related = ("payment",)
    search_fields = ("stripe_dispute_id", "stripe_charge_id", "payment__customer__name")
    ordering = ("due_by", "id")  # the nearest deadline first
    readonly_fields = (
        "stripe_dispute_id",
        "payment",
        "stripe_charge_id",
        "amount",
        "fee",
        "reason",
        "status",
        "due_by",
        "deadline",
        "evidence_staged_at",
        "evidence_submitted_at",
        "submitted_by",
        "case_link",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    inlines = (DisputeEntryInline,)
    actions = ("submit_evidence",)

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, dispute):
        return dollars(dispute.amount_cents)

    @admin.display(description="Stripe's fee", ordering="fee_cents")
    def fee(self, dispute):
        return dollars(dispute.fee_cents)

    @admin.display(description="deadline")
    def deadline(self, dispute):
        return deadline_sentence(dispute)

    @admin.display(description="case")
    def case_link(self, dispute):
        # billing knows nothing of the market: the case is reached by its admin URL, by name.
        case = getattr(dispute, "case", None)
        if case is None:
            return "Not opened yet"
        try:
            url = reverse(f"{self.admin_site.name}:marketplace_case_change", args=[case.pk])
        except NoReverseMatch:
            return f"Case {case.pk}"
        return format_html('<a href="{}">Case {}</a>', url, case.pk)

    def get_queryset(self, request):
        entries = Prefetch("entries", queryset=LedgerEntry.objects.order_by("created_at", "id"))
        return super().get_queryset(request).prefetch_related(entries)

    def has_submit_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_dispute")

    @admin.action(description="Send the staged evidence to the bank", permissions=("submit",))
    def submit_evidence(self, request, queryset):
        sent = 0
        for dispute in queryset.order_by("due_by", "pk"):
            try:
                disputes.submit_evidence(dispute=dispute, by=request.user)
            except Conflict as error:
                self.message_user(request, f"{dispute.stripe_dispute_id}: {error}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent the evidence of {sent} dispute(s) to the bank.", messages.SUCCESS)
