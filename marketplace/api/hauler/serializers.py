"""Hauler API shapes: plain serializers that check input types and describe output. The services do the work.

An offer shows where (ZIP and city), when and what, never who: the customer's name, street and contact
appear only on a job, once the hauler holds it.
"""

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core import geo
from core.catalog import Container, WasteStream
from customers.models import USState
from haulers.models import MAX_RATE_CENTS
from marketplace.api.business.serializers import CoordinateField, PickupFilterSerializer, StatusListField
from marketplace.models import ExceptionReason, Offer, Pickup
from marketplace.services import EARLY_REASON_MAX

ZIP_CODE = re.compile(r"^\d{5}$")
# A 100-mile radius around the densest metro areas is a couple of thousand ZIPs.
MAX_SERVICE_ZIPS = 5_000
MAX_RATE_ROWS = len(WasteStream) * len(Container)


# --- Offers ---------------------------------------------------------------------------


class OfferStatusListField(StatusListField):
    """Offer statuses from a query string: the parameter repeated, comma-separated, or both."""

    child = serializers.ChoiceField(choices=Offer.Status.choices)

    def to_internal_value(self, data):
        unknown = [value for value in data if value not in Offer.Status.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown status {', '.join(unknown)}; choose from {', '.join(Offer.Status.values)}."
            )
        return list(dict.fromkeys(data))


class OfferFilterSerializer(serializers.Serializer):
    status = OfferStatusListField(
        required=False,
        help_text="Offer statuses, pending when not given: repeat the parameter, or separate statuses with commas.",
    )


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # A plain string, so the schema's one `status` enum stays the pickup's.
    status = serializers.CharField(help_text=f"The offer's status: {', '.join(Offer.Status.values)}.")
    pickup = serializers.IntegerField(
        source="pickup_id", help_text="Once you accept, the job at /api/v1/hauler/jobs/{pickup}/."
    )
    service_date = serializers.DateField(source="pickup.service_date")
    window_start = serializers.TimeField(
        source="pickup.window_start", help_text="Local time at the location from which you may arrive."
    )
    window_end = serializers.TimeField(
        source="pickup.window_end", help_text="Local time at the location by which the pickup is done."
    )
    zip_code = serializers.CharField(source="pickup.location.zip_code")
    city = serializers.CharField(source="pickup.location.city")
    state = serializers.ChoiceField(source="pickup.location.state", choices=USState.choices)
    waste_stream = serializers.ChoiceField(source="pickup.waste_stream", choices=WasteStream.choices)
    container = serializers.ChoiceField(source="pickup.container", choices=Container.choices)
    quantity = serializers.IntegerField(source="pickup.quantity", help_text="How many containers.")
    payout_cents = serializers.IntegerField(help_text="What you earn for the whole job, in cents.")
    currency = serializers.CharField(source="pickup.currency")
    answer_by = serializers.DateTimeField(help_text="Accept or decline before this time.")
    created_at = serializers.DateTimeField()


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why not, for our matching (e.g. the truck is in the shop).",
    )


# --- Jobs -----------------------------------------------------------------------------


class JobFilterSerializer(PickupFilterSerializer):
    status = StatusListField(
        required=False,
        help_text="Job statuses, scheduled when not given: repeat the parameter, or separate them with commas.",
    )
    order = serializers.ChoiceField(
        choices=[("date", "By date, then ZIP"), ("zip", "By ZIP, then date (to plan a route)")],
        required=False,
        default="date",
    )


class JobLocationSerializer(serializers.Serializer):
    name = serializers.CharField()
    street = serializers.CharField()
    city = serializers.CharField()
    state = serializers.ChoiceField(choices=USState.choices)
    zip_code = serializers.CharField()
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    timezone = serializers.CharField(help_text="The IANA timezone of the service date and window.")
    access_notes = serializers.CharField(allow_blank=True, help_text="Gate codes, where the bins are, when to avoid.")


class JobContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="contact_name", allow_blank=True)
    phone = serializers.SerializerMethodField()

    def get_phone(self, customer) -> str:
        return customer.contact_phone or customer.phone


class JobExceptionSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(source="exception_reason", choices=ExceptionReason.choices)
    notes = serializers.CharField(source="exception_notes", allow_blank=True)


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Pickup.Status.choices)
    service_date = serializers.DateField()
    window_start = serializers.TimeField(help_text="Local time at the location from which you may arrive.")
    window_end = serializers.TimeField(help_text="Local time at the location by which the pickup is done.")
    business = serializers.CharField(source="customer.name", help_text="The customer's name.")
    location = JobLocationSerializer()
    contact = JobContactSerializer(source="customer", help_text="Who to call on site.")
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    quantity = serializers.IntegerField(help_text="How many containers.")
    payout_cents = serializers.IntegerField(help_text="What you earn for the whole job, in cents.")
    currency = serializers.CharField()
    truck = serializers.IntegerField(
        source="truck_id",
        allow_null=True,
        help_text="The truck you put it on (POST /api/v1/hauler/routes/move/); null: the router chooses.",
    )
    completed_at = serializers.DateTimeField(allow_null=True)
    exception = serializers.SerializerMethodField(help_text="Why it could not be serviced, when you reported that.")

    @extend_schema_field(JobExceptionSerializer(allow_null=True))
    def get_exception(self, pickup):
        return JobExceptionSerializer(pickup).data if pickup.exception_reason else None


class ProofSerializer(serializers.Serializer):
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=1, coerce_to_string=False, allow_null=True)
    notes = serializers.CharField(allow_blank=True)
    serviced_at = serializers.DateTimeField()
    recorded_at = serializers.DateTimeField(source="created_at")


class JobDetailSerializer(JobSerializer):
    proof = serializers.SerializerMethodField(help_text="What you recorded when you did it.")

    @extend_schema_field(ProofSerializer(allow_null=True))
    def get_proof(self, pickup):
        proof = getattr(pickup, "proof", None)  # a missing reverse one-to-one raises an AttributeError
        return ProofSerializer(proof).data if proof is not None else None


@extend_schema_field(OpenApiTypes.BINARY)
class PhotoField(serializers.FileField):
    """An uploaded file, described as the bytes it is rather than the URL a FileField shows on output."""


class CompletionSerializer(serializers.Serializer):
    photo = PhotoField(help_text="A JPEG or PNG of the serviced container, up to 10 MB.")
    weight = serializers.DecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=0,
        coerce_to_string=False,
        required=False,
        help_text="What was collected, in `weight_unit` (at most 50,000 kg).",
    )
    weight_unit = serializers.ChoiceField(choices=[("kg", "Kilograms"), ("lb", "Pounds")], default="kg")
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    serviced_at = serializers.DateTimeField(required=False, help_text="When you did it; defaults to now.")
    early_reason = serializers.CharField(
        max_length=EARLY_REASON_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Why it was done before the arrival window opened (in the location's zone). Required then, and kept in "
            "the job's history, which the customer sees; not asked within or after the window."
        ),
    )


class ServiceExceptionSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ExceptionReason.choices)
    notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- Service area and rates -----------------------------------------------------------


class ZipCodeListField(serializers.ListField):
    """5-digit ZIP codes, with one flat message for the bad ones (not one per list position)."""

    child = serializers.CharField()

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if len(data) > MAX_SERVICE_ZIPS:
            raise serializers.ValidationError(f"At most {MAX_SERVICE_ZIPS} ZIP codes.")
        bad = [repr(item) for item in data if not isinstance(item, str) or not ZIP_CODE.match(item.strip())]
        if bad:
            raise serializers.ValidationError(f"ZIP codes are strings of 5 digits, not {', '.join(bad[:20])}.")
        return [item.strip() for item in data]


class ServiceAreaSerializer(serializers.Serializer):
    zip_codes = serializers.ListField(child=serializers.CharField(), help_text="The ZIP codes you serve, in order.")
    count = serializers.IntegerField()


class ServiceAreaUpdateSerializer(serializers.Serializer):
    """A list of ZIP codes, or a centre and a radius (expanded to ZIP codes once, now)."""

    zip_codes = ZipCodeListField(required=False, help_text="The whole list; it replaces the one you had.")
    centre_zip = serializers.CharField(required=False, help_text="Serve every ZIP within `radius_miles` of this one.")
    radius_miles = serializers.FloatField(required=False, min_value=1, max_value=100)

    def validate_centre_zip(self, value: str) -> str:
        value = value.strip()
        if not ZIP_CODE.match(value) or geo.lookup(value) is None:
            raise serializers.ValidationError(f"{value or 'That'} is not a US ZIP code we know.")
        return value

    def validate(self, attrs):
        by_list, by_radius = "zip_codes" in attrs, {"centre_zip", "radius_miles"} & set(attrs)
        if by_list and by_radius:
            raise serializers.ValidationError("Give zip_codes, or centre_zip and radius_miles, not both.")
        if not by_list and not by_radius:
            raise serializers.ValidationError("Give zip_codes, or centre_zip and radius_miles.")
        for field in ("centre_zip", "radius_miles"):
            if by_radius and field not in attrs:
                raise serializers.ValidationError({field: ["Give centre_zip and radius_miles together."]})
        return attrs


class RateCardSerializer(serializers.ListSerializer):
    """The rows of a rate card, with errors keyed `rows.<index>.<field>` (the row's position, from 0)."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            # Row errors come as {index: {field: [...]}} (or, before DRF 3.20 when configured so, a list of them).
            rows = dict(enumerate(error.detail)) if isinstance(error.detail, list) else error.detail
            if not all(isinstance(index, int) for index in rows):
                raise  # not a list at all, or too long
            flat = {}
            for index, row_errors in sorted(rows.items()):
                if not isinstance(row_errors, dict):  # the row itself is null
                    row_errors = {"non_field_errors": row_errors}
                for field, messages in row_errors.items():
                    key = f"rows.{index}" if field == "non_field_errors" else f"rows.{index}.{field}"
                    flat[key] = messages
            raise serializers.ValidationError(flat) from None


class RateSerializer(serializers.Serializer):
    """Your price for one pickup of one container of a waste stream, in integer cents."""

    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    price_cents = serializers.IntegerField(min_value=1, max_value=MAX_RATE_CENTS)
    extra_container_cents = serializers.IntegerField(
        min_value=0,
        max_value=MAX_RATE_CENTS,
        required=False,
        default=0,
        help_text="Each container beyond the first at the same visit.",
    )

    class Meta:
        list_serializer_class = RateCardSerializer
