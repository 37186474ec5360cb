"""Inviting people into an organisation (a business or a hauler) and accepting invitations.

Works on any concrete MembershipBase subclass; `organisation` is the name of its
foreign key to the organisation ("customer" or "hauler").
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import Role


def add_owner(*, membership_model, organisation: str, organisation_obj, user):
    """Seat `user` as the owner of a new organisation."""
    if membership_model.objects.filter(user=user).exists():
        raise ValidationError(f"{user.email} already belongs to a {organisation}.")
    return membership_model.objects.create(
        **{organisation: organisation_obj},
        user=user,
        email=user.email,
        role=Role.OWNER,
        accepted_at=timezone.now(),
    )


def invite(*, membership_model, organisation: str, organisation_obj, email: str, role: str, invited_by):
    """Record a pending invitation for `email`; return it (its token goes in the invitation link)."""
    email = email.strip().lower()
    if role not in Role.values:
        raise ValidationError({"role": f"Choose one of: {', '.join(Role.values)}."})
    if membership_model.objects.filter(**{organisation: organisation_obj}, email=email).exists():
        raise ValidationError({"email": f"{email} is already a member or has been invited."})
    try:
        with transaction.atomic():
            return membership_model.objects.create(
                **{organisation: organisation_obj}, email=email, role=role, invited_by=invited_by
            )
    except IntegrityError:  # a concurrent invitation of the same address won the race
        raise ValidationError({"email": f"{email} is already a member or has been invited."}) from None


def accept(*, membership_model, organisation: str, token: str, user):
    """Seat `user` in the membership invited by `token`."""
    with transaction.atomic():
        membership = membership_model.objects.select_for_update().filter(token=token).first()
        if membership is None:
            raise ValidationError("This invitation does not exist or was withdrawn.")
        if membership.user_id is not None:
            if membership.user_id == user.pk:
                return membership
            raise ValidationError("This invitation has already been accepted.")
        if membership.email != user.email.lower():
            raise ValidationError(f"This invitation is for {membership.email}; sign in with that address to accept it.")
        if membership_model.objects.filter(user=user).exists():
            raise ValidationError(f"You already belong to a {organisation}; a person can belong to one only.")
        membership.user = user
        membership.accepted_at = timezone.now()
        membership.save(update_fields=["user", "accepted_at"])
        return membership


def remove(*, membership, organisation: str) -> None:
    """Remove a member or withdraw an invitation; the last owner cannot be removed."""
    with transaction.atomic():
        owners = (
            type(membership)
            .objects.select_for_update()
            .filter(**{organisation: getattr(membership, organisation)}, role=Role.OWNER, user__isnull=False)
        )
        is_last_owner = membership.role == Role.OWNER and [o.pk for o in owners] == [membership.pk]
        if is_last_owner:
            raise ValidationError("An organisation needs at least one owner; make someone else owner first.")
        membership.delete()
