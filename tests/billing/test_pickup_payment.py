"""A pickup's page says how it was paid: charged, failed (with the way to fix it) or on which invoice."""

import pytest
from django.urls import reverse

from tests.billing import support


@pytest.mark.django_db
def test_a_paid_pickup_shows_its_charge(owner_client, location, in_area_hauler):
    pickup = support.completed_pickup(location=location, hauler=in_area_hauler, price_cents=4_250)
    support.paid_payment(pickup)

    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()

    assert "Paid $42.50" in page and "refunded" not in page
    assert reverse("billing") in page and reverse("receipt_detail", args=[pickup.payment.pk]) in page


@pytest.mark.django_db
def test_a_failed_charge_links_to_the_card_page(owner_client, location, in_area_hauler):
    pickup = support.completed_pickup(location=location, hauler=in_area_hauler)
    support.failed_payment(pickup)

    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()

    assert "Failed</span> $30.00 to your card" in page
    assert f'<a href="{reverse("billing_card")}">Update your card</a>' in page


@pytest.mark.django_db
def test_an_unpaid_pickup_says_nothing_about_payment(owner_client, location, in_area_hauler):
    pickup = support.completed_pickup(location=location, hauler=in_area_hauler)

    page = owner_client.get(reverse("pickup_detail", args=[pickup.pk])).content.decode()

    assert "to your card" not in page and "On invoice" not in page


@pytest.mark.django_db
def test_an_invoiced_visit_names_its_invoice(owner_client, location, in_area_hauler):
    visit = support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40)
    invoice = support.invoice_for(location.customer, [visit])

    page = owner_client.get(reverse("pickup_detail", args=[visit.pk])).content.decode()

    assert f'On invoice <a href="{reverse("invoice_detail", args=[invoice.pk])}">{invoice.number}</a>' in page
