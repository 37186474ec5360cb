"""The business API's bin sensors: register one at a location, list and read them, rotate a token.

A token is in the answer that made it, once; only its hash and last characters are kept (sensors.services).
Registering a sensor and rotating its token change a site, which takes an owner or a manager.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.catalog import Container, WasteStream
from core.errors import NotFound
from core.permissions import require
from marketplace import selectors
from marketplace.api.business.views import NOT_FOUND, BusinessView
from marketplace.api.common import INVALID, NOT_JSON, UNAUTHENTICATED, Pages, error_response
from sensors import services as sensor_services
from sensors.models import Device

MAX_ID = 2**63 - 1  # a larger id must be a 404, not an overflow
MANAGERS_ONLY = {
    401: UNAUTHENTICATED,
    403: error_response(
        "The account is not part of a business (`not_a_business`), or its role may not change sites "
        "(owners and managers may; `permission_denied`)."
    ),
}
READERS = {401: UNAUTHENTICATED, 403: error_response("The account is not part of a business (`not_a_business`).")}


class SensorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    serial = serializers.CharField()
    location = serializers.IntegerField(source="location_id")
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    active = serializers.BooleanField(help_text="An inactive sensor's readings are refused.")
    collect_at_percent = serializers.IntegerField(help_text="A pickup is booked (or suggested) from this fill.")
    skip_below_percent = serializers.IntegerField(help_text="A visit is skipped when the bin is below this.")
    auto_book = serializers.BooleanField(help_text="Book a pickup by itself when full (else suggest one).")
    use_forecast = serializers.BooleanField()
    token_hint = serializers.CharField(help_text="The token's last characters, to tell tokens apart.")
    last_reading_at = serializers.DateTimeField(allow_null=True)
    last_fill_percent = serializers.IntegerField(allow_null=True)
    last_battery_percent = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class SensorWithTokenSerializer(SensorSerializer):
    """A sensor with the token just made for it; the view passes the token in the context."""

    token = serializers.SerializerMethodField(
        help_text="Shown this once: the sensor sends it as `X-Device-Token` to /api/v1/sensors/readings/."
    )

    def get_token(self, device) -> str:
        return self.context["token"]


class SensorRegistrationSerializer(serializers.Serializer):
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="One of your locations.")
    serial = serializers.CharField(max_length=64, help_text="Printed on the sensor.")
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices, help_text="The container it watches.")
    collect_at_percent = serializers.IntegerField(min_value=1, max_value=100, required=False, default=80)
    skip_below_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, default=30, help_text="Below collect_at_percent."
    )
    auto_book = serializers.BooleanField(required=False, default=False)
    use_forecast = serializers.BooleanField(required=False, default=True)


def _sensors_of(customer):
    return Device.objects.filter(location__customer=customer).order_by("location_id", "serial", "id")


def _sensor_of(customer, device_id: int) -> Device:
    device = _sensors_of(customer).filter(pk=device_id).first()
    if device is None:
        raise NotFound("No such sensor.")
    return device


class SensorListView(BusinessView):
    """Your bin sensors; register one at a location."""

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=["sensors"],
        summary="List your bin sensors",
        responses={200: SensorSerializer(many=True), 400: INVALID, **READERS, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(_sensors_of(self.customer), SensorSerializer)

    @extend_schema(
        tags=["sensors"],
        summary="Register a bin sensor at one of your locations",
        description="The answer holds the sensor's token, this once. Owners and managers only.",
        request=SensorRegistrationSerializer,
        responses={201: SensorWithTokenSerializer, 400: INVALID, **MANAGERS_ONLY, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def post(self, request):
        require(user=request.user, organisation=self.customer, action="sites")  # before the input is read
        form = SensorRegistrationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = dict(form.validated_data)
        location = selectors.location_of(customer=self.customer, location_id=values.pop("location"))
        device, token = sensor_services.register_device(location=location, **values, by=request.user)
        return Response(
            SensorWithTokenSerializer(device, context={"token": token}).data, status=status.HTTP_201_CREATED
        )


class SensorDetailView(BusinessView):
    """One of your bin sensors."""

    @extend_schema(
        tags=["sensors"],
        summary="One of your bin sensors",
        responses={200: SensorSerializer, **READERS, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(SensorSerializer(_sensor_of(self.customer, id)).data)


class SensorRotateTokenView(BusinessView):
    """A new token for one of your sensors."""

    @extend_schema(
        tags=["sensors"],
        summary="Rotate a sensor's token",
        description="The answer holds the new token, this once; the old one stops working at once. "
        "Owners and managers only.",
        request=None,
        responses={200: SensorWithTokenSerializer, **MANAGERS_ONLY, 404: NOT_FOUND},
    )
    def post(self, request, id: int):
        device = _sensor_of(self.customer, id)
        require(user=request.user, organisation=self.customer, action="sites")
        token = sensor_services.rotate_token(device=device, by=request.user)
        return Response(SensorWithTokenSerializer(device, context={"token": token}).data)
