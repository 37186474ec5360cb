"""Domain errors that every edge (website, API, admin, tasks) translates the same way."""

from django.core.exceptions import PermissionDenied


class Conflict(Exception):
    """The request is well formed but the object's current state forbids it (HTTP 409)."""


class NotFound(Exception):
    """The object does not exist for this caller (HTTP 404); another tenant's objects included."""


class Forbidden(PermissionDenied):
    """The caller is known but their role does not allow this (HTTP 403); says which roles would."""
