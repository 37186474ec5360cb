"""Service locations: address and ZIP validation, coordinates from the ZIP dataset."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import ServiceLocation
from customers.services import add_location, archive_location, update_location

GOOD = {"name": "Main store", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"}


@pytest.mark.django_db
def test_a_location_takes_its_coordinates_and_timezone_from_the_zip(customer):
    location = add_location(by=None, customer=customer, **GOOD)

    assert location.latitude == Decimal("30.2713")
    assert location.longitude == Decimal("-97.7426")
    assert location.timezone == "America/Chicago"


@pytest.mark.django_db
def test_given_coordinates_and_timezone_are_kept(customer):
    location = add_location(
        by=None,
        customer=customer,
        **GOOD,
        latitude=Decimal("30.2672"),
        longitude=Decimal("-97.7431"),
        timezone_name="US/Central",
    )
    assert (location.latitude, location.longitude, location.timezone) == (
        Decimal("30.2672"),
        Decimal("-97.7431"),
        "US/Central",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"zip_code": "7870"}, "zip_code", "5-digit"),
        ({"zip_code": "787011"}, "zip_code", "5-digit"),
        ({"zip_code": "abcde"}, "zip_code", "5-digit"),
        ({"zip_code": "00000"}, "zip_code", "could not find ZIP code 00000"),
        ({"zip_code": "10001"}, "state", "10001 is in NY, not TX"),
        ({"state": "XX"}, "state", "Choose a US state"),
        ({"street": "  "}, "street", "street"),
        ({"city": ""}, "city", "city"),
        ({"latitude": Decimal("30.1")}, "latitude", "both latitude and longitude"),
        ({"latitude": Decimal("95"), "longitude": Decimal("10")}, "latitude", "less than or equal to 90"),
    ],
)
def test_bad_addresses_are_refused_with_a_message_and_nothing_saved(customer, changes, field, message):
    before = ServiceLocation.objects.count()
    with pytest.raises(ValidationError) as raised:
        add_location(by=None, customer=customer, **{**GOOD, **changes})
    errors = raised.value.message_dict
    assert field in errors
    assert message.lower() in " ".join(errors[field]).lower()
    assert ServiceLocation.objects.count() == before


@pytest.mark.django_db
def test_the_database_refuses_a_malformed_zip_even_past_the_service(customer):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceLocation.objects.create(
            customer=customer, name="x", street="x", city="x", state="TX", zip_code="7870", latitude=0, longitude=0,
            timezone="UTC",
        )  # fmt: skip


@pytest.mark.django_db
def test_changing_the_zip_rederives_coordinates(location):
    update_location(by=None, location=location, zip_code="78746", street="1 Westlake Dr")
    location.refresh_from_db()
    assert location.zip_code == "78746"
    assert location.latitude != Decimal("30.2713")
    assert location.timezone == "America/Chicago"


@pytest.mark.django_db
def test_an_update_with_a_bad_zip_changes_nothing(location):
    with pytest.raises(ValidationError):
        update_location(by=None, location=location, zip_code="99999")
    location.refresh_from_db()
    assert location.zip_code == "78701"


@pytest.mark.django_db
def test_archiving_keeps_the_row(location):
    archive_location(by=None, location=location)
    first = location.archived_at
    archive_location(by=None, location=location)
    location.refresh_from_db()
    assert location.archived_at == first is not None
