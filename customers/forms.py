"""Forms for a business's own details and its service locations."""

from django import forms

from customers.models import Customer, ServiceLocation, USState


class CompanyForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "phone", "contact_name", "contact_phone"]
        labels = {"name": "Business name"}
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}


class LocationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="What you call it, e.g. 'Main St store'.")
    street = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    city = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    state = forms.ChoiceField(choices=[("", "Choose a state"), *USState.choices])
    zip_code = forms.CharField(
        label="ZIP code",
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code", "pattern": "[0-9]{5}"}),
    )
    access_notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Gate codes, where the bins are."
    )

    @classmethod
    def for_location(cls, location: ServiceLocation, data=None):
        initial = {name: getattr(location, name) for name in cls.base_fields}
        return cls(data=data, initial=initial)
