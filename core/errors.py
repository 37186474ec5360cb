"""Domain errors that every edge (website, API, admin, tasks) translates the same way."""


class Conflict(Exception):
    """The request is well formed but the object's current state forbids it (HTTP 409)."""


class NotFound(Exception):
    """The object does not exist for this caller (HTTP 404); another tenant's objects included."""
