"""The API's one translation of errors (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

Domain errors and Django's ValidationError become DRF responses instead of 500s, and every body has
one of two shapes:

- field errors, 400: `{"field": ["message", ...]}` (DRF's own; errors spanning fields under `non_field_errors`);
- anything else: `{"detail": "message", "code": "machine_code"}`, e.g. 400 `no_hauler`, 401 `not_authenticated`,
  403 `not_a_business`, 404 `not_found`, 409 `conflict`, 415 `unsupported_media_type`.
"""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import Conflict, NotFound


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, after translating domain errors, with bodies in the two shapes above."""
    exc = _translated(exc)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = _body(exc, response.data)
    return response


def page_not_found(request, exception):
    """The project's handler404: an API path no URL matches (`/api/v1/pickups/abc/`) answers in JSON, as
    every API 404 does; the website's pages keep Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


def _translated(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        return _validation_error(exc)
    if isinstance(exc, NotFound):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, Http404):  # as DRF's handler would, so the body gets its code too
        return exceptions.NotFound(*exc.args)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, Conflict):
        return ConflictError(str(exc) or None)
    return exc


def _validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        detail = get_error_detail(exc)
        if NON_FIELD_ERRORS in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
        return exceptions.ValidationError(detail)
    code = next((error.code for error in exc.error_list if error.code), "invalid")
    return exceptions.ValidationError(" ".join(exc.messages), code=code)


def _body(exc: exceptions.APIException, data):
    if isinstance(data, dict) and "detail" not in data:
        return data  # field errors
    if isinstance(data, list):  # a ValidationError about the request as a whole
        codes = exc.get_codes()
        code = codes[0] if isinstance(codes, list) and codes and isinstance(codes[0], str) else "invalid"
        return {"detail": " ".join(str(message) for message in data), "code": code}
    detail = data["detail"]
    return {**data, "detail": str(detail), "code": getattr(detail, "code", None) or exc.default_code}
