"""Forms for anyone with an account: signup (for a business or a hauler) and email preferences."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from core import geo
from customers.models import Membership as CustomerMembership
from haulers.models import Membership as HaulerMembership
from marketplace import notifications
from marketplace.services import AccountType, onboard_user


class SignupForm(AllauthSignupForm):
    """allauth's email + password signup, plus the organisation the person signs up for."""

    # Which side signs up is chosen by the link that led here (?as=hauler): the form then shows only that side's
    # fields, and carries the side in a hidden field so a POST with errors comes back the same.
    account_type = forms.ChoiceField(
        label="I am", choices=AccountType.CHOICES, widget=forms.HiddenInput, initial=AccountType.BUSINESS
    )
    company_name = forms.CharField(label="Company name", max_length=200, required=False)
    phone = forms.CharField(label="Phone (optional)", max_length=30, required=False)
    depot_zip = forms.CharField(
        label="Depot ZIP code", max_length=5, required=False, help_text="Haulers: where your trucks start."
    )
    invitation = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["account_type", "company_name", "email", "password1", "password2", "phone", "depot_zip"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.side = self._side()
        if self.side == "invitation":
            # The team that invited them exists already: only the person's own email and password are asked.
            for name in ("company_name", "phone", "depot_zip"):
                del self.fields[name]
        elif self.side != AccountType.HAULER:
            del self.fields["depot_zip"]  # a business has no depot

    def _side(self) -> str:
        """business, hauler or invitation: from the posted form, else from the link's presets."""
        source = self.data if self.is_bound else self.initial
        if source.get("invitation"):
            return "invitation"
        return AccountType.HAULER if source.get("account_type") == AccountType.HAULER else AccountType.BUSINESS

    def clean(self):
        data = super().clean()
        invitation = data.get("invitation")
        if invitation:
            membership = (
                CustomerMembership.objects.filter(token=invitation).first()
                or HaulerMembership.objects.filter(token=invitation).first()
            )
            if membership is None or membership.user_id is not None:
                raise ValidationError("This invitation link is no longer valid. Ask for a new one.")
            if data.get("email", "").lower() != membership.email:
                self.add_error("email", f"This invitation is for {membership.email}.")
            return data
        if not (data.get("company_name") or "").strip():
            self.add_error("company_name", "Enter your company's name.")
        if data.get("account_type") == AccountType.HAULER:
            depot = (data.get("depot_zip") or "").strip()
            if not depot:
                self.add_error("depot_zip", "Enter the ZIP code of your depot.")
            elif geo.lookup(depot) is None:
                self.add_error("depot_zip", f"We could not find ZIP code {depot}. Enter a 5-digit US ZIP code.")
        return data

    def save(self, request):
        # The user and their organisation are created together or not at all.
        with transaction.atomic():
            return super().save(request)

    def custom_signup(self, request, user):
        data = self.cleaned_data
        onboard_user(
            user=user,
            account_type=data["account_type"],
            company_name=data.get("company_name", ""),
            phone=data.get("phone", ""),
            depot_zip=data.get("depot_zip", ""),
            invitation=data.get("invitation", ""),
        )


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind of event: checked means 'email me'."""

    def __init__(self, *args, muted: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in notifications.PREFERENCE_KINDS.items():
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=kind not in muted)

    def muted_kinds(self) -> set[str]:
        return {kind for kind in notifications.PREFERENCE_KINDS if not self.cleaned_data.get(kind)}
