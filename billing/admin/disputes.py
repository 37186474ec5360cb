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
from core.enqueue import enqueue
from core.errors import Conflict


def deadline_sentence(dispute: Dispute, *, now=None) -> str:
    """'Due in 3 days 4 hours', 'Due in 30 hours', 'Overdue by 2 hours', 'Evidence sent': the queue's clock."""
    if dispute.evidence_submitted_at is not None:
        return "Evidence sent"
    if dispute.status not in disputes.NEEDS_RESPONSE:
        return dispute.get_status_display()
    if dispute.due_by is None:
        return "No response taken"
    left = dispute.due_by - (now or timezone.now())
    hours = abs(left.total_seconds()) // 3600
    days, rest = divmod(int(hours), 24)
    if hours >= 48:
        amount = f"{days} days" + (f" {rest} hours" if rest > 1 else " 1 hour" if rest else "")
    else:
        amount = f"{int(hours)} hours" if hours >= 2 else "under 2 hours"
    return f"Due in {amount}" if left.total_seconds() > 0 else f"Overdue by {amount}"


class DisputeEntryInline(ReadOnlyInline, admin.TabularInline):
    model = LedgerEntry
    fields = ("created_at", "kind", "amount_cents", "pickup", "memo", "key")
    readonly_fields = fields
    verbose_name_plural = "ledger entries"


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The clock first: the bank decides without our evidence once it runs out.
    list_display = ("stripe_dispute_id", "deadline", "business", "amount", "standing", "why")
    list_filter = ("status",)
    list_select_related = ("payment__customer",)
    search_fields = ("stripe_dispute_id", "stripe_charge_id", "payment__customer__name")
    ordering = ("due_by", "id")  # the nearest deadline first
    readonly_fields = (
        "stripe_dispute_id",
        "payment",
        "stripe_charge_id",
        "amount",
        "fee",
        "why",
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
    actions = ("submit_evidence", "stage_evidence")

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, dispute):
        return dollars(dispute.amount_cents)

    @admin.display(description="Stripe's fee", ordering="fee_cents")
    def fee(self, dispute):
        return dollars(dispute.fee_cents)

    @admin.display(description="the cardholder's reason", ordering="reason")
    def why(self, dispute):
        return dispute.reason.replace("_", " ").capitalize() or "None given"

    @admin.display(description="evidence due", ordering="due_by")
    def deadline(self, dispute):
        clock = deadline_sentence(dispute)
        if dispute.due_by is None or dispute.status not in disputes.NEEDS_RESPONSE:
            return clock
        return f"{clock} ({timezone.localtime(dispute.due_by):%b %-d, %-I:%M %p})"

    @admin.display(description="business", ordering="payment__customer__name")
    def business(self, dispute):
        return dispute.payment.customer.name

    @admin.display(description="where it stands")
    def standing(self, dispute):
        if dispute.status in disputes.NEEDS_RESPONSE:
            staged = "evidence staged, not sent" if dispute.evidence_staged_at else "no evidence staged yet"
            return f"{dispute.get_status_display()}: {staged}"
        return dispute.get_status_display()

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

    @admin.action(description="Stage the evidence packet where it is missing", permissions=("submit",))
    def stage_evidence(self, request, queryset):
        """The market builds the packet (billing knows nothing of pickups): its task is asked for by name, and stages
        only what is not staged yet; one that failed (Stripe refused a file, say) is tried again."""
        missing = [
            dispute.pk
            for dispute in queryset
            if dispute.status in disputes.NEEDS_RESPONSE and dispute.evidence_staged_at is None
        ]
        for dispute_id in missing:
            enqueue("marketplace.open_dispute_case", dispute_id)
        if missing:
            self.message_user(request, f"Staging the evidence of {len(missing)} dispute(s); it shows here when done.")
        else:
            self.message_user(request, "Nothing to stage: each has its packet, or takes no more evidence.")
