"""API shapes: plain serializers that check input types and describe output. The services do the work."""

import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from rest_framework import serializers
from rest_framework.fields import empty

from core.catalog import Container, WasteStream
from customers.models import USState
from marketplace.api.business.billing_serializers import PickupPaymentField
from marketplace.api.business.plan_serializers import RecurrenceFields, RecurrenceRequestFields
from marketplace.api.common import ClockField
from marketplace.models import MAX_QUANTITY, Pickup

# Ids are 64-bit in every database we run on; a larger one must be a 404, not an overflow.
MAX_ID = 2**63 - 1


def object_id(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- Locations ------------------------------------------------------------------------


class CoordinateField(serializers.DecimalField):
    """A coordinate rounded to the six places stored (about 10 cm) rather than refused for its precision."""

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(
            max_digits=9, decimal_places=6, min_value=-limit, max_value=limit, coerce_to_string=False, **kwargs
        )
        self.limit = limit

    def validate_precision(self, value):
        # The range first: rounding 1e300 to six places needs more digits than Decimal holds (a 500).
        if value > self.limit:
            self.fail("max_value", max_value=self.limit)
        if value < -self.limit:
            self.fail("min_value", min_value=-self.limit)
        return super().validate_precision(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def known_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise serializers.ValidationError("Enter an IANA timezone name, e.g. America/Chicago.")


class LocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    street = serializers.CharField()
    city = serializers.CharField()
    state = serializers.ChoiceField(choices=USState.choices)
    zip_code = serializers.CharField()
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    timezone = serializers.CharField(help_text="The IANA timezone that decides the location's dates and windows.")
    access_notes = serializers.CharField(allow_blank=True)
    archived = serializers.SerializerMethodField()
    archived_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_archived(self, location) -> bool:
        return location.archived_at is not None


class LocationFilterSerializer(serializers.Serializer):
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Also list archived locations (after the active ones)."
    )


class LocationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", help_text="Defaults to the street address."
    )
    street = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    state = serializers.ChoiceField(choices=USState.choices)
    zip_code = serializers.CharField(help_text="A 5-digit US ZIP code; it must be in the given state.")
    access_notes = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Gate codes, where the bins are."
    )
    latitude = CoordinateField(limit=90, required=False, help_text="Give both coordinates or neither (the ZIP's).")
    longitude = CoordinateField(limit=180, required=False)
    timezone = serializers.CharField(
        required=False, validators=[known_timezone], help_text="Defaults to the ZIP code's timezone."
    )


class LocationUpdateSerializer(serializers.Serializer):
    """Every field optional; coordinates and timezone follow a new ZIP code and cannot be set directly."""

    name = serializers.CharField(max_length=120, required=False)
    street = serializers.CharField(max_length=200, required=False)
    city = serializers.CharField(max_length=100, required=False)
    state = serializers.ChoiceField(choices=USState.choices, required=False)
    zip_code = serializers.CharField(required=False)
    access_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    archived = serializers.BooleanField(
        required=False, help_text="`true` archives the location: it keeps its history but can no longer be booked."
    )

    def validate(self, attrs):
        # A silently ignored key would look like a change that worked.
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            raise serializers.ValidationError({key: ["This field cannot be changed."] for key in unknown})
        return attrs


# --- Quotes ---------------------------------------------------------------------------

# The arrival windows a business may choose, as the schema shows them (settings.ARRIVAL_WINDOWS).
OFFERED_WINDOWS = [f"{start:%H:%M}-{end:%H:%M}" for start, end in settings.ARRIVAL_WINDOWS]


class QuoteRequestSerializer(RecurrenceRequestFields):
    location = object_id(help_text="One of your locations.")
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, help_text="How many containers.")
    service_date = serializers.DateField(help_text="The day of the pickup, at the location.")
    window_start = ClockField(
        required=False,
        help_text=f'When the hauler may arrive from, "HH:MM" local time at the location. Give window_start and '
        f"window_end together, one of the windows offered: {', '.join(OFFERED_WINDOWS)} (the first when not given).",
    )
    window_end = ClockField(required=False, help_text='When the pickup is done by, "HH:MM" local time.')

    def validate(self, attrs):
        # The service checks the window is one offered (errors under `window`, naming the choices).
        given = [field for field in ("window_start", "window_end") if field in attrs]
        if len(given) == 1:
            missing = "window_end" if given == ["window_start"] else "window_start"
            raise serializers.ValidationError({missing: ["Give window_start and window_end together."]})
        if given:
            attrs["window"] = (attrs.pop("window_start"), attrs.pop("window_end"))
        return super().validate(attrs)  # the recurrence


class QuoteSerializer(RecurrenceFields):
    id = serializers.IntegerField()
    location = serializers.IntegerField(source="location_id")
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    quantity = serializers.IntegerField()
    service_date = serializers.DateField()
    window_start = serializers.TimeField(help_text="Local time at the location from which the hauler may arrive.")
    window_end = serializers.TimeField(help_text="Local time at the location by which the pickup is done.")
    price_cents = serializers.IntegerField(help_text="The price of the whole request, in cents.")
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="Book it before this time.")


# --- Pickups --------------------------------------------------------------------------


class BookingSerializer(serializers.Serializer):
    quote = object_id(help_text="An unexpired quote of yours.")


class StatusListField(serializers.ListField):
    """Statuses from a query string: the parameter repeated, comma-separated, or both."""

    child = serializers.ChoiceField(choices=Pickup.Status.choices)

    def get_value(self, dictionary):
        if not hasattr(dictionary, "getlist"):
            return super().get_value(dictionary)
        values = [part.strip() for value in dictionary.getlist(self.field_name) for part in value.split(",")]
        return [value for value in values if value] or empty

    def to_internal_value(self, data):
        unknown = [value for value in data if value not in Pickup.Status.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; choose from {', '.join(Pickup.Status.values)}."
            )
        return list(dict.fromkeys(data))


class PickupFilterSerializer(serializers.Serializer):
    status = StatusListField(
        required=False, help_text="One or several: repeat the parameter, or separate statuses with commas."
    )
    date_from = serializers.DateField(required=False, help_text="Service dates on or after this day.")
    date_to = serializers.DateField(required=False, help_text="Service dates on or before this day.")

    def validate(self, attrs):
        if "date_from" in attrs and "date_to" in attrs and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must be on or after date_from."]})
        return attrs


class PickupLocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.SerializerMethodField()

    def get_address(self, location) -> str:
        return _address(location)


def _address(location) -> str:
    return f"{location.street}, {location.city}, {location.state} {location.zip_code}"


class PickupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Pickup.Status.choices)
    service_date = serializers.DateField()
    window_start = serializers.TimeField(help_text="Local time at the location from which the hauler may arrive.")
    window_end = serializers.TimeField(help_text="Local time at the location by which the pickup is done.")
    location = PickupLocationSerializer()
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    quantity = serializers.IntegerField()
    price_cents = serializers.IntegerField()
    currency = serializers.CharField()
    cancellation_fee_cents = serializers.IntegerField()
    hauler = serializers.SerializerMethodField(help_text="The hauler's company name once one has taken the pickup.")
    created_at = serializers.DateTimeField()
    payment = PickupPaymentField(help_text="How it is paid: charged once done, or on its plan's monthly invoice.")

    def get_hauler(self, pickup) -> str | None:
        return pickup.hauler.name if pickup.hauler_id is not None else None

    def to_representation(self, pickup):
        # The same dict as DRF's walk over the fields above (the schema is drawn from them), written out: a page
        # of 25 pickups spent 12 ms in that walk, most of the list's time (tests/marketplace/api/
        # test_pickup_representation.py holds the two equal, field by field).
        fields = self.fields
        location = pickup.location
        return {
            "id": pickup.pk,
            "status": pickup.status,
            "service_date": pickup.service_date.isoformat(),
            "window_start": fields["window_start"].to_representation(pickup.window_start),
            "window_end": fields["window_end"].to_representation(pickup.window_end),
            "location": {"id": location.pk, "name": location.name, "address": _address(location)},
            "waste_stream": pickup.waste_stream,
            "container": pickup.container,
            "quantity": pickup.quantity,
            "price_cents": pickup.price_cents,
            "currency": pickup.currency,
            "cancellation_fee_cents": pickup.cancellation_fee_cents,
            "hauler": self.get_hauler(pickup),
            "created_at": fields["created_at"].to_representation(pickup.created_at),
            "payment": fields["payment"].to_representation(pickup),
            **self.extra_representation(pickup),
        }

    def extra_representation(self, pickup) -> dict:
        """What a subclass adds to the dict above (its own fields, in their declared order)."""
        return {}


class StatusChangeSerializer(serializers.Serializer):
    """One step of a pickup's history (never who made it)."""

    def get_fields(self):
        # "from" is a Python keyword, so the fields are listed here rather than as class attributes.
        # Plain strings, so the schema has one status enum (the pickup's) rather than three of the same.
        return {
            "from": serializers.CharField(source="from_status", help_text="A pickup `status`."),
            "to": serializers.CharField(source="to_status", help_text="A pickup `status`."),
            "at": serializers.DateTimeField(),
            "reason": serializers.CharField(allow_blank=True),
        }


class PickupDetailSerializer(PickupSerializer):
    """A pickup with its status history, which the view reads into the pickup's `timeline`."""

    history = StatusChangeSerializer(many=True, source="timeline", help_text="Status changes, oldest first.")

    def extra_representation(self, pickup) -> dict:
        return {"history": self.fields["history"].to_representation(pickup.timeline)}
