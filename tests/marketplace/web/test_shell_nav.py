"""The site header is each side's one navigation: the hauler portal's sections are in it (not again in the page),
a driver's is their day alone, and the current section is marked wherever it is reached from."""

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def header_and_main(client, name: str) -> tuple[str, str]:
    page = client.get(reverse(name)).content.decode()
    header, _, rest = page.partition("<main")
    return header, rest.partition("</main>")[0]


def links(html: str, label: str) -> list[str]:
    block = html.split(f'<nav aria-label="{label}">', 1)[1].split("</nav>", 1)[0]
    return [re.sub(r"<[^>]+>", "", link).strip() for link in re.findall(r"<a [^>]*>.*?</a>", block)]


@pytest.mark.parametrize("name", ["hauler_jobs", "hauler_day", "hauler_earnings", "hauler_webhooks", "team"])
def test_the_portal_sections_are_in_the_header_once_and_not_in_the_page(client, name):
    client.force_login(factories.HaulerMembershipFactory(role="owner").user)
    header, main = header_and_main(client, name)
    assert header.count('aria-label="Hauler portal"') == 1
    assert "Hauler portal" not in main
    assert links(header, "Hauler portal") == [
        "Today", "Routes", "Offers", "Jobs", "Cases", "Earnings", "Ratings", "Reliability", "Trucks", "Disposal sites",
        "Company", "Credentials", "Service area", "Rates", "Webhooks",
    ]  # fmt: skip


def test_a_driver_has_their_day_and_the_account_links_only(client):
    client.force_login(factories.HaulerMembershipFactory(role="driver").user)
    header, main = header_and_main(client, "hauler_day")
    assert links(header, "Hauler portal") == ["Today"]
    assert "Business" not in header and "Staff" not in header
    assert 'aria-current="page">Today</a>' in header
    assert ">Team</a>" in header and ">Notifications</a>" in header
    assert reverse("hauler_offers") not in header + main


@pytest.mark.parametrize(
    ("name", "current"),
    [("hauler_earnings", "Earnings"), ("hauler_trucks", "Trucks"), ("hauler_webhooks", "Webhooks"), ("team", "Team")],
)
def test_the_current_section_is_marked(client, name, current):
    client.force_login(factories.HaulerMembershipFactory(role="owner").user)
    header, _ = header_and_main(client, name)
    assert re.findall(r'aria-current="page">([^<]+)</a>', header) == [current]


def test_a_business_member_has_no_webhooks_and_a_staff_manager_has_both_groups(client):
    client.force_login(factories.CustomerMembershipFactory(role="member").user)
    header, _ = header_and_main(client, "dashboard")
    assert links(header, "Business") == ["Pickups", "Book", "Locations", "Billing"]
    assert '<nav aria-label="Staff">' not in header

    client.force_login(factories.CustomerMembershipFactory(role="manager", user__is_staff=True).user)
    header, _ = header_and_main(client, "dashboard")
    assert links(header, "Business") == ["Pickups", "Book", "Locations", "Billing", "Webhooks"]
    assert links(header, "Staff") == ["Operations", "Admin"]


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("driver", ["hauler_day"], ["hauler_offers", "hauler_jobs", "hauler_company"]),
        ("owner", ["hauler_offers", "hauler_jobs", "hauler_company"], []),
    ],
)
def test_the_home_page_links_a_hauler_only_to_what_their_role_may_open(client, role, shown, hidden):
    # A driver's home used to offer Offers, Jobs and Company: each answered them 403.
    client.force_login(factories.HaulerMembershipFactory(role=role).user)
    _, main = header_and_main(client, "home")
    for name in shown:
        assert f'href="{reverse(name)}"' in main
        assert client.get(reverse(name)).status_code == 200
    for name in hidden:
        assert f'href="{reverse(name)}"' not in main
