"""Billing accounts: card, credit and booking pause; staff grant credit here."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path

from billing import ledger, refunds
from billing.admin.base import MoneyFormMixin
from billing.forms import GrantCreditForm
from billing.models import BillingAccount
from core.admin import ReadOnlyAdminMixin, dollars


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
            entry = refunds.grant_credit(
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
