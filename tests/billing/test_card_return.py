"""Adding a card from the quote page returns to that quote (same-site paths only), by the test form or Stripe's."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from billing import cards
from marketplace import services
from marketplace.models import Pickup, Quote
from tests import factories

pytestmark = pytest.mark.django_db

OFF_SITE = ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "http://testserver.evil.example/"]


def card_form():
    return {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": str(timezone.localdate().year + 2),
            "cvc": "123"}  # fmt: skip


@pytest.fixture
def saves_a_card(monkeypatch):
    monkeypatch.setattr(cards, "save_test_card", lambda **kw: factories.BillingAccountFactory(customer=kw["customer"]))
    monkeypatch.setattr(
        cards, "save_card", lambda *, customer, setup_intent_id, by: factories.BillingAccountFactory(customer=customer)
    )


@pytest.fixture
def quote(customer, location, in_area_hauler):
    return services.create_quote(
        customer=customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=timezone.localdate() + dt.timedelta(days=3),
    )  # fmt: skip


def test_the_quote_without_a_card_links_to_the_card_page_and_back(owner_client, quote, test_cards_on):
    page = owner_client.post(
        reverse("book"),
        {"location": quote.location_id, "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1,
         "frequency": "once", "service_date": quote.service_date.isoformat()},
    ).content.decode()  # fmt: skip
    shown = Quote.objects.latest("pk")
    assert "Add a payment card before booking" in page
    assert f'href="/billing/card/?next=%2Fquotes%2F{shown.pk}%2Fbook%2F"' in page


def test_saving_a_test_card_returns_to_the_quote_which_then_books(owner_client, quote, test_cards_on, saves_a_card):
    back = reverse("book_quote", args=[quote.pk])
    card_page = owner_client.get(reverse("billing_card"), {"next": back}).content.decode()
    assert f'<input type="hidden" name="next" value="{back}">' in card_page

    response = owner_client.post(f"{reverse('billing_card')}?next={back}", card_form())
    assert response["Location"] == back

    again = owner_client.get(back)
    assert again.status_code == 200 and again.context["quote"] == quote
    assert again.context["booking_block"] is None  # the card is on file now: Book is live
    assert next(m.message for m in get_messages(again.wsgi_request)).startswith("Saved your card")
    assert owner_client.post(back).status_code == 302
    assert Pickup.objects.get(quote=quote)


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_card_page_never_sends_anyone_off_the_site(owner_client, test_cards_on, saves_a_card, target):
    assert 'name="next"' not in owner_client.get(reverse("billing_card"), {"next": target}).content.decode()
    response = owner_client.post(reverse("billing_card"), {**card_form(), "next": target})
    assert response["Location"] == reverse("billing")


def test_stripes_return_url_carries_next_and_the_return_goes_on_to_it(
    owner_client, quote, payments_on, saves_a_card, monkeypatch
):
    monkeypatch.setattr(cards, "start_card_setup", lambda *, customer, by: ("seti_1", "seti_1_secret_2"))
    back = reverse("book_quote", args=[quote.pk])

    config = owner_client.get(reverse("billing_card"), {"next": back}).context["stripe_config"]
    assert config["returnUrl"] == f"http://testserver/billing/card/return/?next=%2Fquotes%2F{quote.pk}%2Fbook%2F"

    response = owner_client.get(reverse("billing_card_return"), {"next": back, "setup_intent": "seti_1"})
    assert response["Location"] == back


@pytest.mark.parametrize("target", OFF_SITE)
def test_stripes_return_never_goes_off_the_site(owner_client, payments_on, saves_a_card, target):
    response = owner_client.get(reverse("billing_card_return"), {"next": target, "setup_intent": "seti_1"})
    assert response["Location"] == reverse("billing")


def test_a_card_stripe_refused_goes_back_to_the_card_form_still_headed_for_the_quote(
    owner_client, quote, payments_on, monkeypatch
):
    back = reverse("book_quote", args=[quote.pk])
    response = owner_client.get(reverse("billing_card_return"), {"next": back})  # no setup_intent: not finished
    assert response["Location"] == f"/billing/card/?next=%2Fquotes%2F{quote.pk}%2Fbook%2F"


def test_a_quote_seen_again_after_booking_or_expiry_goes_where_it_went(owner_client, quote, test_cards_on):
    factories.BillingAccountFactory(customer=quote.customer)
    back = reverse("book_quote", args=[quote.pk])
    pickup, _ = services.get_or_book_quote(quote=quote, customer=quote.customer)
    assert owner_client.get(back)["Location"] == reverse("pickup_detail", args=[pickup.pk])

    later = services.create_quote(
        customer=quote.customer, location=quote.location, waste_stream="trash", container="dumpster_4yd",
        quantity=2, service_date=quote.service_date,
    )  # fmt: skip
    type(later).objects.filter(pk=later.pk).update(expires_at=timezone.now())
    response = owner_client.get(reverse("book_quote", args=[later.pk]))
    assert response["Location"].startswith("/book/?waste_stream=trash&container=dumpster_4yd")
