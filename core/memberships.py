"""Inviting people into an organisation (a business or a hauler), accepting, changing roles, handing on ownership.

Works on any concrete MembershipBase subclass; `organisation` is the name of its foreign key to the organisation
("customer" or "hauler"). Who may do each is the side's PERMISSIONS table: "team" to invite, remove or re-role
people, and "ownership" as well whenever an owner is made, removed or demoted (so a manager can run the team
but never touch its owners). Every change that could leave no owner locks the organisation's owner rows first,
so two owners removing each other at once cannot both succeed.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.permissions import OWNER, require

LAST_OWNER = "An organisation needs at least one owner; make someone else owner first."


def _roles(membership_model) -> dict[str, str]:
    return dict(membership_model._meta.get_field("role").choices)


def _check_role(membership_model, role: str) -> None:
    roles = _roles(membership_model)
    if role not in roles:
        raise ValidationError({"role": f"Choose one of: {', '.join(str(label) for label in roles.values())}."})


def add_owner(*, membership_model, organisation: str, organisation_obj, user):
    """Seat `user` as the owner of a new organisation."""
    if membership_model.objects.filter(user=user).exists():
        raise ValidationError(f"{user.email} already belongs to a {organisation}.")
    return membership_model.objects.create(
        **{organisation: organisation_obj},
        user=user,
        email=user.email,
        role=OWNER,
        accepted_at=timezone.now(),
    )


def invite(*, membership_model, organisation: str, organisation_obj, email: str, role: str, invited_by):
    """Record a pending invitation for `email`; return it (its token goes in the invitation link)."""
    require(user=invited_by, organisation=organisation_obj, action="team")
    email = email.strip().lower()
    _check_role(membership_model, role)
    if role == OWNER:
        require(user=invited_by, organisation=organisation_obj, action="ownership")
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


def _locked_owner_ids(membership, organisation: str) -> list[int]:
    owners = (
        type(membership)
        .objects.select_for_update()
        .filter(**{organisation: getattr(membership, organisation)}, role=OWNER, user__isnull=False)
    )
    return [owner.pk for owner in owners]


def remove(*, membership, organisation: str, by) -> None:
    """Remove a member or withdraw an invitation (anyone may leave); the last owner cannot be removed."""
    organisation_obj = getattr(membership, organisation)
    leaving = by is not None and membership.user_id == by.pk
    if not leaving:
        require(user=by, organisation=organisation_obj, action="team")
        if membership.role == OWNER:
            require(user=by, organisation=organisation_obj, action="ownership")
    with transaction.atomic():
        if membership.role == OWNER and _locked_owner_ids(membership, organisation) == [membership.pk]:
            raise ValidationError(LAST_OWNER)
        membership.delete()


def change_role(*, membership, organisation: str, role: str, by):
    """Give a member or an invitation another role; only owners make or unmake owners, and one owner stays."""
    organisation_obj = getattr(membership, organisation)
    require(user=by, organisation=organisation_obj, action="team")
    _check_role(type(membership), role)
    if OWNER in (role, membership.role):
        require(user=by, organisation=organisation_obj, action="ownership")
    with transaction.atomic():
        owner_ids = _locked_owner_ids(membership, organisation)
        membership.refresh_from_db(fields=["role"])
        if membership.role == role:
            return membership
        if membership.role == OWNER:  # made an owner since it was read: only an owner may unmake one
            require(user=by, organisation=organisation_obj, action="ownership")
        if membership.role == OWNER and owner_ids == [membership.pk]:
            raise ValidationError(LAST_OWNER)
        membership.role = role
        membership.save(update_fields=["role"])
        return membership


def transfer_ownership(*, membership, organisation: str, by, former_owner_role: str):
    """The owner `by` makes `membership` an owner and steps down to `former_owner_role`."""
    organisation_obj = getattr(membership, organisation)
    mine = require(user=by, organisation=organisation_obj, action="ownership")
    if mine is None or mine.role != OWNER:
        raise ValidationError("Only an owner of this organisation can hand ownership on.")
    if membership.user_id is None:
        raise ValidationError(f"{membership.email} has not accepted the invitation yet; ownership goes to a member.")
    if membership.pk == mine.pk:
        raise ValidationError("You are the owner already; choose someone else.")
    _check_role(type(membership), former_owner_role)
    with transaction.atomic():
        if mine.pk not in _locked_owner_ids(membership, organisation):  # demoted meanwhile by another owner
            raise ValidationError("You are no longer an owner here, so ownership is not yours to hand on.")
        # The new owner's seat is locked and read again: one that left or was removed meanwhile takes nothing, and
        # the giver is not demoted, so the organisation is never left without an owner.
        seat = type(membership).objects.select_for_update().filter(pk=membership.pk, user__isnull=False).first()
        if seat is None:
            raise ValidationError(f"{membership.email} is no longer a member here; choose someone else.")
        type(membership).objects.filter(pk=seat.pk).update(role=OWNER)
        type(membership).objects.filter(pk=mine.pk).update(role=former_owner_role)
    membership.refresh_from_db(fields=["role"])
    mine.refresh_from_db(fields=["role"])
    return membership
