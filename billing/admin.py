"""Admin for money: billing accounts, payments and refunds, invoices, payouts, the ledger and Stripe's events.

Every row here is written by billing's services (and Stripe's webhooks), so staff look but do not edit. What staff
may do to money goes through the same services as everything else: refund a payment, grant credit, process a
webhook event again, refresh a payout account, send a pending payout again.
"""

import json
from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from billing import ledger, services, webhooks
from billing.forms import GrantCreditForm, RefundForm
from billing.models import (
    BillingAccount,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    Payout,
    PayoutAccount,
    Refund,
    StripeEvent,
)
from billing.stripe_gateway import GatewayError
from core.admin import ReadOnlyAdminMixin, dollars
from core.errors import Conflict
from core.views import apply_errors

MONEY_FORM_TEMPLATE = "admin/billing/money_form.html"


def money(field: str, description: str) -> Callable:
    """A changelist column showing a *_cents field as dollars."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return dollars(getattr(obj, field))

    return column


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    max_num = 0
    can_delete = False


class MoneyFormMixin:
    """A page of its own for one money action on one object (a refund, a credit grant), in the admin's look."""

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404("No such object.")
        return obj

    def _render_money_form(self, request, obj, *, title: str, form, facts: list, submit: str, problem: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "facts": facts,
            "submit": submit,
            "problem": problem,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, MONEY_FORM_TEMPLATE, context)

    def _change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


# --- Billing accounts and credit -----------------------------------------------------------------------------


class PausedFilter(admin.SimpleListFilter):
    title = "bookings"
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return (("yes", "Paused"), ("no", "Open"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(bookings_paused_at__isnull=self.value() == "no")
        return queryset


@admin.register(BillingAccount)
class BillingAccountAdmin(MoneyFormMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "card", "failed_payments", "paused", "updated_at")
    list_filter = (PausedFilter,)
    list_select_related = ("customer",)
    search_fields = ("customer__name", "stripe_customer_id", "card_last4")
    readonly_fields = (
        "customer",
        "card",
        "credit_balance",
        "stripe_customer_id",
        "payment_method_id",
        "failed_payments",
        "bookings_paused_at",
        "setup_attempts",
        "updated_at",
    )
    fields = readonly_fields

    @admin.display(description="card")
    def card(self, account):
        return account.card_label()

    @admin.display(description="bookings paused", boolean=True, ordering="bookings_paused_at")
    def paused(self, account):
        return account.bookings_paused_at is not None

    @admin.display(description="credit balance")
    def credit_balance(self, account):
        return dollars(ledger.credit_balance_cents(customer_id=account.customer_id))

    def has_grant_credit_permission(self, request) -> bool:
        return request.user.has_perm("billing.change_billingaccount")

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(self.grant_credit_view)
        name = f"{opts.app_label}_{opts.model_name}_grant_credit"
        return [path("<path:object_id>/grant-credit/", view, name=name), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_grant_credit": self.has_grant_credit_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def grant_credit_view(self, request, object_id):
        """Credit for the business, spent on its next payments before its card is charged."""
        account = self._object_or_404(request, object_id)
        if not self.has_grant_credit_permission(request):
            raise PermissionDenied
        form = GrantCreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            entry = services.grant_credit(
                customer=account.customer,
                amount_cents=data["amount_cents"],
                reason=data["reason"],
                key=f"staff:{data['token'].hex}",
            )
            self.message_user(
                request, f"Granted {dollars(entry.amount_cents)} of credit to {account.customer}.", messages.SUCCESS
            )
            return HttpResponseRedirect(self._change_url(account))
        facts = [
            ("Business", account.customer),
            ("Credit balance now", dollars(ledger.credit_balance_cents(customer_id=account.customer_id))),
        ]
        return self._render_money_form(
            request, account, title=f"Grant credit to {account.customer}", form=form, facts=facts, submit="Grant"
        )


# --- Payments and refunds ------------------------------------------------------------------------------------


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
    list_filter = ("status",)
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
        refundable = {pk: services.refundable_cents(payment=payment, pickup_id=pk) for pk in pickup_ids}
        problem = ""
        if payment.status != Payment.Status.SUCCEEDED or not payment.stripe_payment_intent_id:
            problem = "Only a paid card payment can be refunded."
        form = RefundForm(request.POST or None, refundable=refundable, lines=lines)
        if request.method == "POST" and not problem and form.is_valid():
            try:
                refund = services.refund_payment(payment=payment, by=request.user, **form.refund_arguments())
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
    list_select_related = ("payment", "created_by")
    search_fields = ("reason", "stripe_refund_id", "payment__customer__name")
    date_hierarchy = "created_at"
    inlines = (EntryInline,)

    amount = money("amount_cents", "amount")


# --- Invoices ------------------------------------------------------------------------------------------------


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


# --- Payouts -------------------------------------------------------------------------------------------------


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
                services.refresh_payout_account(stripe_account_id=account.stripe_account_id)
            except GatewayError as error:
                self.message_user(request, f"{account.hauler}: {error}", messages.ERROR)
            else:
                refreshed += 1
        if refreshed:
            self.message_user(request, f"Refreshed {_count(refreshed, 'payout account')}.", messages.SUCCESS)


class TransferInline(EntryInline):
    verbose_name_plural = "jobs paid (ledger entries)"


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "hauler", "amount", "status", "stripe_transfer_id", "paid_at")
    list_filter = ("status",)
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
                services.send_payout(payout_id=payout.pk)
            except GatewayError as error:
                self.message_user(request, f"Payout {payout.pk}: {error}", messages.ERROR)
            else:
                sent += 1
        if sent:
            self.message_user(request, f"Sent {_count(sent, 'payout')}.", messages.SUCCESS)
        else:
            self.message_user(request, "No pending payout was sent.", messages.WARNING)


# --- The ledger ----------------------------------------------------------------------------------------------


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every movement of money; the list's header shows each kind's total and any pickup whose books do not balance."""

    list_display = ("created_at", "kind", "amount", "customer", "hauler", "pickup_id", "reference", "memo")
    list_filter = ("kind",)
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


# --- Stripe's webhook events ---------------------------------------------------------------------------------


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
            self.message_user(request, f"{_count(len(pks), 'event')} now {label}.", level)
