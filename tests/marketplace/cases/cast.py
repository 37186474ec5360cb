"""The cases tests' cast: a business's visit done yesterday with proof, its hauler's office, and photos."""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from core.transitions import transition
from marketplace import scheduling
from marketplace.models import Pickup, ServiceProof
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32


def photo(name: str = "photo.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def done_visit(*, customer, hauler, days_ago: int = 1, proof: bool = True) -> Pickup:
    """A visit completed `days_ago` days ago at the business's location, with the driver's proof."""
    location = customer.locations.first() or factories.LocationFactory(customer=customer)
    day = scheduling.local_today(location.timezone) - dt.timedelta(days=days_ago)  # days as the place counts them
    pickup = factories.PickupFactory(location=location, hauler=hauler, service_date=day)
    done_at = factories.in_window(pickup)
    transition(pickup, Pickup.Status.COMPLETED, reason="Completed by the hauler", fields={"completed_at": done_at})
    if proof:
        ServiceProof.objects.create(
            pickup=pickup,
            photo=ContentFile(PNG, name="proof.png"),
            weight_kg=Decimal("42.5"),
            notes="Bin back by the gate",
            serviced_at=done_at,
        )
    return pickup


def office_of(hauler, *, role: str = "owner"):
    """A person of the hauler's office (owner or dispatcher) or a driver."""
    return factories.HaulerMembershipFactory(hauler=hauler, role=role).user
