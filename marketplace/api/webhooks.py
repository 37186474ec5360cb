"""The webhooks API: a business's or a hauler's endpoints, their secrets, a test event and the delivery log.

For the people who set up integrations (a business's owners and managers, a hauler's owners); everyone else is
refused with a 403 that says who may. Another organisation's endpoint is a 404.
"""

import datetime as dt

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core import permissions
from core.errors import Forbidden
from marketplace import webhooks
from marketplace.api.common import (
    INVALID,
    NOT_JSON,
    UNAUTHENTICATED,
    EnumField,
    FlatListField,
    PagedView,
    Pages,
    error_response,
)
from marketplace.api.pagination import Cursor
from marketplace.models import WebhookDelivery, WebhookEndpoint
from marketplace.webhook_events import DATA, EVENTS, TEST_EVENT

TAGS = ["webhooks"]
EVENT_LIST = "\n".join(f"* `{name}`: {meaning}" for name, meaning in EVENTS.items())
DATA_LIST = "\n".join(f"* `{key}`: {fields}" for key, fields in DATA.items())


class MayManageWebhooks(BasePermission):
    message = "Webhooks are for businesses and haulers, and your account is not part of one."
    code = "not_a_member"

    def has_permission(self, request, view):
        owner = webhooks.owner_for_user(request.user)
        if owner is None:
            return False
        try:
            permissions.require(user=request.user, organisation=owner, action="integrations")
        except Forbidden as refusal:
            self.message, self.code = str(refusal), "permission_denied"
            return False
        return True


NOT_FOUND = error_response("No such endpoint among yours (another organisation's included) (`not_found`).")
AUTHENTICATED = {
    401: UNAUTHENTICATED,
    403: error_response(
        "The account is not part of a business or a hauler (`not_a_member`), its role may not set up webhooks "
        "(`permission_denied`: a business's owners and managers and a hauler's owners may), or a session without CSRF."
    ),
}


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(EVENTS)))
    active = serializers.BooleanField(help_text="An inactive endpoint is sent nothing.")
    secret_hint = serializers.SerializerMethodField(help_text="The secret's last four characters, to tell it apart.")
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="After a rotation: until when the old secret signs too (a second `v1`)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_secret_hint(self, endpoint) -> str:
        return f"whsec_…{endpoint.secret[-4:]}"


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(
        help_text="The signing secret, shown here once (on creation and rotation): keep it where your receiver "
        "can read it."
    )


EVENTS_HELP = "The events to receive (at least one); a hauler may pick pickup.scheduled, .completed and .missed."


class EndpointCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="Where events are POSTed: https:// in production.")
    events = FlatListField(
        child=serializers.ChoiceField(choices=list(EVENTS)), max_length=len(EVENTS), help_text=EVENTS_HELP
    )
    description = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class EndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    events = FlatListField(
        child=serializers.ChoiceField(choices=list(EVENTS)),
        max_length=len(EVENTS),
        required=False,
        help_text=EVENTS_HELP,
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False, help_text="`false` stops sending; `true` starts again.")


class RotateSerializer(serializers.Serializer):
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=webhooks.MAX_OVERLAP.days * 24,
        required=False,
        help_text="How long the old secret keeps signing too (default 24); 0 retires it at once.",
    )


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField(help_text="The event's id: the same on every retry, to de-duplicate on.")
    event_type = serializers.CharField()
    status = EnumField(WebhookDelivery.Status, name="WebhookDeliveryStatusEnum")
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    response_code = serializers.IntegerField(allow_null=True, help_text="Your endpoint's last answer.")
    response_excerpt = serializers.CharField(help_text="The start of that answer's body.")
    error = serializers.CharField(help_text="Why the last attempt did not count as delivered; empty once it did.")
    duration_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    payload = serializers.JSONField(help_text="The body sent: `id`, `type`, `created` and `data`.")


class DeliveryFilterSerializer(serializers.Serializer):
    status = EnumField(WebhookDelivery.Status, name="WebhookDeliveryStatusEnum", required=False)


class WebhookView(PagedView):
    # For a business's owners and managers and a hauler's owners, who see only their own endpoints.

    permission_classes = [IsAuthenticated, MayManageWebhooks]

    @property
    def owner(self):
        return webhooks.owner_for_user(self.request.user)  # the permission has checked there is one

    def endpoint(self, endpoint_id: int) -> WebhookEndpoint:
        return webhooks.endpoint_of(owner=self.owner, endpoint_id=endpoint_id)


def _with_secret(endpoint: WebhookEndpoint, code: int = status.HTTP_200_OK) -> Response:
    return Response(EndpointWithSecretSerializer(endpoint).data, status=code)


class EndpointListView(WebhookView):
    """Your webhook endpoints: list them, or register one."""

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=TAGS,
        summary="List your webhook endpoints, oldest first",
        responses={
            200: EndpointSerializer(many=True),
            **AUTHENTICATED,
            404: error_response("No such page of the list (`not_found`)."),
        },
    )
    def get(self, request):
        return self.page(webhooks.endpoints_of(owner=self.owner), EndpointSerializer)

    @extend_schema(
        tags=TAGS,
        summary="Register a webhook endpoint",
        description=(
            "Events are POSTed as JSON, signed in the `HaulMatch-Signature` header (`t=<unix>,v1=<hex HMAC-SHA256 "
            'of "<t>.<body>">`); a non-2xx answer is retried with backoff for a day. The answer carries the '
            f"signing secret, once. Events:\n\n{EVENT_LIST}\n\nAnd `{TEST_EVENT}`, sent by the test button. "
            "The body is `{id, type, created, data}`; `data` holds one object, named for the event's first word "
            f"(times in ISO 8601 UTC, money in integer cents):\n\n{DATA_LIST}"
        ),
        request=EndpointCreateSerializer,
        responses={
            201: EndpointWithSecretSerializer,
            400: INVALID,
            **AUTHENTICATED,
            409: error_response(f"You have {webhooks.MAX_ENDPOINTS} endpoints already (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request):
        form = EndpointCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(owner=self.owner, by=request.user, **form.validated_data)
        return _with_secret(endpoint, status.HTTP_201_CREATED)


class EndpointDetailView(WebhookView):
    """One of your webhook endpoints."""

    @extend_schema(
        tags=TAGS,
        summary="One of your webhook endpoints",
        responses={200: EndpointSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(EndpointSerializer(self.endpoint(id)).data)

    @extend_schema(
        tags=TAGS,
        summary="Change a webhook endpoint",
        description="Only the fields given change.",
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def patch(self, request, id: int):
        endpoint = self.endpoint(id)
        form = EndpointUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = webhooks.update_endpoint(endpoint=endpoint, by=request.user, **form.validated_data)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(
        tags=TAGS,
        summary="Remove a webhook endpoint",
        description="Nothing more is sent to it, and its delivery log goes with it.",
        responses={204: OpenApiResponse(description="Removed."), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def delete(self, request, id: int):
        webhooks.delete_endpoint(endpoint=self.endpoint(id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointRotateView(WebhookView):
    """A new signing secret."""

    @extend_schema(
        tags=TAGS,
        summary="Rotate the endpoint's signing secret",
        description=(
            "The answer carries the new secret, once. The old one keeps signing too (a second `v1` in the "
            "header) for `overlap_hours`, so your receiver can switch without missing an event."
        ),
        request=RotateSerializer,
        responses={200: EndpointWithSecretSerializer, 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def post(self, request, id: int):
        endpoint = self.endpoint(id)
        form = RotateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        hours = form.validated_data.get("overlap_hours")
        overlap = None if hours is None else dt.timedelta(hours=hours)
        return _with_secret(webhooks.rotate_secret(endpoint=endpoint, by=request.user, overlap=overlap))


class EndpointTestView(WebhookView):
    """Send a test event."""

    @extend_schema(
        tags=TAGS,
        summary="Send the endpoint a test event",
        description=(
            f"A `{TEST_EVENT}` event, signed and retried like any other; the answer is its delivery, whose "
            "outcome the delivery log shows when it has been sent."
        ),
        request=None,
        responses={
            202: DeliverySerializer,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The endpoint is turned off (`conflict`)."),
        },
    )
    def post(self, request, id: int):
        delivery = webhooks.send_test(endpoint=self.endpoint(id), by=request.user)
        delivery.refresh_from_db()  # sent already where tasks run in-process
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class DeliveryListView(WebhookView):
    """The endpoint's delivery log."""

    pagination_class = Cursor  # a busy endpoint's log is long: pages by cursor stay put while events arrive

    @extend_schema(
        tags=TAGS,
        summary="The endpoint's deliveries, newest first",
        description=(
            "Every event sent (or waiting to be sent) to it: attempts, your endpoint's answers, what is next. "
            "Pages by cursor: follow `next`."
        ),
        parameters=[DeliveryFilterSerializer],
        responses={200: DeliverySerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        endpoint = self.endpoint(id)
        filters = DeliveryFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        deliveries = webhooks.deliveries_of(endpoint=endpoint)
        if "status" in filters.validated_data:
            deliveries = deliveries.filter(status=filters.validated_data["status"])
        return self.page(deliveries, DeliverySerializer)
