"""Billing's forms: the development test-card form, and staff's refund and credit forms (amounts in dollars)."""

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone

from core.templatetags.money import dollars

# Stripe's test numbers and real ones alike are 12 to 19 digits.
CARD_DIGITS = (12, 19)
# A sanity bound on a typed amount; it also keeps cents within the ledger's integer column.
MAX_DOLLARS = Decimal("1000000.00")


class TestCardForm(forms.Form):
    """Only where stripe_gateway.test_cards_allowed(): a raw test card number, sent to the local Stripe stand-in."""

    number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
        help_text="For example 4242 4242 4242 4242.",
    )
    exp_month = forms.IntegerField(
        label="Expiry month",
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month"}),
    )
    exp_year = forms.IntegerField(
        label="Expiry year", widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year"}), help_text="Four digits."
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].replace("-", " ").split())
        low, high = CARD_DIGITS
        if not number.isdigit() or not low <= len(number) <= high:
            raise forms.ValidationError(f"Enter the card's {low} to {high} digits.")
        return number

    def clean_exp_year(self) -> int:
        year = self.cleaned_data["exp_year"]
        this_year = timezone.localdate().year
        if not this_year <= year <= this_year + 20:
            raise forms.ValidationError(f"Enter a year from {this_year} to {this_year + 20}.")
        return year

    def clean_cvc(self) -> str:
        cvc = self.cleaned_data["cvc"].strip()
        if not cvc.isdigit() or len(cvc) not in (3, 4):
            raise forms.ValidationError("Enter the 3 or 4 digits on the card.")
        return cvc

    def clean(self):
        data = super().clean()
        month, year = data.get("exp_month"), data.get("exp_year")
        today = timezone.localdate()
        if month and year and (year, month) < (today.year, today.month):
            self.add_error("exp_month", "This card has expired.")
        return data


class DollarsField(forms.DecimalField):
    """An amount typed in dollars ("12.50"), cleaned to integer cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        kwargs.setdefault("max_value", MAX_DOLLARS)
        super().__init__(max_digits=10, decimal_places=2, **kwargs)

    def clean(self, value):
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)


class RefundForm(forms.Form):
    """Money back on a paid payment; for an invoice payment, on one of its visits."""

    pickup = forms.TypedChoiceField(label="Visit", coerce=int, help_text="The invoice line the refund is for.")
    amount_cents = DollarsField(label="Amount (dollars)", help_text="In dollars and cents, e.g. 12.50.")
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept on the refund.")
    # A double click or a resubmitted page sends the same token: the refund is made once.
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def __init__(self, *args, refundable: dict[int, int], lines: list | None = None, **kwargs):
        """`refundable`: {pickup id: cents still refundable}; `lines`: an invoice's lines, None for a pickup payment."""
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        if lines is None:
            del self.fields["pickup"]
        else:
            self.fields["pickup"].choices = [("", "Choose the visit")] + [
                (
                    line.pickup_id,
                    f"{line.service_date:%b %-d, %Y}: {line.description} "
                    f"(refundable {dollars(refundable.get(line.pickup_id, 0))})",
                )
                for line in lines
            ]
        if len(refundable) == 1:
            self.fields[
                "amount_cents"
            ].help_text = f"In dollars and cents, at most {dollars(next(iter(refundable.values())))}."

    def clean(self):
        data = super().clean()
        cents = data.get("amount_cents")
        pickup_id = data.get("pickup") if "pickup" in self.fields else next(iter(self.refundable), None)
        if cents is not None and pickup_id is not None:
            available = self.refundable.get(pickup_id, 0)
            if cents > available:
                self.add_error("amount_cents", f"At most {dollars(available)} can be refunded for this visit.")
        return data

    def refund_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {"amount_cents": data["amount_cents"], "reason": data["reason"], "token": data.get("token")}
        if "pickup" in self.fields:
            arguments["pickup_id"] = data["pickup"]
        return arguments


class GrantCreditForm(forms.Form):
    """Credit for a business, spent on its next payments. The token makes a resubmitted form grant once."""

    amount_cents = DollarsField(label="Amount (dollars)", help_text="In dollars and cents, e.g. 25.00.")
    reason = forms.CharField(max_length=300, help_text="Shown in the ledger, e.g. 'Goodwill: late pickup on May 3'.")
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
