"""Use cases for haulers: register, verify, suspend, the team and its roles, service area, rates, credentials.

A change a hauler's people make takes `by`, the person acting (None for the platform), and checks their role
first (core.permissions; the table is haulers.models.Membership.PERMISSIONS). Staff actions (verify, suspend)
are the platform's and take `by` for the record only."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import geo, memberships
from core.catalog import Container, WasteStream
from core.permissions import require
from core.transitions import transition
from core.uploads import DOCUMENT_TYPES, check_upload
from haulers.models import (
    MAX_RATE_CENTS,
    WEEKDAYS_MONDAY_TO_FRIDAY,
    Credential,
    Hauler,
    HaulerRole,
    Membership,
    Rate,
    ServiceZip,
)


def _depot(zip_code: str) -> geo.ZipInfo:
    zip_code = (zip_code or "").strip()
    info = geo.lookup(zip_code) if len(zip_code) == 5 and zip_code.isdigit() else None
    if info is None:
        raise ValidationError({"depot_zip": f"{zip_code or 'That'} is not a US ZIP code we know."})
    return info


def _check_operations(*, name: str, working_days: int) -> None:
    errors = {}
    if not name.strip():
        errors["name"] = "Enter the company's name."
    if not 1 <= working_days <= 0b1111111:
        errors["working_days"] = "Choose at least one working day."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def register_hauler(
    *,
    owner,
    name: str,
    depot_zip: str,
    working_days: int = WEEKDAYS_MONDAY_TO_FRIDAY,
    phone: str = "",
) -> Hauler:
    """Create a hauler, pending staff verification, with `owner` as its first owner."""
    _check_operations(name=name, working_days=working_days)
    depot = _depot(depot_zip)
    hauler = Hauler.objects.create(
        name=name.strip(),
        phone=phone.strip(),
        depot_zip=depot.zip_code,
        depot_latitude=depot.latitude,
        depot_longitude=depot.longitude,
        working_days=working_days,
    )
    memberships.add_owner(membership_model=Membership, organisation="hauler", organisation_obj=hauler, user=owner)
    return hauler


def update_operations(*, hauler: Hauler, by, name: str, phone: str, depot_zip: str, working_days: int) -> Hauler:
    """Change the company's name, phone, depot and working days (capacity is its trucks'); owners only."""
    require(user=by, organisation=hauler, action="company")
    _check_operations(name=name, working_days=working_days)
    depot = _depot(depot_zip)
    hauler.name, hauler.phone = name.strip(), phone.strip()
    hauler.depot_zip, hauler.depot_latitude, hauler.depot_longitude = depot.zip_code, depot.latitude, depot.longitude
    hauler.working_days = working_days
    # Only these fields: a staff verification or a score update made meanwhile must not be overwritten.
    hauler.save(
        update_fields=[
            "name", "phone", "depot_zip", "depot_latitude", "depot_longitude", "working_days",
            "updated_at",
        ]
    )  # fmt: skip
    return hauler


@transaction.atomic
def verify_hauler(*, hauler: Hauler, by, reason: str = "Credentials checked") -> Hauler:
    """Staff verified the hauler's documents: they count from now on, and the hauler becomes active."""
    hauler.credentials.filter(verified_at__isnull=True).update(verified_at=timezone.now(), verified_by=by)
    transition(
        hauler, Hauler.Status.ACTIVE, by=by, reason=reason, fields={"verified_at": timezone.now(), "verified_by": by}
    )
    return hauler


def suspend_hauler(*, hauler: Hauler, by, reason: str) -> Hauler:
    """Take a hauler out of matching."""
    transition(hauler, Hauler.Status.SUSPENDED, by=by, reason=reason)
    return hauler


def invite_member(*, hauler: Hauler, email: str, role: str, invited_by) -> Membership:
    """Invite `email` to join `hauler` with `role`."""
    return memberships.invite(
        membership_model=Membership,
        organisation="hauler",
        organisation_obj=hauler,
        email=email,
        role=role,
        invited_by=invited_by,
    )


def accept_invitation(*, token: str, user) -> Membership:
    """Seat `user` in the hauler that invited them."""
    return memberships.accept(membership_model=Membership, organisation="hauler", token=token, user=user)


def remove_member(*, membership: Membership, by) -> None:
    """Remove a member or withdraw an invitation (never the last owner); anyone may leave."""
    memberships.remove(membership=membership, organisation="hauler", by=by)


def change_role(*, membership: Membership, role: str, by) -> Membership:
    """Give a member or an invitation another role (owners only)."""
    return memberships.change_role(membership=membership, organisation="hauler", role=role, by=by)


def transfer_ownership(*, membership: Membership, by) -> Membership:
    """The owner `by` makes `membership` the owner and becomes a dispatcher."""
    return memberships.transfer_ownership(
        membership=membership, organisation="hauler", by=by, former_owner_role=HaulerRole.DISPATCHER
    )


@transaction.atomic
def set_service_zips(*, hauler: Hauler, by, zip_codes: list[str]) -> list[str]:
    """Replace the hauler's service area with these ZIPs; unknown ZIPs are refused, not dropped."""
    require(user=by, organisation=hauler, action="commercial")
    wanted = sorted({code.strip() for code in zip_codes if code.strip()})
    unknown = [code for code in wanted if geo.lookup(code) is None]
    if unknown:
        raise ValidationError({"zip_codes": f"Not US ZIP codes we know: {', '.join(unknown[:20])}."})
    ServiceZip.objects.filter(hauler=hauler).exclude(zip_code__in=wanted).delete()
    existing = set(ServiceZip.objects.filter(hauler=hauler).values_list("zip_code", flat=True))
    ServiceZip.objects.bulk_create(
        [ServiceZip(hauler=hauler, zip_code=code) for code in wanted if code not in existing]
    )
    return wanted


def set_service_radius(*, hauler: Hauler, by, centre_zip: str, radius_miles: float) -> list[str]:
    """Serve every ZIP whose centroid lies within radius_miles of centre_zip (expanded once, now)."""
    require(user=by, organisation=hauler, action="commercial")
    if not 1 <= radius_miles <= 100:
        raise ValidationError({"radius_miles": "Choose a radius between 1 and 100 miles."})
    _depot(centre_zip)
    return set_service_zips(hauler=hauler, by=by, zip_codes=geo.zips_within(centre_zip, radius_miles))


def set_rate(
    *, hauler: Hauler, by, waste_stream: str, container: str, price_cents: int, extra_container_cents: int = 0
) -> Rate:
    """Create or change the hauler's price for (stream, container); owners only (a commercial term)."""
    require(user=by, organisation=hauler, action="commercial")
    errors = {}
    if waste_stream not in WasteStream.values:
        errors["waste_stream"] = "Choose a waste stream."
    if container not in Container.values:
        errors["container"] = "Choose a container."
    if not 0 < price_cents <= MAX_RATE_CENTS:
        errors["price_cents"] = f"A price must be between 1 and {MAX_RATE_CENTS} cents."
    if not 0 <= extra_container_cents <= MAX_RATE_CENTS:
        errors["extra_container_cents"] = f"An extra-container price must be between 0 and {MAX_RATE_CENTS} cents."
    if errors:
        raise ValidationError(errors)
    rate, _ = Rate.objects.update_or_create(
        hauler=hauler,
        waste_stream=waste_stream,
        container=container,
        defaults={"price_cents": price_cents, "extra_container_cents": extra_container_cents},
    )
    return rate


@transaction.atomic
def set_rate_card(*, hauler: Hauler, by, rows: list[dict]) -> list[Rate]:
    """Replace the hauler's rates with these rows ({waste_stream, container, price_cents, extra_container_cents});
    a row without a price removes that service. All rows are valid or nothing changes."""
    require(user=by, organisation=hauler, action="commercial")
    errors, keep = {}, []
    seen = set()
    for index, row in enumerate(rows):
        key = (row.get("waste_stream"), row.get("container"))
        if key in seen:
            errors[f"rows.{index}"] = "This stream and container appear twice."
            continue
        seen.add(key)
        if row.get("price_cents") in (None, ""):
            continue
        try:
            keep.append(set_rate(hauler=hauler, by=by, **row))
        except ValidationError as error:
            errors[f"rows.{index}"] = "; ".join(error.messages)
    if errors:
        transaction.set_rollback(True)
        raise ValidationError(errors)
    Rate.objects.filter(hauler=hauler).exclude(pk__in=[rate.pk for rate in keep]).delete()
    return keep


def add_credential(
    *, hauler: Hauler, by, kind: str, number: str, issuer: str, valid_from, expires_on, document=None
) -> Credential:
    """Record a licence or insurance certificate (unverified until staff check it); owners only."""
    require(user=by, organisation=hauler, action="company")
    credential = Credential(
        hauler=hauler,
        kind=kind,
        number=number.strip(),
        issuer=issuer.strip(),
        valid_from=valid_from,
        expires_on=expires_on,
    )
    if document is not None:
        check_upload(document, allowed=DOCUMENT_TYPES, field="document")
        credential.document = document
    if valid_from and expires_on and expires_on < valid_from:
        raise ValidationError({"expires_on": "The expiry date must be on or after the start date."})
    credential.full_clean(exclude=["hauler"])
    credential.save()
    return credential


def verify_credential(*, credential: Credential, by) -> Credential:
    """Staff checked the document against the issuer."""
    credential.verified_at = timezone.now()
    credential.verified_by = by
    credential.save(update_fields=["verified_at", "verified_by"])
    return credential
