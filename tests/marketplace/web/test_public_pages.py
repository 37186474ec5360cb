"""The pages anyone may read: how it works, pricing, for haulers, the placeholders, the footer and the icons."""

import re

import pytest
from django.urls import resolve

pytestmark = pytest.mark.django_db

FRAME = '<a class="brand" href="/">HaulMatch</a>'


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/how-it-works/", "How HaulMatch works"),
        ("/pricing/", "One honest price"),
        ("/for-haulers/", "Steady commercial work near your trucks"),
        ("/terms/", "Terms of service"),
        ("/privacy/", "Privacy"),
    ],
)
def test_each_public_page_renders_in_the_sites_frame_signed_out(client, url, heading):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert FRAME in page and f"<h1>{heading}</h1>" in page


def test_the_pricing_page_quotes_the_terms_the_market_runs_on(client, settings):
    settings.FEE_PERCENT, settings.MIN_FEE_CENTS = settings.FEE_PERCENT.__class__("15"), 700
    settings.CANCELLATION_FEE_CENTS, settings.MISSED_PICKUP_CREDIT_CENTS = 3000, 1500
    page = client.get("/pricing/").content.decode()
    assert "15% of the hauler's rate, at least $7.00" in page
    assert "$30.00 (never more than the pickup's price)" in page
    assert "$15.00 of credit" in page
    assert "more than 24 hours before the window" in page


def test_how_it_works_names_the_cascade_and_the_vetting(client):
    page = client.get("/how-it-works/").content.decode()
    assert "licence and insurance" in page
    assert "does not answer within 2 hours (30 minutes for a pickup today), the offer moves on" in page


def test_for_haulers_explains_payouts(client):
    page = client.get("/for-haulers/").content.decode()
    assert "Every Monday we transfer what you earned" in page
    assert "You have 2 hours to accept or decline" in page


@pytest.mark.parametrize("url", ["/terms/", "/privacy/"])
def test_the_placeholders_say_they_are_placeholders(client, url):
    assert "<strong>This is a placeholder.</strong>" in client.get(url).content.decode()


def test_the_footer_links_resolve_and_name_support(client, settings, customer_owner):
    settings.SUPPORT_EMAIL = "help@haulmatch.example"
    client.force_login(customer_owner)
    page = client.get("/dashboard/").content.decode()
    footer = page[page.index('<footer class="container site-footer">') :]
    links = re.findall(r'href="([^"]+)"', footer)
    assert "mailto:help@haulmatch.example" in links
    pages = [link for link in links if link.startswith("/")]
    assert pages == ["/how-it-works/", "/pricing/", "/for-haulers/", "/terms/", "/privacy/"]
    for link in pages:
        resolve(link)
        assert client.get(link).status_code == 200


def test_support_email_defaults_to_the_senders_domain():
    from config import settings as project

    assert project.SUPPORT_EMAIL == "support@haulmatch.localhost"


def test_favicon_ico_answers_with_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age=86400" in response["Cache-Control"]


def test_every_page_names_its_icons(client):
    page = client.get("/").content.decode()
    for icon in ("icons/favicon.svg", "icons/apple-touch-icon.png", "icons/site.webmanifest"):
        assert icon in page
