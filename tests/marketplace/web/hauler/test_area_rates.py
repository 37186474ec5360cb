"""The service area (previewed, then saved, by list or radius) and the rate card (dollars in, exact cents out)."""

import re

import pytest
from django.urls import reverse

from core import geo
from haulers.models import Rate
from tests import factories


@pytest.fixture
def hauler_client(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler).user)
    return client


def served(hauler) -> list[str]:
    return sorted(hauler.service_zips.values_list("zip_code", flat=True))


def plotted(page: str) -> int:
    return len(re.findall(r'<circle class="zip"', page))


# --- Service area -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_zip_list_is_previewed_then_saved(hauler_client, in_area_hauler):
    form = {"mode": "list", "zip_codes": "78704, 78705\n78745;78704", "preview": "1"}
    response = hauler_client.post(reverse("hauler_area"), form)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview: 3 ZIP codes" in page
    assert "Austin, TX" in page and "78704, 78705, 78745" in page
    assert "<svg" in page and plotted(page.split('id="current-heading"')[0]) == 3
    assert '<circle class="depot"' in page
    assert 'form="area-list" name="save"' in page
    assert served(in_area_hauler) == ["78701", "78702", "78703"]  # a preview saves nothing

    response = hauler_client.post(reverse("hauler_area"), {**form, "save": "1"})
    assert response["Location"] == reverse("hauler_area")
    assert served(in_area_hauler) == ["78704", "78705", "78745"]
    assert "Saved: you serve 3 ZIP codes." in hauler_client.get(reverse("hauler_area")).content.decode()


@pytest.mark.django_db
def test_a_radius_is_previewed_then_saved(hauler_client, in_area_hauler):
    expected = sorted(geo.zips_within("78701", 5))
    assert len(expected) > 5
    form = {"mode": "radius", "depot_zip": "78701", "radius_miles": "5", "preview": "1"}
    page = hauler_client.post(reverse("hauler_area"), form).content.decode()
    assert f"Preview: {len(expected)} ZIP codes" in page
    assert plotted(page.split('id="current-heading"')[0]) == len(expected)
    assert served(in_area_hauler) == ["78701", "78702", "78703"]

    hauler_client.post(reverse("hauler_area"), {**form, "save": "1"})
    assert served(in_area_hauler) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"mode": "list", "zip_codes": "78701 00000 abcde"}, "Not US ZIP codes we know: 00000, abcde."),
        ({"mode": "list", "zip_codes": " ,\n "}, "Enter at least one ZIP code."),
        ({"mode": "radius", "depot_zip": "78701", "radius_miles": "0"}, "Choose a radius between 1 and 100 miles."),
        ({"mode": "radius", "depot_zip": "78701", "radius_miles": "0.5"}, "Choose a radius between 1 and 100 miles."),
        ({"mode": "radius", "depot_zip": "78701", "radius_miles": "150"}, "Choose a radius between 1 and 100 miles."),
        ({"mode": "radius", "depot_zip": "78701", "radius_miles": "far"}, "Enter a number."),
        ({"mode": "radius", "depot_zip": "00000", "radius_miles": "10"}, "00000 is not a US ZIP code we know."),
        ({"mode": "sideways"}, "Choose a ZIP list or a radius."),
    ],
)
@pytest.mark.parametrize("button", ["preview", "save"])
def test_a_bad_area_is_refused_and_nothing_changes(hauler_client, in_area_hauler, form, message, button):
    response = hauler_client.post(reverse("hauler_area"), {**form, button: "1"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert served(in_area_hauler) == ["78701", "78702", "78703"]


@pytest.mark.django_db
def test_the_area_page_shows_the_current_area(hauler_client):
    page = hauler_client.get(reverse("hauler_area")).content.decode()
    assert "3 ZIP codes in 1 city" in page and "78701, 78702, 78703" in page
    assert plotted(page) == 3


# --- Rate card ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rate_card_shows_current_prices_in_dollars(hauler_client):
    page = hauler_client.get(reverse("hauler_rates")).content.decode()
    assert 'name="price_trash__dumpster_4yd" value="85.00"' in page
    assert 'name="extra_trash__dumpster_4yd" value="40.00"' in page
    assert page.count('name="price_') == 32  # 4 streams x 8 containers
    assert '<label for="id_price_recycling__cart_96gal" class="visually-hidden">' in page


@pytest.mark.django_db
def test_dollars_become_exact_cents_and_a_blank_price_is_not_offered(hauler_client, in_area_hauler):
    response = hauler_client.post(
        reverse("hauler_rates"),
        dict(
            price_trash__dumpster_4yd="85.10",
            extra_trash__dumpster_4yd="40",
            price_recycling__cart_96gal="0.29",
            price_organics__rolloff_40yd="$1,200.50",
            extra_organics__rolloff_40yd=" 0.07 ",
            price_cardboard__dumpster_8yd="10000",
        ),
    )
    assert response["Location"] == reverse("hauler_rates")
    rates = {(r.waste_stream, r.container): (r.price_cents, r.extra_container_cents) for r in Rate.objects.all()}
    assert rates == {
        ("trash", "dumpster_4yd"): (8510, 4000),
        ("recycling", "cart_96gal"): (29, 0),
        ("organics", "rolloff_40yd"): (120050, 7),
        ("cardboard", "dumpster_8yd"): (1_000_000, 0),
    }

    hauler_client.post(reverse("hauler_rates"), dict(price_recycling__cart_96gal="0.29"))
    assert list(in_area_hauler.rates.values_list("container", flat=True)) == ["cart_96gal"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"price_trash__dumpster_4yd": "-5"}, "greater than or equal to 0.01"),
        ({"price_trash__dumpster_4yd": "0"}, "greater than or equal to 0.01"),
        ({"price_trash__dumpster_4yd": "85.123"}, "no more than 2 decimal places"),
        ({"price_trash__dumpster_4yd": "10000.01"}, "less than or equal to 10000"),
        ({"price_trash__dumpster_4yd": "1e30"}, "less than or equal to 10000"),
        ({"price_trash__dumpster_4yd": "eighty"}, "Enter a number."),
        ({"price_trash__dumpster_4yd": "NaN"}, "Enter a number."),
        ({"price_trash__dumpster_4yd": "85", "extra_trash__dumpster_4yd": "-1"}, "greater than or equal to 0"),
        ({"extra_trash__dumpster_4yd": "40"}, "Enter the price per pickup too, or clear this."),
    ],
)
def test_bad_prices_are_refused_and_nothing_changes(hauler_client, in_area_hauler, prices, message):
    response = hauler_client.post(reverse("hauler_rates"), dict(price_recycling__cart_96gal="20", **prices))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Rate.objects.filter(hauler=in_area_hauler).count() == 1
    assert in_area_hauler.rates.get().price_cents == 8_500
