"""The map's filters: market (a city), waste stream and state. A value that is not one of the choices is an error."""

from django import forms

from core.catalog import WasteStream
from marketplace import operations


class MapFilters(forms.Form):
    market = forms.ChoiceField(
        required=False, error_messages={"invalid_choice": "There are no bins in %(value)s; choose a market listed."}
    )
    stream = forms.ChoiceField(
        label="Waste stream",
        required=False,
        choices=[("", "Every stream"), *WasteStream.choices],
        error_messages={"invalid_choice": "%(value)s is not a waste stream; choose one listed."},
    )
    state = forms.ChoiceField(
        required=False,
        choices=[("", "Every state"), *operations.STATES.items()],
        error_messages={"invalid_choice": "%(value)s is not a state; choose one listed."},
    )

    def __init__(self, *args, markets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["market"].choices = [("", "Every market"), *((market, market) for market in markets)]

    def chosen(self) -> dict[str, str]:
        """The filters that are valid (a bad one is dropped, and its error shown), without the empty ones."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}
