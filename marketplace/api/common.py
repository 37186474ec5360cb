"""What the three APIs (business, hauler, sensors) share: pagination and the documented error bodies."""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs, e.g. `no_hauler`, `not_found`.")


# Field errors are an open-ended object, so the schema is written by hand.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'Field errors, `{"field": ["message", ...]}` (errors spanning fields under `non_field_errors`); '
        'or a problem with the request as a whole, `{"detail": "...", "code": "..."}`.'
    ),
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


def error_response(description: str) -> OpenApiResponse:
    """An error body ({detail, code}) in the schema, with what it means here."""
    return OpenApiResponse(ErrorSerializer, description=description)


INVALID = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="The input is not valid.")
UNAUTHENTICATED = error_response("No valid token or session (`not_authenticated`, `authentication_failed`).")
NOT_JSON = error_response("The body is not `application/json` (`unsupported_media_type`).")


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class PagedView(APIView):
    # Lists: paginated the same way everywhere. (Comments, not docstrings, on these bases: the schema
    # would show a docstring as every endpoint's description.)

    def page(self, queryset, serializer_class) -> Response:
        paginator = Pages()
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(rows, many=True).data)
