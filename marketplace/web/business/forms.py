"""Forms for the business pages: a quote or plan, and changes to a plan or a pickup's date."""

import datetime as dt

from django import forms
from django.conf import settings

from core.catalog import Container, WasteStream
from customers.models import ServiceLocation
from haulers.models import WEEKDAY_NAMES
from marketplace import selectors
from marketplace.models import MAX_QUANTITY, Frequency
from marketplace.web.formatting import window_label

WEEKDAY_CHOICES = [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]


def window_value(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def window_choices() -> list[tuple[str, str]]:
    """The arrival windows a business may pick (settings.ARRIVAL_WINDOWS); the first, the default, is "any time"."""
    return [
        (window_value(start, end), ("Any time " if index == 0 else "") + window_label(start, end))
        for index, (start, end) in enumerate(settings.ARRIVAL_WINDOWS)
    ]


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
    window = forms.ChoiceField(
        label="Arrival window",
        widget=forms.RadioSelect,
        required=False,  # not given: the first, "any time"
        help_text="Local time at the location.",
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
        self.fields["window"].choices = window_choices()
        self.fields["window"].initial = window_choices()[0][0]

    def quote_arguments(self) -> dict:
        """The form's data as create_quote's keyword arguments."""
        data = dict(self.cleaned_data)
        data["weekdays"] = sum(1 << int(day) for day in data.get("weekdays") or [])
        if data.get("window"):
            start, end = data["window"].split("-")
            data["window"] = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        else:
            data["window"] = None
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
