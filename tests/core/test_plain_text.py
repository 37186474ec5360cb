"""The website's forms and query strings hold plain text: a control character is a 400 naming the field."""

import pytest
from django.urls import reverse

from customers.models import ServiceLocation

ADDRESS = {"name": "Back door", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"}


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("street", "600 Congress\x1b[2J Ave"), ("city", "Aus\x7ftin")])
def test_a_control_character_in_a_form_is_a_400_naming_it_and_nothing_is_saved(owner_client, field, value):
    before = ServiceLocation.objects.count()

    response = owner_client.post(reverse("location_add"), {**ADDRESS, field: value})

    assert response.status_code == 400
    assert f"“{field}”" in response.content.decode()
    assert ServiceLocation.objects.count() == before


@pytest.mark.django_db
def test_a_nul_between_date_and_time_is_refused_where_djangos_parser_would_take_it(owner_client):
    response = owner_client.get(reverse("dashboard"), {"day": "2026-05-01\x0014:30"})

    assert response.status_code == 400
    assert "U+0000" in response.content.decode()


@pytest.mark.django_db
def test_sign_in_is_held_to_it_too(client):
    response = client.post(reverse("account_login"), {"login": "owner@example.com\x08", "password": "x"})

    assert response.status_code == 400 and "“login”" in response.content.decode()


@pytest.mark.django_db
def test_tabs_and_line_breaks_are_text(owner_client):
    body = {**ADDRESS, "access_notes": "Gate 4321\r\n\tBins behind the kitchen"}

    response = owner_client.post(reverse("location_add"), body)

    assert response.status_code == 302
    assert ServiceLocation.objects.filter(access_notes=body["access_notes"]).exists()
