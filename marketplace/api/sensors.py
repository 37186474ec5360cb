"""The sensor API: bin sensors post their fill readings with their own token, then the market's rules run.

A device token (header `X-Device-Token`) works here and nowhere else, and a user's token does not work
here: the token decides the device, so a sensor can only ever write its own readings.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.enqueue import enqueue
from marketplace.api.common import NOT_JSON, VALIDATION_ERROR_SCHEMA, ErrorSerializer
from sensors import services as sensor_services
from sensors.ingest import MAX_COMPACTIONS
from sensors.models import Device

HEADER = "X-Device-Token"


class DeviceTokenAuthentication(BaseAuthentication):
    """`X-Device-Token: <token>`: the active sensor the token was issued to, or 401."""

    def authenticate(self, request):
        token = request.headers.get(HEADER)
        if token is None:
            return None  # the permission then answers 401 not_authenticated
        device = sensor_services.device_for_token(token.strip())
        if device is None:
            raise exceptions.AuthenticationFailed("Unknown or deactivated device token.")
        # No person is signed in. An AnonymousUser rather than None, because DRF hands request.user on to
        # Django's request, where middleware and logging expect a user object.
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return f'{HEADER} realm="sensors"'  # makes DRF answer 401 (with this challenge) rather than 403


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "The sensor's token, shown once when it was registered (or its token last rotated).",
        }


class IsDevice(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Device)


# --- Shapes -------------------------------------------------------------------------------


class ReadingSerializer(serializers.Serializer):
    # Documents one reading; sensors.services.ingest checks each item so one bad reading spoils no other.
    fill_percent = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="How full the bin is, 0 to 100. Required, except from a compactor whose device knows the "
        "compaction count that means full: then it is derived from `compactions`.",
    )
    measured_at = serializers.DateTimeField(
        help_text="When it was measured: ISO 8601 with a UTC offset, at most 5 minutes ahead, at most 30 days old."
    )
    battery_percent = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    temperature_c = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=-60,
        max_value=150,
        coerce_to_string=False,
        required=False,
        allow_null=True,
        help_text="Degrees Celsius, -60 to 150 (a bin on fire reads far above any weather), kept to a tenth of a "
        "degree.",
    )
    tilt_degrees = serializers.IntegerField(
        min_value=0, max_value=180, required=False, allow_null=True, help_text="The bin's angle from upright."
    )
    compactions = serializers.IntegerField(
        min_value=0,
        max_value=MAX_COMPACTIONS,
        required=False,
        allow_null=True,
        help_text="A compactor's compactions since it was emptied.",
    )


class ReadingBatchSerializer(serializers.Serializer):
    readings = ReadingSerializer(many=True, max_length=sensor_services.MAX_BATCH)


UPLOAD = PolymorphicProxySerializer(
    component_name="ReadingUpload",
    serializers=[ReadingSerializer, ReadingBatchSerializer],
    resource_type_field_name=None,
)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Readings stored.")
    duplicates = serializers.IntegerField(help_text="Readings already stored (same time), or repeated in the batch.")
    rejected = serializers.IntegerField(help_text="Readings refused; `errors` says why.")
    errors = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        help_text='By the reading\'s index in the batch (0 for a single reading): `{"3": {"field": ["message"]}}`.',
    )


def result_body(result) -> dict:
    """An ingest result as the API tells it."""
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "errors": {str(index): errors for index, errors in result.errors.items()},
    }


def _items(data) -> list:
    """The readings in a body: one reading object, or `{"readings": [...]}`."""
    if not isinstance(data, dict):
        raise serializers.ValidationError('Send a JSON object: one reading, or {"readings": [...]}.', code="malformed")
    if "readings" not in data:
        return [data]
    readings = data["readings"]
    if not isinstance(readings, list):
        raise serializers.ValidationError({"readings": ["Expected a list of readings."]})
    if len(readings) > sensor_services.MAX_BATCH:
        raise serializers.ValidationError(
            {"readings": [f"Send at most {sensor_services.MAX_BATCH} readings at a time."]}
        )
    return readings


class ReadingIngestView(APIView):
    """Where bin sensors report their fill levels."""

    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDevice]

    @extend_schema(
        tags=["sensors"],
        summary="Report fill readings",
        description=(
            "For bin sensors, authenticated by their own token in `X-Device-Token`. Send one reading, or up to "
            f'{sensor_services.MAX_BATCH} as `{{"readings": [...]}}`. Each reading is checked on its own: good '
            "ones are stored, bad ones are listed under `errors` by index, and a reading already stored (the same "
            "`measured_at`) is counted under `duplicates`, so a sensor may safely send a batch again. 201 when "
            "anything was stored, else 200. Values no sensor can measure are refused and raise the device's "
            "impossible-value alarm. Other keys are ignored; the readings are always the token's device's."
        ),
        request=UPLOAD,
        responses={
            201: OpenApiResponse(IngestResultSerializer, description="Some readings were stored."),
            200: OpenApiResponse(IngestResultSerializer, description="Nothing new: all duplicates or rejected."),
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description=(
                    "Not an object (`malformed`), not JSON (`parse_error`), `readings` not a list, or too many "
                    "readings: nothing was stored."
                ),
            ),
            401: OpenApiResponse(
                ErrorSerializer,
                description="No device token (`not_authenticated`), or an unknown or deactivated one "
                "(`authentication_failed`).",
            ),
            415: NOT_JSON,
        },
        examples=[
            OpenApiExample(
                "One reading",
                value={"fill_percent": 62, "measured_at": "2026-05-01T14:30:00Z", "battery_percent": 91},
                request_only=True,
            ),
            OpenApiExample(
                "A batch",
                value={
                    "readings": [
                        {"fill_percent": 60, "measured_at": "2026-05-01T12:30:00Z"},
                        {"fill_percent": 62, "measured_at": "2026-05-01T14:30:00Z", "temperature_c": 21.5},
                    ]
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request):
        result = sensor_services.ingest(device=request.auth, items=_items(request.data))
        if result.device_ids:
            # The device's forecast, then its collect rules (the same task as an integration's batch).
            enqueue("marketplace.evaluate_devices", result.device_ids)
        code = status.HTTP_201_CREATED if result.accepted else status.HTTP_200_OK
        return Response(IngestResultSerializer(result_body(result)).data, status=code)
