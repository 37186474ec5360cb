"""A location's street line must be one a driver can find: a number and a street's name, on the site and the API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import ServiceLocation
from customers.services import add_location, update_location
from tests.marketplace.api.conftest import client_for

GOOD = {"name": "Main store", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"}
NOT_A_STREET = ["🗑️🗑️🗑️", "...", "Congress Ave", "600", "  ☕ 🚚  "]


@pytest.mark.django_db
@pytest.mark.parametrize("street", NOT_A_STREET)
def test_the_service_refuses_a_street_line_without_a_number_and_a_name(customer, street):
    with pytest.raises(ValidationError) as raised:
        add_location(by=None, customer=customer, **{**GOOD, "street": street})
    assert "street number and name" in " ".join(raised.value.message_dict["street"])
    assert customer.locations.count() == 1  # the fixture's


@pytest.mark.django_db
@pytest.mark.parametrize("street", ["600 Congress Ave", "1 Westlake Dr", "5th St 210", "12 Calle Ñandú"])
def test_ordinary_street_lines_are_kept(customer, street):
    assert add_location(by=None, customer=customer, **{**GOOD, "street": street}).street == street


@pytest.mark.django_db
def test_a_change_to_the_street_is_checked_but_an_older_street_does_not_block_a_rename(location):
    ServiceLocation.objects.filter(pk=location.pk).update(street="Back lot")  # saved before the check existed
    location.refresh_from_db()
    assert update_location(by=None, location=location, name="Back lot bins").name == "Back lot bins"
    with pytest.raises(ValidationError) as raised:
        update_location(by=None, location=location, street="🚮")
    assert "street" in raised.value.message_dict


@pytest.mark.django_db
def test_the_location_form_says_what_a_street_line_needs(client, customer_owner, customer):
    client.force_login(customer_owner)
    response = client.post(reverse("location_add"), {**GOOD, "street": "🗑️🗑️🗑️"})
    assert response.status_code == 400
    assert "Enter the street number and name, e.g. 600 Congress Ave." in response.content.decode()
    assert customer.locations.count() == 1


@pytest.mark.django_db
def test_the_api_refuses_an_emoji_street_with_a_field_error(customer_owner, customer):
    api = client_for(customer_owner)
    response = api.post("/api/v1/locations/", {**GOOD, "street": "🗑️🗑️🗑️"}, format="json")
    assert response.status_code == 400
    assert "street number and name" in " ".join(response.json()["street"])
    assert customer.locations.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_adding_a_location_never_redirects_off_the_site(client, customer_owner, target):
    client.force_login(customer_owner)
    response = client.post(f"{reverse('location_add')}?next={target}", GOOD)
    assert response.status_code == 302
    assert response.url == reverse("location_list")


@pytest.mark.django_db
def test_adding_a_location_returns_to_a_page_of_the_site(client, customer_owner):
    client.force_login(customer_owner)
    response = client.post(f"{reverse('location_add')}?next={reverse('book')}", GOOD)
    assert response.url == reverse("book")


@pytest.mark.django_db
def test_the_edit_form_renames_an_older_location_without_retyping_its_street(client, customer_owner, location):
    ServiceLocation.objects.filter(pk=location.pk).update(street="Back lot")  # saved before the check existed
    client.force_login(customer_owner)
    form = {**GOOD, "name": "Back lot bins", "street": "Back lot"}
    response = client.post(reverse("location_edit", args=[location.pk]), form)
    assert response.status_code == 302
    location.refresh_from_db()
    assert location.name == "Back lot bins"
