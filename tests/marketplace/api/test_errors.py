"""The one error translation: every error body is field errors or {detail, code}."""

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions

from core.errors import Conflict, NotFound
from core.transitions import TransitionConflict
from marketplace.api.errors import exception_handler
from marketplace.services import NoHaulerAvailable


def handled(error: Exception):
    response = exception_handler(error, {})
    return response.status_code, response.data


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (ValidationError({"zip_code": "Enter a 5-digit ZIP code."}), 400, {"zip_code": ["Enter a 5-digit ZIP code."]}),
        (
            ValidationError({"street": ["Enter the street."], "city": ["Enter the city."]}),
            400,
            {"street": ["Enter the street."], "city": ["Enter the city."]},
        ),
        (ValidationError({NON_FIELD_ERRORS: ["Clashes."]}), 400, {"non_field_errors": ["Clashes."]}),
        (ValidationError("Not like this."), 400, {"detail": "Not like this.", "code": "invalid"}),
        (
            ValidationError("Over %(n)s.", code="too_many", params={"n": 3}),
            400,
            {"detail": "Over 3.", "code": "too_many"},
        ),
        (ValidationError(["One.", "Two."]), 400, {"detail": "One. Two.", "code": "invalid"}),
        (
            NoHaulerAvailable("No hauler serves this yet.", code="no_hauler"),
            400,
            {
                "detail": "No hauler serves this yet.",
                "code": "no_hauler",
            },
        ),
        (NotFound("No such pickup."), 404, {"detail": "No such pickup.", "code": "not_found"}),
        (NotFound(), 404, {"detail": "Not found.", "code": "not_found"}),
        (Http404("Gone."), 404, {"detail": "Gone.", "code": "not_found"}),
        (Conflict("Too late."), 409, {"detail": "Too late.", "code": "conflict"}),
        (
            TransitionConflict("Pickup 1 is no longer offered."),
            409,
            {
                "detail": "Pickup 1 is no longer offered.",
                "code": "conflict",
            },
        ),
        (PermissionDenied("Owners only."), 403, {"detail": "Owners only.", "code": "permission_denied"}),
        (
            exceptions.NotAuthenticated(),
            401,
            {
                "detail": "Authentication credentials were not provided.",
                "code": "not_authenticated",
            },
        ),
        (exceptions.ValidationError("Whole request."), 400, {"detail": "Whole request.", "code": "invalid"}),
        (exceptions.ValidationError({"quote": ["Required."]}), 400, {"quote": ["Required."]}),
    ],
)
def test_errors_become_one_of_two_body_shapes(error, status, body):
    assert handled(error) == (status, body)


def test_an_unexpected_error_is_left_to_rise():
    assert exception_handler(RuntimeError("bug"), {}) is None
