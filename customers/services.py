"""Use cases for businesses: create one, its team and roles, its details and service locations.

Every change takes `by`, the person acting (None for the platform), and checks their role first
(core.permissions; the table is customers.models.Membership.PERMISSIONS)."""

from decimal import Decimal
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import geo, memberships
from core.permissions import require
from customers.models import BusinessRole, Customer, Membership, ServiceLocation, USState


@transaction.atomic
def create_customer(*, owner, name: str, phone: str = "") -> Customer:
    """Create a business with `owner` as its first owner."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Enter the business's name."})
    customer = Customer.objects.create(name=name, phone=phone.strip(), billing_email=owner.email)
    memberships.add_owner(membership_model=Membership, organisation="customer", organisation_obj=customer, user=owner)
    return customer


def invite_member(*, customer: Customer, email: str, role: str, invited_by) -> Membership:
    """Invite `email` to join `customer` with `role` (owners and managers; only owners invite owners)."""
    return memberships.invite(
        membership_model=Membership,
        organisation="customer",
        organisation_obj=customer,
        email=email,
        role=role,
        invited_by=invited_by,
    )


def accept_invitation(*, token: str, user) -> Membership:
    """Seat `user` in the business that invited them."""
    return memberships.accept(membership_model=Membership, organisation="customer", token=token, user=user)


def remove_member(*, membership: Membership, by) -> None:
    """Remove a member or withdraw an invitation (never the last owner; only owners remove owners)."""
    memberships.remove(membership=membership, organisation="customer", by=by)


def change_role(*, membership: Membership, role: str, by) -> Membership:
    """Give a member or an invitation another role (only owners make or unmake owners)."""
    return memberships.change_role(membership=membership, organisation="customer", role=role, by=by)


def transfer_ownership(*, membership: Membership, by) -> Membership:
    """The owner `by` makes `membership` the owner and becomes a manager."""
    return memberships.transfer_ownership(
        membership=membership, organisation="customer", by=by, former_owner_role=BusinessRole.MANAGER
    )


STREET_EXAMPLE = "e.g. 600 Congress Ave"


def street_problem(street: str) -> str | None:
    """Why `street` cannot be a street line a driver finds, or None. A pickup needs a door: a number and a
    street's name (a digit and two letters, in any script), so "🗑️🗑️", "..." or "Main" are refused."""
    street = street.strip()
    if not street:
        return f"Enter the street address, {STREET_EXAMPLE}."
    if not any(char.isdigit() for char in street) or sum(char.isalpha() for char in street) < 2:
        return f"Enter the street number and name, {STREET_EXAMPLE}."
    return None


def validate_address(*, street: str, city: str, state: str, zip_code: str, check_street: bool = True) -> geo.ZipInfo:
    """Check a US address against the ZIP dataset; return the ZIP's record or raise field errors.
    `check_street=False` when the street line is not being changed: an older location keeps working."""
    errors = {}
    if check_street and (problem := street_problem(street)):
        errors["street"] = problem
    if not city.strip():
        errors["city"] = "Enter the city."
    if state not in USState.values:
        errors["state"] = "Choose a US state."
    info = None
    zip_code = zip_code.strip()
    if not (len(zip_code) == 5 and zip_code.isdigit()):
        errors["zip_code"] = "Enter a 5-digit ZIP code, e.g. 78701."
    else:
        info = geo.lookup(zip_code)
        if info is None:
            errors["zip_code"] = f"We could not find ZIP code {zip_code}. Check it and try again."
        elif state in USState.values and info.state != state:
            errors["state"] = f"ZIP code {zip_code} is in {info.state}, not {state}."
    if errors:
        raise ValidationError(errors)
    return info


def add_location(
    *,
    customer: Customer,
    by,
    name: str,
    street: str,
    city: str,
    state: str,
    zip_code: str,
    access_notes: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    timezone_name: str | None = None,
) -> ServiceLocation:
    """Add a service location; coordinates and timezone default to the ZIP's."""
    require(user=by, organisation=customer, action="sites")
    info = validate_address(street=street, city=city, state=state, zip_code=zip_code)
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": "Give both latitude and longitude, or neither."})
    if timezone_name is not None and timezone_name not in available_timezones():
        raise ValidationError({"timezone": f"{timezone_name!r} is not a timezone name such as America/Chicago."})
    location = ServiceLocation(
        customer=customer,
        name=name.strip() or street.strip(),
        street=street.strip(),
        city=city.strip(),
        state=state,
        zip_code=info.zip_code,
        latitude=info.latitude if latitude is None else latitude,
        longitude=info.longitude if longitude is None else longitude,
        timezone=timezone_name or info.timezone,
        access_notes=access_notes.strip(),
    )
    location.full_clean(exclude=["customer"])
    location.save()
    return location


def update_location(*, location: ServiceLocation, by, **changes) -> ServiceLocation:
    """Change a location's details; a new ZIP re-derives coordinates and timezone."""
    require(user=by, organisation=location.customer, action="sites")
    address = {key: changes.get(key, getattr(location, key)) for key in ("street", "city", "state", "zip_code")}
    # A form sends every field: only a street line that actually changes is checked, so renaming an older
    # location (saved before the street check) is not blocked by it.
    street_changed = str(changes.get("street", location.street)).strip() != location.street
    info = validate_address(**address, check_street=street_changed)
    for key, value in changes.items():
        if key not in ("name", "street", "city", "state", "zip_code", "access_notes"):
            raise ValidationError({key: "This field cannot be changed."})
        setattr(location, key, value.strip() if isinstance(value, str) else value)
    if "zip_code" in changes:
        location.latitude, location.longitude, location.timezone = info.latitude, info.longitude, info.timezone
    location.full_clean(exclude=["customer"])
    location.save()
    return location


def archive_location(*, location: ServiceLocation, by) -> ServiceLocation:
    """Hide a location from booking while keeping its history."""
    require(user=by, organisation=location.customer, action="sites")
    if location.archived_at is None:
        location.archived_at = timezone.now()
        location.save(update_fields=["archived_at"])
    return location


def restore_location(*, location: ServiceLocation, by) -> ServiceLocation:
    """Make an archived location bookable again."""
    require(user=by, organisation=location.customer, action="sites")
    if location.archived_at is not None:
        location.archived_at = None
        location.save(update_fields=["archived_at"])
    return location


def update_company(
    *, customer: Customer, by, name: str, phone: str = "", contact_name: str = "", contact_phone: str = ""
) -> Customer:
    """Change a business's name, phone and on-site pickup contact (owners and managers)."""
    require(user=by, organisation=customer, action="company")
    if not name.strip():
        raise ValidationError({"name": "Enter the business's name."})
    customer.name, customer.phone = name.strip(), phone.strip()
    customer.contact_name, customer.contact_phone = contact_name.strip(), contact_phone.strip()
    customer.save(update_fields=["name", "phone", "contact_name", "contact_phone"])
    return customer
