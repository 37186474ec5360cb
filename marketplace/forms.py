"""Forms for the website."""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from core import geo
from core.catalog import Container, WasteStream
from customers.models import Membership as CustomerMembership
from customers.models import ServiceLocation
from haulers.models import WEEKDAY_NAMES
from haulers.models import Membership as HaulerMembership
from marketplace import notifications, selectors
from marketplace.models import MAX_QUANTITY, Frequency
from marketplace.services import AccountType, onboard_user


class SignupForm(AllauthSignupForm):
    """allauth's email + password signup, plus the organisation the person signs up for."""

    account_type = forms.ChoiceField(
        label="I am", choices=AccountType.CHOICES, widget=forms.RadioSelect, initial=AccountType.BUSINESS
    )
    company_name = forms.CharField(label="Company name", max_length=200, required=False)
    phone = forms.CharField(label="Phone (optional)", max_length=30, required=False)
    depot_zip = forms.CharField(
        label="Depot ZIP code", max_length=5, required=False, help_text="Haulers: where your trucks start."
    )
    invitation = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["account_type", "company_name", "email", "password1", "password2", "phone", "depot_zip"]

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
        if not data.get("company_name", "").strip():
            self.add_error("company_name", "Enter your company's name.")
        if data.get("account_type") == AccountType.HAULER:
            depot = data.get("depot_zip", "").strip()
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


WEEKDAY_CHOICES = [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]


class QuoteForm(forms.Form):
    """What to pick up, where and when: one time, or a recurring plan priced per visit."""

    location = forms.ModelChoiceField(queryset=ServiceLocation.objects.none(), empty_label=None)
    waste_stream = forms.ChoiceField(label="What", choices=WasteStream.choices)
    container = forms.ChoiceField(label="Container", choices=Container.choices)
    quantity = forms.IntegerField(label="How many containers", min_value=1, max_value=MAX_QUANTITY, initial=1)
    frequency = forms.ChoiceField(label="How often", choices=Frequency.choices, initial=Frequency.ONCE)
    service_date = forms.DateField(
        label="Pickup date (the first one, for recurring service)", widget=forms.DateInput(attrs={"type": "date"})
    )
    weekdays = forms.MultipleChoiceField(
        label="On (weekly service)", choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    day_of_month = forms.IntegerField(
        label="Day of the month (monthly service)", min_value=1, max_value=31, required=False,
        help_text="In shorter months, the last day.",
    )  # fmt: skip
    end_date = forms.DateField(label="Until (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations_of(customer=customer)

    def quote_arguments(self) -> dict:
        """The form's data as create_quote's keyword arguments."""
        data = dict(self.cleaned_data)
        data["weekdays"] = sum(1 << int(day) for day in data.get("weekdays") or [])
        if data["frequency"] == Frequency.ONCE:
            data.update(weekdays=0, day_of_month=None, end_date=None)
        return data


class PlanPauseForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (the same day to skip one visit)", widget=forms.DateInput(attrs={"type": "date"}))


class PlanEndForm(forms.Form):
    last_day = forms.DateField(label="Last day of service", widget=forms.DateInput(attrs={"type": "date"}))


class PlanWeekdaysForm(forms.Form):
    weekdays = forms.MultipleChoiceField(label="New days", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple)
    from_date = forms.DateField(label="Starting", widget=forms.DateInput(attrs={"type": "date"}))

    def mask(self) -> int:
        return sum(1 << int(day) for day in self.cleaned_data["weekdays"])


class DateChangeForm(forms.Form):
    service_date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))


class EmailPreferencesForm(forms.Form):
    """One checkbox per kind of event: checked means 'email me'."""

    def __init__(self, *args, muted: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in notifications.PREFERENCE_KINDS.items():
            self.fields[kind] = forms.BooleanField(label=label, required=False, initial=kind not in muted)

    def muted_kinds(self) -> set[str]:
        return {kind for kind in notifications.PREFERENCE_KINDS if not self.cleaned_data.get(kind)}
