"""The hauler API's cases: the problems businesses reported about your visits, and your answers to them."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from marketplace import cases
from marketplace.api.business.cases import CLOSED, MULTIPART
from marketplace.api.cases import CaseDetailSerializer, CaseSerializer, MessageInputSerializer, detail
from marketplace.api.common import INVALID
from marketplace.api.hauler.views import AUTHENTICATED, NOT_FOUND, HaulerView
from marketplace.api.pagination import Cursor
from marketplace.api.parsers import BoundedJSONParser, CheckedFormParser, CheckedMultiPartParser
from marketplace.models import CaseMessage


class HaulerCaseListView(HaulerView):
    """Problems businesses reported about your visits, newest first."""

    actions = {"GET": "dispatch"}
    pagination_class = Cursor

    @extend_schema(
        tags=["hauler cases"],
        summary="List the cases about your visits, newest first",
        responses={200: CaseSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(cases.cases_for_hauler(hauler=self.hauler), CaseSerializer)


class HaulerCaseDetailView(HaulerView):
    """One case about one of your visits: the report, the evidence, the thread."""

    actions = {"GET": "dispatch"}

    @extend_schema(
        tags=["hauler cases"],
        summary="One case about your visit",
        responses={200: CaseDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(detail(cases.case_for_hauler(hauler=self.hauler, case_id=id)))


class HaulerCaseMessageView(HaulerView):
    """Your side of a case: words and a photo."""

    actions = {"POST": "dispatch"}
    parser_classes = [CheckedMultiPartParser, CheckedFormParser, BoundedJSONParser]

    @extend_schema(
        tags=["hauler cases"],
        summary="Answer a case about your visit",
        description=(
            "`multipart/form-data` with `photo` to add a photo. Your first message is your answer: staff see when "
            "you answered, and the business is told."
        ),
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
        case = cases.case_for_hauler(hauler=self.hauler, case_id=id)
        form = MessageInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        cases.add_message(case=case, side=CaseMessage.Side.HAULER, by=request.user, **form.validated_data)
        return Response(detail(case), status=status.HTTP_201_CREATED)
