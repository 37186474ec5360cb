"""The business API: each view validates input with a serializer, calls one service or selector, serializes.

Errors are translated once, in marketplace.api.errors; a view just lets them rise.
"""

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from customers import services as customer_services
from customers.models import Customer
from marketplace import selectors, services
from marketplace.api.business import serializers as s
from marketplace.api.common import (
    INVALID,
    NOT_JSON,
    UNAUTHENTICATED,
    VALIDATION_ERROR_SCHEMA,
    PagedView,
    Pages,
    error_response,
)
from marketplace.api.pagination import Cursor
from marketplace.api.roles import RoleAllows


class IsBusinessMember(BasePermission):
    message = "This API is for businesses, and your account is not part of one."
    code = "not_a_business"

    def has_permission(self, request, view):
        return selectors.customer_of(request.user) is not None


NOT_A_BUSINESS = error_response(
    "The account is not part of a business (`not_a_business`), its role does not allow this (`permission_denied`: "
    "members book and see; owners and managers also change locations, sensors, billing and webhooks), or a "
    "session without CSRF."
)
NOT_FOUND = error_response("No such object among yours (another business's objects included).")
CONFLICT = error_response("The object's current state does not allow this (`conflict`).")
AUTHENTICATED = {401: UNAUTHENTICATED, 403: NOT_A_BUSINESS}


class BusinessView(PagedView):
    # For the people of one business, who see only that business's objects.

    permission_classes = [IsAuthenticated, IsBusinessMember, RoleAllows]
    actions: dict[str, str] = {}  # what the role must allow, per method (marketplace.api.roles)

    @property
    def customer(self) -> Customer:
        return selectors.customer_of(self.request.user)  # the permission has checked there is one

    @property
    def organisation(self) -> Customer:
        return self.customer


# One for every answer, as a list serializer keeps one child: making a serializer deep-copies each field it declares.
_PICKUP_DETAIL = s.PickupDetailSerializer()


def _detail(pickup, *, code: int = status.HTTP_200_OK) -> Response:
    pickup.timeline = selectors.pickup_timeline(pickup=pickup)
    return Response(_PICKUP_DETAIL.to_representation(pickup), status=code)


# --- Locations ------------------------------------------------------------------------


class LocationListView(BusinessView):
    """The addresses your business is served at."""

    actions = {"POST": "sites"}  # owners and managers add locations (the service checks again)

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=["locations"],
        summary="List your service locations",
        parameters=[s.LocationFilterSerializer],
        responses={200: s.LocationSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        filters = s.LocationFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        locations = selectors.locations_of(
            customer=self.customer, include_archived=filters.validated_data["include_archived"]
        )
        return self.page(locations, s.LocationSerializer)

    @extend_schema(
        tags=["locations"],
        summary="Add a service location",
        description="Coordinates and timezone come from the ZIP code unless given.",
        request=s.LocationCreateSerializer,
        responses={201: s.LocationSerializer, 400: INVALID, **AUTHENTICATED, 415: NOT_JSON},
    )
    def post(self, request):
        form = s.LocationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = dict(form.validated_data)
        location = customer_services.add_location(
            customer=self.customer, by=request.user, timezone_name=values.pop("timezone", None), **values
        )
        return Response(s.LocationSerializer(location).data, status=status.HTTP_201_CREATED)


class LocationDetailView(BusinessView):
    """One of the addresses your business is served at."""

    actions = {"PATCH": "sites"}

    @extend_schema(
        tags=["locations"],
        summary="One of your service locations",
        responses={200: s.LocationSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(s.LocationSerializer(selectors.location_of(customer=self.customer, location_id=id)).data)

    @extend_schema(
        tags=["locations"],
        summary="Change or archive a service location",
        description=(
            "A new ZIP code re-derives the coordinates and timezone. `archived: true` archives it; "
            "`archived: false` restores it."
        ),
        request=s.LocationUpdateSerializer,
        responses={200: s.LocationSerializer, 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def patch(self, request, id: int):
        form = s.LocationUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        archive = changes.pop("archived", None)
        location = selectors.location_of(customer=self.customer, location_id=id)
        with transaction.atomic():
            if changes:
                location = customer_services.update_location(location=location, by=request.user, **changes)
            if archive:
                location = customer_services.archive_location(location=location, by=request.user)
            elif archive is False:
                location = customer_services.restore_location(location=location, by=request.user)
        return Response(s.LocationSerializer(location).data)


# --- Quotes ---------------------------------------------------------------------------


class QuoteView(BusinessView):
    """Instant prices for a pickup at one of your locations."""

    @extend_schema(
        tags=["quotes"],
        summary="Get an instant quote",
        description=(
            "Prices the request from the best eligible hauler. When no hauler serves it yet the answer is 400 "
            'with `"code": "no_hauler"`, and the request is noted so we can recruit one.\n\n'
            "The arrival window is `window_start` and `window_end`, both or neither, one of the windows offered: "
            f"{', '.join(s.OFFERED_WINDOWS)} (local time at the location; the first when not given). "
            "A window not offered is a 400 under `window` that names them."
        ),
        request=s.QuoteRequestSerializer,
        responses={
            201: s.QuoteSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description="Field errors (`window` for a window not offered), or no hauler serves this yet "
                "(`no_hauler`).",
            ),
            **AUTHENTICATED,
            404: NOT_FOUND,
            415: NOT_JSON,
        },
    )
    def post(self, request):
        values = dict(_quote_request(request.data))
        location = selectors.location_of(customer=self.customer, location_id=values.pop("location"))
        quote = services.create_quote(customer=self.customer, location=location, **values)
        return Response(QUOTE.to_representation(quote), status=status.HTTP_201_CREATED)


# One serializer of each for every quote: their fields keep nothing between calls, and making a serializer
# deep-copies every field it declares (about 0.2 ms each, a tenth of what the rest of a quote costs in Django).
QUOTE_REQUEST, QUOTE = s.QuoteRequestSerializer(), s.QuoteSerializer()


def _quote_request(data) -> dict:
    try:
        return QUOTE_REQUEST.run_validation(data)
    except ValidationError:  # refused: the errors as a serializer of its own words them (is_valid's edge cases)
        form = s.QuoteRequestSerializer(data=data)
        form.is_valid(raise_exception=True)
        return form.validated_data


# --- Pickups --------------------------------------------------------------------------


class PickupListView(BusinessView):
    """Your pickups: list them, or book a quote to make one."""

    pagination_class = Cursor

    @extend_schema(
        tags=["pickups"],
        summary="List your pickups, soonest first",
        parameters=[s.PickupFilterSerializer],
        responses={200: s.PickupSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        filters = s.PickupFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        pickups = selectors.pickups_of(
            customer=self.customer,
            statuses=filters.validated_data.get("status"),
            date_from=filters.validated_data.get("date_from"),
            date_to=filters.validated_data.get("date_to"),
        )
        return self.page(selectors.with_payment_status(pickups), s.PickupSerializer)

    @extend_schema(
        tags=["pickups"],
        summary="Book a quote",
        description="Booking the same quote again returns the same pickup, with 200 instead of 201.",
        request=s.BookingSerializer,
        responses={
            201: OpenApiResponse(s.PickupDetailSerializer, description="Booked."),
            200: OpenApiResponse(s.PickupDetailSerializer, description="Already booked: the same pickup."),
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The quote has expired (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request):
        form = s.BookingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        quote = selectors.quote_of(customer=self.customer, quote_id=form.validated_data["quote"])
        pickup, created = services.get_or_book_quote(quote=quote, customer=self.customer, by=request.user)
        # Read back as the detail reads it: one query for the payment block, where the new row would take three.
        pickup = selectors.pickup_with_payment(customer=self.customer, pickup_id=pickup.pk)
        return _detail(pickup, code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PickupDetailView(BusinessView):
    """One of your pickups and how its status changed."""

    @extend_schema(
        tags=["pickups"],
        summary="One of your pickups, with its status history",
        responses={200: s.PickupDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return _detail(selectors.pickup_with_payment(customer=self.customer, pickup_id=id))


class PickupCancelView(BusinessView):
    """Cancelling one of your pickups."""

    @extend_schema(
        tags=["pickups"],
        summary="Cancel a pickup",
        description=(
            "Possible until the arrival window opens. A scheduled pickup cancelled within the cancellation cutoff "
            "costs `cancellation_fee_cents`."
        ),
        request=None,
        responses={200: s.PickupDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request, id: int):
        pickup = selectors.pickup_of(customer=self.customer, pickup_id=id)
        return _detail(services.cancel_pickup(pickup=pickup, by=request.user))
