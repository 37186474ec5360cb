"""The one guarded way to change a status.

A model that uses it has a `status` field and a `TRANSITIONS` table {from: {to, ...}}.
The change is a conditional UPDATE (`WHERE status = <what we read>`), so of two
concurrent transitions from the same state exactly one succeeds; the loser gets
TransitionConflict rather than silently overwriting the winner.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from core.errors import Conflict
from core.models import StatusChange


class TransitionNotAllowed(Conflict):
    """The table forbids moving from the current status to the requested one."""


class TransitionConflict(TransitionNotAllowed):
    """Someone else changed the status between our read and our write."""


def actor(user):
    """The user to record as having done something, or None (a task, the system, an anonymous visitor)."""
    return user if user is not None and user.is_authenticated else None


def allowed(obj: models.Model, to: str) -> bool:
    """Whether obj's transition table allows moving from its current status to `to`."""
    return to in obj.TRANSITIONS.get(obj.status, ())


def transition(obj: models.Model, to: str, *, by=None, reason: str = "", fields: dict | None = None) -> StatusChange:
    """Move obj to status `to`, setting `fields` with it, and log who did it and why."""
    current = obj.status
    if not allowed(obj, to):
        raise TransitionNotAllowed(f"{obj._meta.verbose_name} cannot go from {current} to {to}.")
    changes = {"status": to, **(fields or {})}
    if any(field.name == "updated_at" for field in obj._meta.concrete_fields):
        changes["updated_at"] = timezone.now()
    if transaction.get_connection().in_atomic_block:
        # The caller's transaction holds the update and its log line together; a savepoint would add two round
        # trips and protect nothing: a conflict is found before anything is written.
        return _write(obj, current, to, changes, by=by, reason=reason)
    with transaction.atomic():
        return _write(obj, current, to, changes, by=by, reason=reason)


def _write(obj: models.Model, current: str, to: str, changes: dict, *, by, reason: str) -> StatusChange:
    updated = type(obj)._default_manager.filter(pk=obj.pk, status=current).update(**changes)
    if updated != 1:
        raise TransitionConflict(f"{obj._meta.verbose_name} {obj.pk} is no longer {current}.")
    for name, value in changes.items():
        setattr(obj, name, value)
    return StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        from_status=current,
        to_status=to,
        by=actor(by),
        reason=reason[:500],
    )


def history(obj: models.Model):
    """obj's status changes, oldest first."""
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True), object_id=obj.pk
    ).select_related("by")
