"""The integration API: a network server or vendor cloud pushes many devices' readings with one key.

The key (header `X-Integration-Key: <key>`, or `Authorization: Bearer <key>` as a The Things Stack
webhook can send) decides what may be written: an integration scoped to a business reaches only that
business's devices. A user's token or a device's token does not work here, nor an integration key elsewhere.
After a batch, the devices that got new readings go to the market's rules in one task.
"""

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from core.enqueue import enqueue
from marketplace.api.common import NOT_JSON, VALIDATION_ERROR_SCHEMA, ErrorSerializer, error_response
from marketplace.api.sensors import IngestResultSerializer, ReadingSerializer, result_body
from sensors import integrations
from sensors.models import Integration

HEADER = "X-Integration-Key"
# Generous for MAX_BATCH readings (about 150 bytes each); more is not a batch we would take anyway.
MAX_BATCH_BYTES = 8 * 1024 * 1024
MAX_UPLINK_BYTES = 256 * 1024


class IntegrationKeyAuthentication(BaseAuthentication):
    """`X-Integration-Key: <key>` or `Authorization: Bearer <key>`: the active integration, or 401."""

    def authenticate(self, request):
        key = request.headers.get(HEADER)
        if key is None:
            scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer":
                return None  # the permission then answers 401 not_authenticated
            key = rest
        integration = integrations.integration_for_key(key.strip())
        if integration is None:
            raise exceptions.AuthenticationFailed("Unknown or deactivated integration key.")
        integrations.mark_used(integration=integration)
        # No person is signed in: an AnonymousUser, as middleware and logging expect a user object.
        return AnonymousUser(), integration

    def authenticate_header(self, request):
        return f'{HEADER} realm="integrations"'  # makes DRF answer 401 (with this challenge) rather than 403


class IntegrationKeyScheme(OpenApiAuthenticationExtension):
    target_class = IntegrationKeyAuthentication
    name = ["integrationKey", "integrationBearer"]

    def get_security_requirement(self, auto_schema):
        return [{"integrationKey": []}, {"integrationBearer": []}]  # either header, not both

    def get_security_definition(self, auto_schema):
        described = "The integration's key, shown once when staff made it (or last rotated it)."
        return [
            {"type": "apiKey", "in": "header", "name": HEADER, "description": described},
            {"type": "http", "scheme": "bearer", "description": described},
        ]


class IsIntegration(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Integration)


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is too large."
    default_code = "too_large"


def _body(request, limit: int):
    """The parsed JSON body, after refusing one too large to be worth reading."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise BodyTooLarge(f"Send at most {limit // 1024:,} KB in one request.")
    return request.data


def _reserve(integration: Integration, readings: int) -> None:
    if readings > integration.readings_per_minute:
        # No minute could ever take it: a 429 would have the sender wait and retry the same batch forever.
        raise serializers.ValidationError(
            {
                "readings": [
                    f"This integration may send {integration.readings_per_minute:,} readings a minute: "
                    "send at most that many in one request."
                ]
            }
        )
    wait = integrations.reserve(integration=integration, readings=readings)
    if wait is not None:
        raise exceptions.Throttled(
            wait=wait,
            detail=(
                f"This integration may send {integration.readings_per_minute:,} readings a minute; "
                f"try again in {wait} seconds."
            ),
        )


def _answer(result) -> Response:
    if result.device_ids:
        # One task for the batch: the devices' forecasts, then each one's collect rules.
        enqueue("marketplace.evaluate_devices", result.device_ids)
    code = status.HTTP_201_CREATED if result.accepted else status.HTTP_200_OK
    return Response(IngestResultSerializer(result_body(result)).data, status=code)


COMMON_RESPONSES = {
    201: OpenApiResponse(IngestResultSerializer, description="Some readings were stored."),
    200: OpenApiResponse(IngestResultSerializer, description="Nothing new: all duplicates or rejected."),
    401: OpenApiResponse(
        ErrorSerializer,
        description="No integration key (`not_authenticated`), or an unknown or deactivated one "
        "(`authentication_failed`).",
    ),
    413: error_response("The body is too large (`too_large`); nothing was stored."),
    415: NOT_JSON,
    429: error_response(
        "Over the integration's readings a minute (`throttled`); `Retry-After` says when to try again. "
        "Nothing was stored."
    ),
}


# --- The generic batch ----------------------------------------------------------------------


class BatchReadingSerializer(ReadingSerializer):
    device = serializers.CharField(help_text="The device's external id, as registered with us.")
    payload = serializers.CharField(
        required=False,
        help_text="Instead of the values: the device's frame as base64, decoded by its registered model.",
    )
    f_port = serializers.IntegerField(required=False, min_value=0, max_value=255, help_text="The frame's port.")


class BatchSerializer(serializers.Serializer):
    readings = BatchReadingSerializer(many=True, max_length=integrations.MAX_BATCH)


class BatchIngestView(APIView):
    """Where a vendor cloud or network server posts many devices' readings at once."""

    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [IsIntegration]
    max_body_bytes = MAX_BATCH_BYTES  # the parser's bound (the API's default is far smaller)

    @extend_schema(
        tags=["integrations"],
        summary="Report many devices' readings",
        description=(
            f'Up to {integrations.MAX_BATCH:,} readings as `{{"readings": [...]}}`, each naming its device by '
            "`device` (its external id). Each reading is checked on its own: good ones are stored; bad ones, "
            "and ones for a device this integration may not reach, are listed under `errors` by index; one "
            "already stored (the same device and `measured_at`) is counted under `duplicates`, so a batch may "
            "safely be sent again. A compactor's fill is derived from `compactions` when its device knows the "
            "count that means full. Values no sensor can measure are refused and raise the device's alarm. "
            "201 when anything was stored, else 200."
        ),
        request=BatchSerializer,
        responses={
            **COMMON_RESPONSES,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="Not an object (`malformed`), not JSON (`parse_error`), `readings` not a list, or too "
                "many readings (more than 5,000, or than the integration may send in a minute): nothing was stored.",
            ),
        },
        examples=[
            OpenApiExample(
                "Two bins and a compactor",
                value={
                    "readings": [
                        {"device": "bin-0001", "measured_at": "2026-05-01T14:30:00Z", "fill_percent": 62},
                        {
                            "device": "bin-0002",
                            "measured_at": "2026-05-01T14:30:00Z",
                            "payload": "PlgA0gA=",
                            "f_port": 1,
                        },
                        {"device": "compactor-07", "measured_at": "2026-05-01T14:31:00Z", "compactions": 140},
                    ]
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = _body(request, MAX_BATCH_BYTES)
        if type(data) is not dict or "readings" not in data:
            raise serializers.ValidationError('Send a JSON object: {"readings": [...]}.', code="malformed")
        readings = data["readings"]
        if type(readings) is not list:
            raise serializers.ValidationError({"readings": ["Expected a list of readings."]})
        if len(readings) > integrations.MAX_BATCH:
            raise serializers.ValidationError(
                {"readings": [f"Send at most {integrations.MAX_BATCH:,} readings at a time."]}
            )
        _reserve(request.auth, len(readings))
        return _answer(integrations.ingest_batch(integration=request.auth, items=readings))


# --- The Things Stack -------------------------------------------------------------------------

TTS_UPLINK_EXAMPLE = {
    "end_device_ids": {
        "device_id": "bin-0001",
        "application_ids": {"application_id": "city-bins"},
        "dev_eui": "0004A30B001C0530",
    },
    "received_at": "2026-05-01T14:30:00.412Z",
    "uplink_message": {
        "f_port": 1,
        "f_cnt": 212,
        "frm_payload": "PlgA0gA=",
        "received_at": "2026-05-01T14:30:00.203Z",
    },
}


class UplinkSerializer(serializers.Serializer):
    # Only what is read is documented; The Things Stack sends much more, which is ignored.
    end_device_ids = serializers.DictField(help_text="`device_id` (matched to the external id first) or `dev_eui`.")
    received_at = serializers.DateTimeField(required=False)
    uplink_message = serializers.DictField(
        help_text="`frm_payload` (base64) and `f_port`, decoded by the device's model; or `decoded_payload` "
        "with fill_percent, battery_percent, temperature_c, tilt_degrees, compactions; `received_at` is the "
        "reading's time."
    )


class ThingsStackUplinkView(APIView):
    """Where The Things Stack's webhook posts each device's uplink."""

    authentication_classes = [IntegrationKeyAuthentication]
    permission_classes = [IsIntegration]
    max_body_bytes = MAX_UPLINK_BYTES

    @extend_schema(
        tags=["integrations"],
        summary="The Things Stack uplink webhook",
        description=(
            "Point a The Things Stack webhook's uplink messages here, with the header `X-Integration-Key` "
            "(or `Authorization: Bearer <key>`). The device is found by `end_device_ids.device_id`, else "
            "`dev_eui`, among the devices' external ids. Its values come from `decoded_payload` when a payload "
            "formatter already decoded them, else from `frm_payload` by the device's registered model. The "
            "reading's time is `uplink_message.received_at`, so a retried webhook stores nothing twice. "
            "Problems with the message are under `errors` at index 0; a message that is not an uplink "
            "stores nothing."
        ),
        request=UplinkSerializer,
        responses={
            **COMMON_RESPONSES,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA, description="Not a JSON object (`malformed`, `parse_error`): nothing stored."
            ),
        },
        examples=[OpenApiExample("An uplink", value=TTS_UPLINK_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        message = _body(request, MAX_UPLINK_BYTES)
        if type(message) is not dict:
            raise serializers.ValidationError(
                "Send The Things Stack's uplink message: a JSON object.", code="malformed"
            )
        _reserve(request.auth, 1)
        return _answer(integrations.ingest_uplink(integration=request.auth, message=message))
