"""Integrations in the admin: staff make one and see its key once; the list shows the hint, reach and last use."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sensors import integrations
from sensors.models import Integration, hash_token
from tests import factories

INTEGRATIONS = reverse("admin:sensors_integration_changelist")
ADD = reverse("admin:sensors_integration_add")


@pytest.mark.django_db
def test_staff_make_an_integration_and_see_its_key_once(staff_client, customer):
    response = staff_client.post(
        ADD,
        {"name": "Café vendor cloud", "customer": customer.pk, "readings_per_minute": 1200, "active": "on"},
        follow=True,
    )

    assert response.status_code == 200
    [message] = [str(message) for message in response.context["messages"] if "shown only this once" in str(message)]
    key = re.search(r"hmi_\S+", message).group(0)
    integration = Integration.objects.get()
    assert (integration.name, integration.customer, integration.readings_per_minute) == (
        "Café vendor cloud",
        customer,
        1200,
    )
    assert integration.key_hash == hash_token(key)
    assert integrations.integration_for_key(key) == integration
    page = staff_client.get(reverse("admin:sensors_integration_change", args=[integration.pk])).content.decode()
    assert key not in page and f"…{key[-4:]}" in page


@pytest.mark.django_db
def test_a_bad_integration_form_is_an_error_not_a_row(staff_client):
    response = staff_client.post(ADD, {"name": "  ", "readings_per_minute": 0})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() >= {"name", "readings_per_minute"}
    assert not Integration.objects.exists()


@pytest.mark.django_db
def test_the_list_shows_reach_hint_and_last_use_and_keys_rotate(staff_client, customer):
    city, city_key = integrations.create_integration(name="City LoRaWAN")
    integrations.create_integration(name="Vendor", customer=customer)
    integrations.mark_used(integration=city)

    html = staff_client.get(INTEGRATIONS).content.decode()
    assert "Every device, by external id" in html and customer.name in html
    assert f"…{city.key_hint}" in html and city_key not in html

    response = staff_client.post(INTEGRATIONS, {"action": "rotate_keys", "_selected_action": [city.pk]}, follow=True)
    [message] = [str(message) for message in response.context["messages"]]
    new_key = re.search(r"City LoRaWAN: (hmi_\S+)", message).group(1)
    assert integrations.integration_for_key(city_key) is None
    assert integrations.integration_for_key(new_key) == city


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_two_integrations_as_for_twelve(staff_client):
    def listing(count: int) -> int:
        for n in range(count - Integration.objects.count()):
            integrations.create_integration(name=f"Vendor {n}", customer=factories.CustomerFactory(name=f"Biz {n}"))
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(INTEGRATIONS).status_code == 200
        return len(queries)

    assert listing(2) == listing(12)
