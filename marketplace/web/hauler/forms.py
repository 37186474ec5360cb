"""Forms for the hauler portal: company, credentials, area, rates, offers and jobs; the fleet and the day's routes."""

import re
from decimal import Decimal

from django import forms

from core.catalog import Container, WasteStream
from haulers.models import MAX_RATE_CENTS, WEEKDAY_NAMES, Credential, DisposalSite, Hauler, Truck, weekday_bit
from marketplace.models import ExceptionReason
from marketplace.services import EARLY_REASON_MAX

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The service checks a document by its first bytes; `accept` only helps the phone's file picker.
DOCUMENT_ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
PHOTO_ACCEPT = "image/jpeg,image/png"
MAX_PASTED_ZIPS = 5_000


class CompanyForm(forms.Form):
    name = forms.CharField(label="Company name", max_length=200)
    phone = forms.CharField(
        max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    )
    depot_zip = forms.CharField(
        label="Depot ZIP code",
        max_length=5,
        help_text="Where your trucks start the day.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{5}", "autocomplete": "postal-code"}),
    )
    working_days = forms.TypedMultipleChoiceField(
        label="Working days",
        choices=[(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        required=False,  # none ticked: the service says "choose at least one"
        widget=forms.CheckboxSelectMultiple,
    )

    @classmethod
    def for_hauler(cls, hauler: Hauler, data=None):
        initial = {
            "name": hauler.name,
            "phone": hauler.phone,
            "depot_zip": hauler.depot_zip,
            "working_days": [str(day) for day in range(7) if hauler.works_on(day)],
        }
        return cls(data=data, initial=initial)

    def operations(self) -> dict:
        """The cleaned data as update_operations takes it (working days as the bitmask)."""
        data = dict(self.cleaned_data)
        data["working_days"] = sum(weekday_bit(day) for day in set(data["working_days"]))
        return data


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(label="Document", choices=Credential.Kind.choices)
    number = forms.CharField(label="Licence or policy number", max_length=100)
    issuer = forms.CharField(label="Issued by", max_length=200, help_text="The city, state agency or insurer.")
    valid_from = forms.DateField(label="Valid from", widget=DATE_INPUT)
    expires_on = forms.DateField(label="Expires on", widget=DATE_INPUT, help_text="The last day it is valid.")
    document = forms.FileField(
        label="Scan or photo",
        help_text="PDF, JPEG or PNG, up to 10 MB.",
        allow_empty_file=True,  # an empty file gets the service's message, like every other bad file
        widget=forms.FileInput(attrs={"accept": DOCUMENT_ACCEPT}),
    )


def split_zip_codes(text: str) -> list[str]:
    """ZIP codes pasted any way: one a line, or separated by commas, semicolons or spaces."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


class ZipListForm(forms.Form):
    zip_codes = forms.CharField(
        label="ZIP codes you serve",
        help_text="Paste them one a line, or separated by commas or spaces.",
        widget=forms.Textarea(attrs={"rows": 4, "inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_zip_codes(self) -> list[str]:
        codes = split_zip_codes(self.cleaned_data["zip_codes"])
        if not codes:
            raise forms.ValidationError("Enter at least one ZIP code.")
        if len(codes) > MAX_PASTED_ZIPS:
            raise forms.ValidationError(f"That is more than {MAX_PASTED_ZIPS:,} ZIP codes; use a radius instead.")
        return codes


class RadiusForm(forms.Form):
    depot_zip = forms.CharField(
        label="Around ZIP code",
        max_length=5,
        help_text="Usually your depot.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{5}"}),
    )
    # The service refuses 0 and over 100 but lets 0.5 through; the page promises 1 to 100.
    radius_miles = forms.FloatField(
        label="Radius in miles",
        help_text="1 to 100 miles, as the crow flies.",
        min_value=1,
        max_value=100,
        error_messages={
            "min_value": "Choose a radius between 1 and 100 miles.",
            "max_value": "Choose a radius between 1 and 100 miles.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )


class DollarField(forms.DecimalField):
    """Dollars and cents as typed ("85", "85.10", "$1,200.00"), parsed exactly: no floats on the way."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_value", Decimal(MAX_RATE_CENTS) / 100)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 8}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("$", "").replace(",", "").strip()
        return super().to_python(value)

    def widget_attrs(self, widget):
        # DecimalField would add min/max/step attributes meant for a number input; this is a text input.
        return {}


def to_cents(dollars: Decimal) -> int:
    """Exact: the field allows at most two decimal places."""
    return int(dollars.scaleb(2))


def rate_key(waste_stream: str, container: str) -> str:
    return f"{waste_stream}__{container}"


class RateCardForm(forms.Form):
    """One price and one extra-container price per (waste stream, container); a blank price means not offered."""

    def __init__(self, *args, rates=(), **kwargs):
        initial = {}
        for rate in rates:
            key = rate_key(rate.waste_stream, rate.container)
            initial[f"price_{key}"] = f"{Decimal(rate.price_cents) / 100:.2f}"
            initial[f"extra_{key}"] = f"{Decimal(rate.extra_container_cents) / 100:.2f}"
        super().__init__(*args, initial=initial, **kwargs)
        for stream, stream_label in WasteStream.choices:
            for container, container_label in Container.choices:
                key = rate_key(stream, container)
                self.fields[f"price_{key}"] = DollarField(
                    label=f"{stream_label}, {container_label}: price per pickup in dollars",
                    min_value=Decimal("0.01"),
                )
                self.fields[f"extra_{key}"] = DollarField(
                    label=f"{stream_label}, {container_label}: each extra container in dollars",
                    min_value=Decimal("0"),
                )

    def clean(self):
        data = super().clean()
        for stream in WasteStream.values:
            for container in Container.values:
                key = rate_key(stream, container)
                price_blank = f"price_{key}" not in self.errors and data.get(f"price_{key}") is None
                if price_blank and data.get(f"extra_{key}") not in (None, Decimal(0)):
                    self.add_error(f"extra_{key}", "Enter the price per pickup too, or clear this.")
        return data

    def grid(self) -> list[dict]:
        """Rows for the template: per waste stream, its containers with their two bound fields."""
        return [
            {
                "stream": stream_label,
                "rows": [
                    {
                        "container": container_label,
                        "price": self[f"price_{rate_key(stream, container)}"],
                        "extra": self[f"extra_{rate_key(stream, container)}"],
                    }
                    for container, container_label in Container.choices
                ],
            }
            for stream, stream_label in WasteStream.choices
        ]

    def rows(self) -> list[dict]:
        """The rate card as set_rate_card takes it: every combination, without a price where none is offered."""
        rows = []
        for stream in WasteStream.values:
            for container in Container.values:
                key = rate_key(stream, container)
                price, extra = self.cleaned_data.get(f"price_{key}"), self.cleaned_data.get(f"extra_{key}")
                rows.append(
                    {
                        "waste_stream": stream,
                        "container": container,
                        "price_cents": None if price is None else to_cents(price),
                        "extra_container_cents": 0 if extra is None else to_cents(extra),
                    }
                )
        return rows


DECLINE_REASONS = [
    ("no_capacity", "No truck free that day"),
    ("too_far", "Too far from our route"),
    ("price", "The payout is too low"),
    ("container", "We don't handle this container or material"),
    ("other", "Another reason"),
]


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(label="Why not?", choices=DECLINE_REASONS, initial="no_capacity")
    details = forms.CharField(label="Anything to add (optional)", max_length=200, required=False)

    def reason_text(self) -> str:
        label = dict(DECLINE_REASONS)[self.cleaned_data["reason"]]
        details = self.cleaned_data["details"].strip()
        return f"{label}: {details}" if details else label


WEIGHT_UNITS = [("kg", "kg"), ("lb", "lb")]


class CompleteForm(forms.Form):
    photo = forms.FileField(
        label="Photo of the emptied container",
        allow_empty_file=True,  # the service refuses empty files with its own message
        help_text="JPEG or PNG, up to 10 MB.",
        widget=forms.FileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    weight = forms.DecimalField(
        label="Weight (optional)",
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    weight_unit = forms.ChoiceField(label="Unit", choices=WEIGHT_UNITS, initial="lb", widget=forms.RadioSelect)
    notes = forms.CharField(
        label="Notes (optional)", max_length=500, required=False, widget=forms.Textarea({"rows": 2})
    )
    serviced_at = forms.DateTimeField(
        label="Time serviced",
        help_text="Local time at the location.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, opens: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if opens:
            self.ask_why_early(opens)

    def ask_why_early(self, opens: str) -> None:
        """Before the window, a reason is asked for first ('The window opens at 7:00 AM CST on Wed, Dec 9.');
        within it or after, the field is not there at all, so completing stays one tap."""
        reason = forms.CharField(
            label="Why before the window?",
            max_length=EARLY_REASON_MAX,
            help_text=f"{opens} The customer sees your reason on their pickup.",
            widget=forms.TextInput(attrs={"autocomplete": "off", "list": "early-reasons"}),
        )
        self.fields = {"early_reason": reason, **self.fields}


class ExceptionForm(forms.Form):
    reason = forms.ChoiceField(label="What stopped you?", choices=ExceptionReason.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label="Notes for the customer (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )


class DayCompleteForm(CompleteForm):
    """Completing from the driver's day: the photo taken there and then, serviced now."""

    photo = forms.FileField(
        label="Photo of the emptied container",
        allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}),
    )
    serviced_at = None


# --- The fleet and the day's routes ------------------------------------------------------

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
NUMBER_INPUT = forms.NumberInput(attrs={"inputmode": "numeric", "min": 1})
DAY_CHOICES = [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]


class TruckForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="What your drivers call it, e.g. “Truck 7”.")
    kind = forms.ChoiceField(label="Kind of truck", choices=Truck.Kind.choices)
    containers = forms.MultipleChoiceField(
        label="Containers it can serve",
        choices=Container.choices,
        required=False,  # none ticked: the service says what to do
        widget=forms.CheckboxSelectMultiple,
    )
    capacity_per_trip = forms.IntegerField(
        label="Capacity per trip",
        help_text="Cubic yards it collects before it must tip. For a roll-off truck: the boxes it carries.",
        widget=NUMBER_INPUT,
    )
    stops_per_shift = forms.IntegerField(
        label="Most stops in a shift", widget=NUMBER_INPUT, help_text="The router never plans more."
    )
    shift_start = forms.TimeField(label="Shift starts", widget=TIME_INPUT)
    shift_end = forms.TimeField(label="Shift ends", widget=TIME_INPUT)
    disposal_sites = forms.TypedMultipleChoiceField(
        label="Disposal sites it tips at",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where it empties when full. Add sites on the disposal sites page.",
    )

    def __init__(self, *args, hauler: Hauler, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        sites = hauler.disposal_sites.all() if sites is None else sites
        self.fields["disposal_sites"].choices = [(site.pk, str(site)) for site in sites]

    @classmethod
    def for_truck(cls, truck: Truck, data=None, **kwargs):
        initial = {
            **{name: getattr(truck, name) for name in ("name", "kind", "containers", "capacity_per_trip")},
            **{name: getattr(truck, name) for name in ("stops_per_shift", "shift_start", "shift_end", "active")},
            "disposal_sites": [site.pk for site in truck.disposal_sites.all()],
        }
        return cls(data=data, initial=initial, hauler=truck.hauler, **kwargs)

    def truck_arguments(self) -> dict:
        """The cleaned data as add_truck and update_truck take it."""
        data = dict(self.cleaned_data)
        data["disposal_site_ids"] = data.pop("disposal_sites")
        return data


class TruckEditForm(TruckForm):
    active = forms.BooleanField(
        label="In service", required=False, help_text="A truck out of service is planned no new work."
    )


class DisposalSiteForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="Kind of site", choices=DisposalSite.Kind.choices)
    address = forms.CharField(label="Street address (optional)", max_length=300, required=False)
    zip_code = forms.CharField(
        label="ZIP code",
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{5}", "autocomplete": "off"}),
        help_text="The map places the site at its ZIP code.",
    )
    opens_at = forms.TimeField(label="Gate opens", widget=TIME_INPUT)
    closes_at = forms.TimeField(label="Gate closes", widget=TIME_INPUT)
    open_days = forms.TypedMultipleChoiceField(
        label="Open on", choices=DAY_CHOICES, coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    waste_streams = forms.MultipleChoiceField(
        label="What it accepts",
        choices=WasteStream.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick none if it takes everything.",
    )

    @classmethod
    def for_site(cls, site: DisposalSite, data=None):
        initial = {
            **{name: getattr(site, name) for name in ("name", "kind", "address", "zip_code", "opens_at", "closes_at")},
            "open_days": [str(day) for day in range(7) if site.open_on(day)],
            "waste_streams": site.waste_streams,
        }
        return cls(data=data, initial=initial)

    def site_arguments(self) -> dict:
        """The cleaned data as add_disposal_site and update_disposal_site take it (days as the bitmask)."""
        data = dict(self.cleaned_data)
        data["open_days"] = sum(weekday_bit(day) for day in set(data["open_days"]))
        return data


class DayForm(forms.Form):
    """?day=YYYY-MM-DD&truck=<id> on the day's pages; a bad value falls back to today and the default truck."""

    day = forms.DateField(required=False)
    truck = forms.IntegerField(required=False, min_value=1)


class MoveStopForm(forms.Form):
    pickup = forms.IntegerField(min_value=1)
    truck = forms.IntegerField(required=False, min_value=1)  # empty: let the router choose
    day = forms.DateField()


class AssignDriverForm(forms.Form):
    truck = forms.IntegerField(min_value=1)
    driver = forms.IntegerField(required=False, min_value=1)  # empty: nobody
    day = forms.DateField()


class ReplanForm(forms.Form):
    day = forms.DateField()
