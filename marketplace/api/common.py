"""What the three APIs (business, hauler, sensors) share: pagination, the documented error bodies, times of day."""

from django.db import models
from drf_spectacular.drainage import set_override
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
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


class ClockField(serializers.TimeField):
    """A local time of day, "HH:MM"; "HH:MM:SS", as the API writes times, is read too (a GET can be PUT back)."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%H:%M", "%H:%M:%S"], **kwargs)


class LocalTimeScheme(OpenApiSerializerFieldExtension):
    """Every time of day in the API is local to a place, without a UTC offset, where the schema's "time" format
    (RFC 3339's full-time) demands one: so times are described by their pattern."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        if isinstance(self.target, ClockField):
            return {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$", "example": "07:00"}
        seconds = r"(:[0-5][0-9](\.[0-9]{1,6})?)?"
        return {"type": "string", "pattern": rf"^([01][0-9]|2[0-3]):[0-5][0-9]{seconds}$", "example": "07:00:00"}


class EnumField(serializers.ChoiceField):
    """One of a TextChoices, shown in the schema as the enum component `name`: the same word (`kind`) names
    different sets (trucks', disposal sites', stops'), which the schema generator could only number. With
    `shared=True` it refers to the component the generator names from other fields (ContainerEnum), rather
    than a second name for the same set (a list's items would be ContainersEnum)."""

    def __init__(self, enum: type[models.TextChoices], *, name: str, shared: bool = False, **kwargs):
        super().__init__(choices=enum.choices, **kwargs)
        if shared:
            set_override(self, "field", {"$ref": f"#/components/schemas/{name}"})
            return
        described = "\n".join(f"* `{value}` - {label}" for value, label in enum.choices)
        set_override(self, "field", {"type": "string", "enum": list(enum.values), "description": described})
        set_override(self, "field_component_name", name)


class FlatListField(serializers.ListField):
    """A list whose bad items are named in one flat list of messages, as every field error is (DRF's own
    would be an object keyed by position, which the documented error body does not allow)."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            raise serializers.ValidationError(
                [f"Item {index}: {message}" for index, messages in error.detail.items() for message in messages]
            ) from None


class Pages(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class PagedView(APIView):
    # Lists: paginated the same way everywhere, by pages unless the view names another pagination_class
    # (long lists take marketplace.api.pagination.Cursor). (Comments, not docstrings, on these bases: the
    # schema would show a docstring as every endpoint's description.)

    def page(self, queryset, serializer_class) -> Response:
        paginator = (getattr(self, "pagination_class", None) or Pages)()
        rows = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(rows, many=True).data)
