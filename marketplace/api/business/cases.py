"""The business API's cases: report a problem with a visit (with photos), list and read your cases, add to one."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from marketplace import cases, selectors
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.api.cases import CaseDetailSerializer, CaseSerializer, MessageInputSerializer, detail
from marketplace.api.common import INVALID, EnumField, error_response
from marketplace.api.pagination import Cursor
from marketplace.api.parsers import BoundedJSONParser, CheckedFormParser, CheckedMultiPartParser
from marketplace.models import Case, CaseMessage

NOT_REPORTABLE = error_response(
    "The visit cannot be reported (`conflict`): it has not happened yet, or it was too long ago."
)
CLOSED = error_response("The case is settled and takes no more messages (`conflict`).")
MULTIPART = error_response("The body is not `multipart/form-data` or JSON (`unsupported_media_type`).")


class PhotosField(serializers.ListField):
    """Files of a multipart form; anything else (JSON cannot carry a file) is one flat error, as every field's."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(hasattr(item, "read") for item in data):
            raise serializers.ValidationError("Photos are files: send them as multipart/form-data.")
        if len(data) > cases.MAX_PHOTOS:
            raise serializers.ValidationError(f"Attach at most {cases.MAX_PHOTOS} photos.")
        return list(data)


class ReportSerializer(serializers.Serializer):
    pickup = serializers.IntegerField(help_text="The visit (one of your pickups).")
    problem = EnumField(Case.Problem, name="CaseProblemEnum")
    description = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=cases.MAX_BODY, help_text="Needed for `other`."
    )
    photos = PhotosField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        max_length=cases.MAX_PHOTOS,
        help_text=f"Up to {cases.MAX_PHOTOS} JPEG or PNG photos (multipart only).",
    )


class CaseListView(BusinessView):
    """Problems you reported with visits, and card disputes, newest first."""

    actions = {"GET": "see", "POST": "book"}
    pagination_class = Cursor
    parser_classes = [CheckedMultiPartParser, CheckedFormParser, BoundedJSONParser]

    @extend_schema(
        tags=["cases"],
        summary="List your cases, newest first",
        responses={200: CaseSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(cases.cases_for_customer(customer=self.customer), CaseSerializer)

    @extend_schema(
        tags=["cases"],
        summary="Report a problem with a visit",
        description=(
            "JSON, or `multipart/form-data` to attach photos (repeat the `photos` field). The same problem reported "
            "again while its case is open adds to that case (the answer is then a 200, not a 201). HaulMatch staff "
            "settle it by `respond_by`: a make-up visit, a refund, a credit, or a reasoned rejection."
        ),
        request={"multipart/form-data": ReportSerializer, "application/json": ReportSerializer},
        responses={
            200: CaseDetailSerializer,
            201: CaseDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: error_response("No such pickup among yours (another business's included)."),
            409: NOT_REPORTABLE,
            415: MULTIPART,
        },
    )
    def post(self, request):
        data = request.data
        if hasattr(data, "getlist"):  # a form: the photos field repeats
            data = {**data.dict(), "photos": data.getlist("photos")}
        form = ReportSerializer(data=data)
        form.is_valid(raise_exception=True)
        given = form.validated_data
        pickup = selectors.pickup_of(customer=self.customer, pickup_id=given["pickup"])
        # only the answer's code depends on it: open_problem itself decides under the pickup's lock
        adds = Case.objects.filter(pickup=pickup, problem=given["problem"], status=Case.Status.OPEN).exists()
        case = cases.open_problem(
            pickup=pickup, problem=given["problem"], description=given["description"], photos=given["photos"],
            by=request.user,
        )  # fmt: skip
        answer = detail(cases.case_for_customer(customer=self.customer, case_id=case.pk))
        return Response(answer, status=status.HTTP_200_OK if adds else status.HTTP_201_CREATED)


class CaseDetailView(BusinessView):
    """One of your cases: where it stands, its evidence and its thread."""

    actions = {"GET": "see"}

    @extend_schema(
        tags=["cases"],
        summary="One of your cases",
        responses={200: CaseDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(detail(cases.case_for_customer(customer=self.customer, case_id=id)))


class CaseMessageView(BusinessView):
    """Adding words or a photo to one of your open cases."""

    actions = {"POST": "book"}
    parser_classes = [CheckedMultiPartParser, CheckedFormParser, BoundedJSONParser]

    @extend_schema(
        tags=["cases"],
        summary="Add a message or a photo to your case",
        description="`multipart/form-data` with `photo` to add a photo; the hauler and staff are told.",
        request={"multipart/form-data": MessageInputSerializer, "application/json": MessageInputSerializer},
        responses={
            201: CaseDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: CLOSED,
            415: MULTIPART,
        },
    )
    def post(self, request, id: int):
        case = cases.case_for_customer(customer=self.customer, case_id=id)
        form = MessageInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cases.add_message(case=case, side=CaseMessage.Side.BUSINESS, by=request.user, **form.validated_data)
        return Response(detail(case), status=status.HTTP_201_CREATED)
