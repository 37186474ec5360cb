"""Forms for registering a bin sensor and changing its rules. The services check the rules themselves."""

from django import forms

from core.catalog import Container, WasteStream

COLLECT_HELP = "Book (or suggest) a pickup when the bin is at least this full."
FORECAST_HELP = (
    "Learn how the bin fills on each day of the week. Book a pickup when it is at the collect level, or on the "
    "last working day before it is forecast to be nearly full (ahead of its next visit), and skip a visit only "
    "when it will still be under the collect level at the visit after."
)
SKIP_HELP = "Skip a scheduled visit when the bin is below this the afternoon before. Must be below the level above."


class RulesFields(forms.Form):
    collect_at_percent = forms.IntegerField(
        label="Collect at (% full)", min_value=1, max_value=100, initial=80, help_text=COLLECT_HELP
    )
    skip_below_percent = forms.IntegerField(
        label="Skip below (% full)", min_value=0, max_value=100, initial=30, help_text=SKIP_HELP
    )
    auto_book = forms.BooleanField(
        label="Book a pickup by itself when full", required=False, help_text="Otherwise we suggest one by email."
    )
    use_forecast = forms.BooleanField(
        label="Use the forecast",
        required=False,
        initial=True,
        help_text=FORECAST_HELP,
    )


class DeviceForm(RulesFields):
    serial = forms.CharField(
        label="Serial number",
        max_length=64,
        help_text="Printed on the sensor.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    waste_stream = forms.ChoiceField(label="Waste stream", choices=WasteStream.choices)
    container = forms.ChoiceField(label="Container it watches", choices=Container.choices)

    field_order = [
        "serial",
        "waste_stream",
        "container",
        "collect_at_percent",
        "skip_below_percent",
        "auto_book",
        "use_forecast",
    ]


class RulesForm(RulesFields):
    active = forms.BooleanField(
        label="Active", required=False, help_text="An inactive sensor's readings are refused and its rules stop."
    )

    @classmethod
    def for_device(cls, device, data=None):
        initial = {name: getattr(device, name) for name in cls.base_fields}
        return cls(data=data, initial=initial)
