"""The hauler API: offers to answer, jobs to do and prove, the service area and the rate card; the fleet
(hauler/fleet.py) and the day's routes (hauler/routes.py) build on the HaulerView here.

Same rules as the business API: each view validates input with a serializer, calls one service or
selector, serializes; errors rise to marketplace.api.errors.
"""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from haulers import services as hauler_services
from haulers.models import Hauler
from marketplace import dispatch, selectors, services
from marketplace.api.common import INVALID, NOT_JSON, UNAUTHENTICATED, PagedView, error_response
from marketplace.api.hauler import serializers as h
from marketplace.api.pagination import Cursor
from marketplace.api.parsers import CheckedFormParser, CheckedMultiPartParser
from marketplace.api.roles import RoleAllows


class IsHaulerMember(BasePermission):
    message = "This API is for haulers, and your account is not part of one."
    code = "not_a_hauler"

    def has_permission(self, request, view):
        return selectors.hauler_of(request.user) is not None


NOT_A_HAULER = error_response(
    "The account is not part of a hauler (`not_a_hauler`), its role does not allow this (`permission_denied`: "
    "drivers work their jobs, dispatchers also offers, trucks and routes, owners everything), or a session "
    "without CSRF."
)
NOT_FOUND = error_response("No such object among yours (another hauler's objects included).")
AUTHENTICATED = {401: UNAUTHENTICATED, 403: NOT_A_HAULER}


class HaulerView(PagedView):
    # For the people of one hauler, who see only that hauler's offers and jobs.

    permission_classes = [IsAuthenticated, IsHaulerMember, RoleAllows]
    actions: dict[str, str] = {}  # what the role must allow, per method (marketplace.api.roles)

    @property
    def hauler(self) -> Hauler:
        return selectors.hauler_of(self.request.user)  # the permission has checked there is one

    @property
    def organisation(self) -> Hauler:
        return self.hauler

    def job(self, pickup_id: int) -> Response:
        return Response(h.JobDetailSerializer(selectors.job_of(hauler=self.hauler, pickup_id=pickup_id)).data)


def _service_area(zip_codes: list[str]) -> Response:
    return Response(h.ServiceAreaSerializer({"zip_codes": zip_codes, "count": len(zip_codes)}).data)


def _rate_card(hauler: Hauler) -> Response:
    return Response(h.RateSerializer(hauler.rates.order_by("waste_stream", "container"), many=True).data)


# --- Offers ---------------------------------------------------------------------------


class OfferListView(HaulerView):
    """Jobs offered to you."""

    actions = {"GET": "offers"}

    pagination_class = Cursor

    @extend_schema(
        tags=["hauler offers"],
        summary="List your offers, soonest answer-by first",
        description="Pending offers unless `status` says otherwise. An offer names no customer and no street.",
        parameters=[h.OfferFilterSerializer],
        responses={200: h.OfferSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        filters = h.OfferFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.page(
            selectors.offers_for(hauler=self.hauler, statuses=filters.validated_data.get("status")), h.OfferSerializer
        )


class OfferAcceptView(HaulerView):
    """Taking an offered job."""

    actions = {"POST": "offers"}

    @extend_schema(
        tags=["hauler offers"],
        summary="Accept an offer",
        description="The job is yours: the answer is the job, with the customer's address and contact.",
        request=None,
        responses={
            200: h.JobDetailSerializer,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response(
                "The offer is no longer pending, the pickup was taken, or you can no longer take it (`conflict`)."
            ),
        },
    )
    def post(self, request, id: int):
        pickup = dispatch.accept_offer(offer_id=id, hauler=self.hauler, by=request.user)
        return self.job(pickup.pk)


class OfferDeclineView(HaulerView):
    """Turning an offered job down."""

    actions = {"POST": "offers"}

    @extend_schema(
        tags=["hauler offers"],
        summary="Decline an offer",
        description="The job goes to the next hauler. The body, and its reason, are optional.",
        request=h.DeclineSerializer,
        responses={
            200: h.OfferSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The offer is no longer pending (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request, id: int):
        form = h.DeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        offer = dispatch.decline_offer(
            offer_id=id, hauler=self.hauler, reason=form.validated_data["reason"], by=request.user
        )
        return Response(h.OfferSerializer(selectors.offer_for(hauler=self.hauler, offer_id=offer.pk)).data)


# --- Jobs -----------------------------------------------------------------------------


class JobListView(HaulerView):
    """The jobs you hold."""

    actions = {"GET": "dispatch"}

    pagination_class = Cursor

    @extend_schema(
        tags=["hauler jobs"],
        summary="List your jobs, by date or by ZIP",
        description="Scheduled jobs unless `status` says otherwise; `order=zip` groups them to plan a route.",
        parameters=[h.JobFilterSerializer],
        responses={200: h.JobSerializer(many=True), 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        filters = h.JobFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.jobs_of(
            hauler=self.hauler,
            statuses=filters.validated_data.get("status"),
            date_from=filters.validated_data.get("date_from"),
            date_to=filters.validated_data.get("date_to"),
            order=filters.validated_data["order"],
        )
        return self.page(jobs, h.JobSerializer)


class JobDetailView(HaulerView):
    """One of your jobs."""

    @extend_schema(
        tags=["hauler jobs"],
        summary="One of your jobs, with its proof of service",
        responses={200: h.JobDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return self.job(id)


class JobCompleteView(HaulerView):
    """Recording that a job was done."""

    parser_classes = [CheckedMultiPartParser, CheckedFormParser]  # the photo is a file

    @extend_schema(
        tags=["hauler jobs"],
        summary="Complete a job with proof of service",
        description=(
            "Send `multipart/form-data` with the photo. A file is checked by its content, whatever its name. "
            "A weight in pounds is stored in kilograms. Done before the arrival window opens (in the location's "
            "zone), it needs `early_reason`: without one the answer is a 400 naming that field."
        ),
        request={"multipart/form-data": h.CompletionSerializer},
        responses={
            200: h.JobDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The job is not scheduled (already completed, missed or cancelled) (`conflict`)."),
            415: error_response("The body is not `multipart/form-data` (`unsupported_media_type`)."),
        },
    )
    def post(self, request, id: int):
        form = h.CompletionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.complete_pickup(pickup_id=id, hauler=self.hauler, **form.validated_data, by=request.user)
        return self.job(id)


class JobExceptionView(HaulerView):
    """Reporting that a job could not be done, for a reason on the customer's side."""

    @extend_schema(
        tags=["hauler jobs"],
        summary="Report that a job could not be serviced",
        description="The container was blocked, contaminated or not put out: the job is missed, and the customer "
        "is told why.",
        request=h.ServiceExceptionSerializer,
        responses={
            200: h.JobDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The job is not scheduled (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request, id: int):
        form = h.ServiceExceptionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.report_exception(pickup_id=id, hauler=self.hauler, **form.validated_data, by=request.user)
        return self.job(id)


# --- Service area and rates -----------------------------------------------------------


class ServiceAreaView(HaulerView):
    """The ZIP codes you serve."""

    actions = {"GET": "see", "PUT": "commercial"}

    @extend_schema(
        tags=["hauler settings"],
        summary="Your service area",
        responses={200: h.ServiceAreaSerializer, **AUTHENTICATED},
    )
    def get(self, request):
        return _service_area(list(self.hauler.service_zips.order_by("zip_code").values_list("zip_code", flat=True)))

    @extend_schema(
        tags=["hauler settings"],
        summary="Replace your service area",
        description=(
            'Either the whole list, `{"zip_codes": ["78701", ...]}`, or a centre and a radius, '
            '`{"centre_zip": "78701", "radius_miles": 10}`, expanded to the ZIP codes within it once, now.'
        ),
        request=h.ServiceAreaUpdateSerializer,
        responses={200: h.ServiceAreaSerializer, 400: INVALID, **AUTHENTICATED, 415: NOT_JSON},
    )
    def put(self, request):
        form = h.ServiceAreaUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        values = form.validated_data
        if "zip_codes" in values:
            zip_codes = hauler_services.set_service_zips(
                hauler=self.hauler, by=request.user, zip_codes=values["zip_codes"]
            )
        else:
            zip_codes = hauler_services.set_service_radius(
                hauler=self.hauler,
                by=request.user,
                centre_zip=values["centre_zip"],
                radius_miles=values["radius_miles"],
            )
        return _service_area(zip_codes)


class RatesView(HaulerView):
    """Your rate card: what you charge for each waste stream and container."""

    actions = {"GET": "see", "PUT": "commercial"}

    @extend_schema(
        tags=["hauler settings"],
        summary="Your rate card",
        responses={200: h.RateSerializer(many=True), **AUTHENTICATED},
    )
    def get(self, request):
        return _rate_card(self.hauler)

    @extend_schema(
        tags=["hauler settings"],
        summary="Replace your rate card",
        description=(
            "The whole card, as a list: a service left out is no longer offered. Every row is valid or nothing "
            "changes; errors are keyed `rows.<index>` or `rows.<index>.<field>` (positions from 0)."
        ),
        request=h.RateSerializer(many=True, max_length=h.MAX_RATE_ROWS),
        responses={200: h.RateSerializer(many=True), 400: INVALID, **AUTHENTICATED, 415: NOT_JSON},
    )
    def put(self, request):
        form = h.RateSerializer(data=request.data, many=True, max_length=h.MAX_RATE_ROWS)
        form.is_valid(raise_exception=True)
        hauler_services.set_rate_card(hauler=self.hauler, by=request.user, rows=form.validated_data)
        return _rate_card(self.hauler)
