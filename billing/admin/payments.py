"""Payments (refund one here), their refunds, and monthly invoices."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from billing import refunds
from billing.admin.base import MoneyFormMixin, ReadOnlyInline, money
from billing.forms import RefundForm
from billing.models import Invoice, InvoiceLine, LedgerEntry, Payment, Refund
from core.admin import ReadOnlyAdminMixin, dollars
from core.errors import Conflict
from core.views import apply_errors


class RefundInline(ReadOnlyInline, admin.TabularInline):
    model = Refund
    fields = ("created_at", "pickup", "amount_cents", "reason", "created_by", "stripe_refund_id")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class EntryInline(ReadOnlyInline, admin.TabularInline):
    """The ledger entries a payment, refund or payout wrote."""

    model = LedgerEntry
    fields = ("created_at", "kind", "amount_cents", "pickup", "customer", "hauler", "memo", "key")
    readonly_fields = fields
    verbose_name_plural = "ledger entries"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "hauler")


@admin.register(Payment)
class PaymentAdmin(MoneyFormMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "customer",
        "description",
        "amount",
        "credit",
        "charged",
        "status",
        "attempts",
        "next_attempt_at",
    )
    list_filter = ("status", "created_at", "paid_at")
    list_select_related = ("customer",)
    search_fields = ("customer__name", "description", "stripe_payment_intent_id")
    date_hierarchy = "created_at"
    readonly_fields = (
        "customer",
        "description",
        "pickup",
        "invoice",
        "amount_cents",
        "credit_cents",
        "charged",
        "currency",
        "hauler",
        "payable_cents",
        "status",
        "stripe_payment_intent_id",
        "attempts",
        "next_attempt_at",
        "failure_message",
        "created_at",
        "paid_at",
    )
    fields = readonly_fields
    inlines = (RefundInline, EntryInline)

    amount = money("amount_cents", "amount")
    credit = money("credit_cents", "credit applied")

    @admin.display(description="charged to card")
    def charged(self, payment):
        return dollars(payment.charged_cents)

    def has_refund_permission(self, request) -> bool:
        return request.user.has_perm("billing.add_refund")

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(self.refund_view)
        name = f"{opts.app_label}_{opts.model_name}_refund"
        return [path("<path:object_id>/refund/", view, name=name), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_refund": self.has_refund_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def refund_view(self, request, object_id):
        """Give money back on a paid payment (all or part of one visit), with a reason; the platform fee absorbs it."""
        payment = self._object_or_404(request, object_id)
        if not self.has_refund_permission(request):
            raise PermissionDenied
        payment = (
            Payment.objects.select_related("customer", "invoice")
            .prefetch_related("entries", "refunds", Prefetch("invoice__lines"))
            .get(pk=payment.pk)
        )
        lines = list(payment.invoice.lines.all()) if payment.invoice_id else None
        pickup_ids = [line.pickup_id for line in lines] if lines is not None else [payment.pickup_id]
        refundable = {pk: refunds.refundable_cents(payment=payment, pickup_id=pk) for pk in pickup_ids}
        problem = ""
        if payment.status != Payment.Status.SUCCEEDED or not payment.stripe_payment_intent_id:
            problem = "Only a paid card payment can be refunded."
        form = RefundForm(request.POST or None, refundable=refundable, lines=lines)
        if request.method == "POST" and not problem and form.is_valid():
            try:
                refund = refunds.refund_payment(payment=payment, by=request.user, **form.refund_arguments())
            except ValidationError as error:
                apply_errors(form, error)
            except Conflict as error:
                form.add_error(None, str(error))
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, f"Refunded {dollars(refund.amount_cents)} on payment {payment.pk}.", messages.SUCCESS
                )
                return HttpResponseRedirect(self._change_url(payment))
        facts = [
            ("Business", payment.customer),
            ("Payment", payment.description),
            ("Charged to card", dollars(payment.charged_cents)),
            ("Status", payment.get_status_display()),
            ("Still refundable", dollars(sum(refundable.values()))),
        ]
        title = f"Refund payment {payment.pk}"
        return self._render_money_form(
            request, payment, title=title, form=form, facts=facts, submit="Refund", problem=problem
        )


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "payment", "pickup_id", "amount", "reason", "created_by", "stripe_refund_id")
    list_filter = ("created_at",)
    list_select_related = ("payment", "created_by")
    search_fields = ("reason", "stripe_refund_id", "payment__customer__name")
    date_hierarchy = "created_at"
    inlines = (EntryInline,)

    amount = money("amount_cents", "amount")


class InvoiceLineInline(ReadOnlyInline, admin.TabularInline):
    model = InvoiceLine
    fields = ("service_date", "pickup", "hauler", "description", "amount_cents", "credit_cents", "payable_cents")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("hauler")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("number", "customer", "month", "subtotal", "credit", "total", "status", "issued_at")
    list_filter = ("status", "month")
    list_select_related = ("customer",)
    search_fields = ("number", "customer__name")
    date_hierarchy = "month"
    inlines = (InvoiceLineInline,)
    readonly_fields = (
        "number",
        "customer",
        "month",
        "status",
        "subtotal_cents",
        "credit_cents",
        "total_cents",
        "currency",
        "issued_at",
        "payment_link",
    )
    fields = readonly_fields

    subtotal = money("subtotal_cents", "subtotal")
    credit = money("credit_cents", "credit")
    total = money("total_cents", "total")

    @admin.display(description="payment")
    def payment_link(self, invoice):
        payment = getattr(invoice, "payment", None)
        if payment is None:
            return "—"
        url = reverse(f"{self.admin_site.name}:billing_payment_change", args=[payment.pk])
        return format_html('<a href="{}">{}</a> ({})', url, payment, payment.get_status_display())
