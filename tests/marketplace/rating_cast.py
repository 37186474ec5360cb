"""The ratings tests' cast: completed visits of one business by one hauler, some days ago."""

import datetime as dt

from django.utils import timezone

from marketplace.models import Pickup
from tests import factories


def completed_visit(*, customer, hauler, days_ago: float = 1, **fields) -> Pickup:
    """A visit `hauler` completed `days_ago` days ago at the business's first location."""
    done = timezone.now() - dt.timedelta(days=days_ago)
    return factories.PickupFactory(
        location=customer.locations.first(),
        hauler=hauler,
        status=Pickup.Status.COMPLETED,
        service_date=timezone.localdate(done),
        completed_at=done,
        **fields,
    )
