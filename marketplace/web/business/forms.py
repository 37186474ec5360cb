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


class OnceQuoteForm(forms.Form):
    """One pickup: what, where, which day and window. Nothing about recurrence is asked (or accepted)."""

    kind = "once"
    location = forms.ModelChoiceField(queryset=ServiceLocation.objects.none(), empty_label=None)
    waste_stream = forms.ChoiceField(label="What", choices=WasteStream.choices)
    container = forms.ChoiceField(label="Container", choices=Container.choices)
    quantity = forms.IntegerField(label="How many containers", min_value=1, max_value=MAX_QUANTITY, initial=1)
    service_date = forms.DateField(label="Pickup date", widget=forms.DateInput(attrs={"type": "date"}))
    window = forms.ChoiceField(
        label="Arrival window",
        widget=forms.RadioSelect,
        required=False,  # not given: the first, "any time"
        help_text="Local time at the location.",
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.locations_of(customer=customer)
        self.fields["window"].choices = window_choices()
        self.fields["window"].initial = window_choices()[0][0]

    def quote_arguments(self) -> dict:
        """The form's data as create_quote's keyword arguments."""
        data = dict(self.cleaned_data)
        if data.get("window"):
            start, end = data["window"].split("-")
            data["window"] = (dt.time.fromisoformat(start), dt.time.fromisoformat(end))
        else:
            data["window"] = None
        data.update(frequency=Frequency.ONCE, weekdays=0, day_of_month=None, end_date=None)
        return data


RECURRING = [(value, label) for value, label in Frequency.choices if value != Frequency.ONCE]


class PlanQuoteForm(OnceQuoteForm):
    """Recurring service: how often, on which weekdays or day of the month, from when and until when."""

    kind = "recurring"
    frequency = forms.ChoiceField(label="How often", choices=RECURRING, initial=Frequency.WEEKLY)
    service_date = forms.DateField(label="First visit", widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.MultipleChoiceField(
        label="On (weekly and every two weeks)", choices=WEEKDAY_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    day_of_month = forms.IntegerField(
        label="Day of the month (monthly)", min_value=1, max_value=31, required=False,
        help_text="In shorter months, the last day.",
    )  # fmt: skip
    end_date = forms.DateField(label="Until (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    field_order = ["location", "waste_stream", "container", "quantity", "frequency", "weekdays", "day_of_month",
                   "service_date", "end_date", "window"]  # fmt: skip

    def quote_arguments(self) -> dict:
        data = super().quote_arguments()
        cleaned = self.cleaned_data
        data.update(
            frequency=cleaned["frequency"],
            weekdays=sum(1 << int(day) for day in cleaned.get("weekdays") or []),
            day_of_month=cleaned.get("day_of_month"),
            end_date=cleaned.get("end_date"),
        )
        if data["frequency"] == Frequency.MONTHLY:
            data["weekdays"] = 0  # a monthly plan keeps no weekdays ticked by mistake
        return data


def quote_form_class(request) -> type[OnceQuoteForm]:
    """Which booking form: recurring when the link (?kind=recurring) or the posted form says so. A POST naming
    a recurring frequency without `kind` (an older page, a script) is read as recurring too, never as once."""
    source = request.POST if request.method == "POST" else request.GET
    recurring = source.get("kind") == "recurring" or source.get("frequency") in dict(RECURRING)
    return PlanQuoteForm if recurring else OnceQuoteForm


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
