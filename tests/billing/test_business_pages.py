"""A business's billing pages: card, credit, payments and invoices; payments off said plainly; tenants apart."""

import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing import cards, refunds
from billing.models import BillingAccount
from billing.stripe_gateway import GatewayError
from tests import factories
from tests.billing.support import completed_pickup, failed_payment, invoice_for, paid_payment

pytestmark = pytest.mark.django_db

# The user with both seats and the business (the session comes from the cache), account, credit balance and
# credit set aside, payments, invoices, then the money from the ledger: the business's zone, the payments' entries and
# the credit's history: whatever the number of payments and invoices.
BILLING_PAGE_QUERIES = 9


def _messages(response):
    return [message.message for message in get_messages(response.wsgi_request)]


def test_payments_off_is_said_plainly(owner_client):
    page = owner_client.get(reverse("billing")).content.decode()
    assert "Payments are not set up on this installation." in page
    assert "Add a card" not in page

    card = owner_client.get(reverse("billing_card"))
    assert card.status_code == 200
    assert "Payments are not set up on this installation." in card.content.decode()
    assert "js.stripe.com" not in card.content.decode()
    assert owner_client.post(reverse("billing_card"), {"number": "4242424242424242"}).status_code == 409


@pytest.mark.parametrize("name", ["billing", "billing_card"])
def test_billing_pages_are_for_businesses(client, hauler_owner, name):
    assert client.get(reverse(name))["Location"].startswith(reverse("account_login"))
    client.force_login(hauler_owner)
    assert client.get(reverse(name)).status_code == 403


def test_the_business_nav_links_to_billing(owner_client):
    page = owner_client.get(reverse("billing")).content.decode()
    assert f'<a href="{reverse("billing")}" aria-current="page">Billing</a>' in page


def test_billing_page_shows_card_credit_payments_and_invoices(
    owner_client, customer, location, in_area_hauler, payments_on
):
    factories.BillingAccountFactory(customer=customer, card_exp_month=4, card_exp_year=2031)
    paid = paid_payment(completed_pickup(location=location, hauler=in_area_hauler, price_cents=4_500))
    declined = failed_payment(completed_pickup(location=location, hauler=in_area_hauler), message="Insufficient funds.")
    refunds.grant_credit(customer=customer, amount_cents=1_250, reason="Goodwill", key="test:1")
    invoice = invoice_for(customer, [completed_pickup(location=location, hauler=in_area_hauler, price_cents=9_900)])
    refunds.grant_credit(customer=customer, amount_cents=500, reason="Missed pickup", key="test:2")

    response = owner_client.get(reverse("billing"))

    page = response.content.decode()
    assert "Visa ending 4242, expires 04/2031" in page
    assert "Change card" in page and reverse("billing_card") in page
    # $12.50 went on the invoice, whose payment is not charged yet: only the later $5.00 is free to spend.
    assert 'aria-label="Credit balance">$5.00<' in page
    assert "Another $12.50 is set aside for payments not yet charged." in page
    assert "Payments are not set up" not in page
    assert "New bookings are paused" not in page
    row = re.search(rf'<tr id="payment-{paid.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "$45.00" in row and "Paid" in row and reverse("pickup_detail", args=[paid.pickup_id]) in row
    row = re.search(rf'<tr id="payment-{declined.pk}">(.*?)</tr>', page, re.S).group(1)
    assert "Failed" in row and "Insufficient funds." in row
    assert f"We will try again on {timezone.localtime(declined.next_attempt_at):%b %-d}." in row
    assert invoice.number in page and reverse("invoice_detail", args=[invoice.pk]) in page
    assert f"Invoice {invoice.number}" in page  # its payment, in the payments list


def test_a_paused_business_is_told_and_sent_to_fix_its_card(owner_client, customer, payments_on):
    factories.BillingAccountFactory(customer=customer, failed_payments=3, bookings_paused_at=timezone.now())

    page = owner_client.get(reverse("billing")).content.decode()

    notice = re.search(r'<p class="notice alert" role="alert">(.*?)</p>', page, re.S).group(1)
    assert "New bookings are paused:" in notice and "3 payments in a row failed" in notice
    assert f'<a href="{reverse("billing_card")}">Update your card</a>' in notice


def test_a_business_without_a_card_is_asked_to_add_one(owner_client, payments_on):
    page = owner_client.get(reverse("billing")).content.decode()
    assert "No card" in page and "Add a card" in page
    assert "No payments yet." in page and "No invoices yet." in page


def test_only_the_business_own_payments_and_invoices_are_listed(owner_client, location, in_area_hauler, payments_on):
    elsewhere = factories.LocationFactory()
    theirs = paid_payment(completed_pickup(location=elsewhere, hauler=in_area_hauler, price_cents=7_777))
    invoice = invoice_for(elsewhere.customer, [completed_pickup(location=elsewhere, hauler=in_area_hauler)])

    page = owner_client.get(reverse("billing")).content.decode()

    assert f"payment-{theirs.pk}" not in page and "$77.77" not in page and invoice.number not in page


@pytest.mark.parametrize("count", [1, 6])
def test_billing_page_queries_do_not_grow_with_payments(
    owner_client, customer, location, in_area_hauler, payments_on, django_assert_num_queries, count
):
    factories.BillingAccountFactory(customer=customer)
    for _ in range(count):
        paid_payment(completed_pickup(location=location, hauler=in_area_hauler))
        failed_payment(completed_pickup(location=location, hauler=in_area_hauler))
    invoice_for(customer, [completed_pickup(location=location, hauler=in_area_hauler) for _ in range(count)])

    with django_assert_num_queries(BILLING_PAGE_QUERIES):
        response = owner_client.get(reverse("billing"))

    assert len(response.context["payments"]) == 2 * count + 1


# --- The card page ---------------------------------------------------------------------------------------


def test_card_page_in_production_mounts_stripes_payment_element(owner_client, customer, payments_on, monkeypatch):
    started = []
    monkeypatch.setattr(
        cards, "start_card_setup", lambda *, customer, by: started.append(customer) or ("seti_1", "seti_1_secret_2")
    )

    response = owner_client.get(reverse("billing_card"))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert 'src="/static/card.js"' in page and 'id="payment-element"' in page
    assert "confirmSetup" in (settings.BASE_DIR / "static/card.js").read_text()
    config = response.context["stripe_config"]
    assert config == {
        "publishableKey": "pk_test_x",
        "clientSecret": "seti_1_secret_2",
        "returnUrl": "http://testserver/billing/card/return/",
    }
    assert "seti_1_secret_2" in page and "pk_test_x" in page
    assert 'name="number"' not in page and "Test mode" not in page
    assert started == [customer]


def test_the_test_card_form_is_refused_when_test_cards_are_not_allowed(
    owner_client, customer, payments_on, monkeypatch
):
    monkeypatch.setattr(cards, "save_test_card", lambda **kwargs: pytest.fail("a card number was sent"))
    monkeypatch.setattr(cards, "start_card_setup", lambda **kwargs: pytest.fail("no setup on a refused POST"))
    form = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": timezone.localdate().year + 2, "cvc": "123"}

    response = owner_client.post(reverse("billing_card"), form)

    assert response.status_code == 409
    assert "Card numbers are never sent through this server." in response.content.decode()
    assert not BillingAccount.objects.filter(customer=customer, payment_method_id__gt="").exists()


def test_stripe_unreachable_on_the_card_page_is_a_message(owner_client, payments_on, monkeypatch):
    def unreachable(**kwargs):
        raise GatewayError("Stripe could not be reached; it will be tried again.")

    monkeypatch.setattr(cards, "start_card_setup", unreachable)

    response = owner_client.get(reverse("billing_card"))

    assert response.status_code == 503
    assert "Stripe could not be reached" in response.content.decode()
    assert "js.stripe.com" not in response.content.decode()


def test_test_card_form_has_a_banner_and_saves_through_the_service(
    owner_client, customer_owner, customer, test_cards_on, monkeypatch
):
    saved = []

    def save_test_card(**kwargs):
        saved.append(kwargs)
        return factories.BillingAccountFactory(customer=kwargs["customer"])

    monkeypatch.setattr(cards, "save_test_card", save_test_card)
    page = owner_client.get(reverse("billing_card")).content.decode()
    assert "Test mode: use test card numbers such as 4242 4242 4242 4242" in page
    assert "js.stripe.com" not in page
    year = timezone.localdate().year + 2

    form = {"number": "4242 4242 4242 4242", "exp_month": "12", "exp_year": str(year), "cvc": "123"}
    response = owner_client.post(reverse("billing_card"), form)

    assert response["Location"] == reverse("billing")
    assert _messages(response) == [f"Saved your card: Visa ending 4242, expires 12/{timezone.localdate().year + 3}."]
    assert saved == [
        {
            "customer": customer,
            "by": customer_owner,
            "number": "4242424242424242",
            "exp_month": 12,
            "exp_year": year,
            "cvc": "123",
        }
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"number": "4242 abcd", "exp_month": "12", "cvc": "123"}, "number", "Enter the card's 12 to 19 digits."),
        ({"number": "4242424242424242", "exp_month": "13", "cvc": "123"}, "exp_month", "less than or equal to 12"),
        ({"number": "4242424242424242", "exp_month": "12", "cvc": "12"}, "cvc", "Enter the 3 or 4 digits"),
    ],
)
def test_test_card_form_errors_are_shown_without_calling_stripe(
    owner_client, test_cards_on, monkeypatch, form, field, message
):
    monkeypatch.setattr(cards, "save_test_card", lambda **kwargs: pytest.fail("an invalid form was sent"))

    response = owner_client.post(reverse("billing_card"), {"exp_year": timezone.localdate().year + 1, **form})

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert message.replace("'", "&#x27;") in response.content.decode()


def test_a_declined_test_card_is_a_field_error(owner_client, test_cards_on, monkeypatch):
    def declined(**kwargs):
        raise ValidationError({"number": "Your card was declined."})

    monkeypatch.setattr(cards, "save_test_card", declined)
    form = {"number": "4000000000000002", "exp_month": "12", "exp_year": timezone.localdate().year + 1, "cvc": "123"}

    response = owner_client.post(reverse("billing_card"), form)

    assert response.status_code == 400
    assert response.context["form"].errors["number"] == ["Your card was declined."]


def test_stripe_unreachable_on_the_test_card_form_is_a_form_error(owner_client, test_cards_on, monkeypatch):
    def unreachable(**kwargs):
        raise GatewayError("Stripe could not be reached; it will be tried again.")

    monkeypatch.setattr(cards, "save_test_card", unreachable)
    form = {"number": "4242424242424242", "exp_month": "12", "exp_year": timezone.localdate().year + 1, "cvc": "123"}

    response = owner_client.post(reverse("billing_card"), form)

    assert response.status_code == 400
    assert "Stripe could not be reached" in response.content.decode()


def test_return_from_stripe_saves_the_card(owner_client, customer, payments_on, monkeypatch):
    monkeypatch.setattr(
        cards,
        "save_card",
        lambda *, customer, setup_intent_id, by: factories.BillingAccountFactory(customer=customer, card_last4="1881"),
    )

    response = owner_client.get(reverse("billing_card_return"), {"setup_intent": "seti_123", "redirect_status": "x"})

    assert response["Location"] == reverse("billing")
    assert _messages(response)[0].startswith("Saved your card: Visa ending 1881")


@pytest.mark.parametrize(
    ("query", "error", "shown"),
    [
        ({}, None, "The card form did not finish"),
        ({"setup_intent": "seti_1"}, ValidationError({"card": "Your card was declined."}), "Your card was declined."),
        ({"setup_intent": "seti_1"}, GatewayError("That card setup belongs to someone else."), "belongs to someone"),
    ],
)
def test_a_card_that_was_not_saved_is_a_message(owner_client, payments_on, monkeypatch, query, error, shown):
    def save_card(**kwargs):
        raise error

    monkeypatch.setattr(cards, "save_card", save_card)

    response = owner_client.get(reverse("billing_card_return"), query)

    assert response["Location"] == reverse("billing")
    [message] = _messages(response)
    assert message.startswith("The card was not saved") and shown.lower() in message.lower()


# --- Invoices --------------------------------------------------------------------------------------------


@pytest.fixture
def invoice(customer, location, in_area_hauler):
    customer.billing_email = "accounts@congress.example"
    customer.save()
    refunds.grant_credit(customer=customer, amount_cents=1_000, reason="Missed pickup", key="test:invoice")
    visits = [
        completed_pickup(location=location, hauler=in_area_hauler, price_cents=cents, days_ago=days)
        for cents, days in ((4_000, 35), (6_500, 33))
    ]
    return invoice_for(customer, visits)


def test_invoice_detail_shows_lines_totals_and_payment(owner_client, invoice):
    response = owner_client.get(reverse("invoice_detail", args=[invoice.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Invoice {invoice.number}" in page
    for line in invoice.lines.all():
        assert line.description in page and f"{line.service_date:%b %-d, %Y}" in page
    assert "$40.00" in page and "$65.00" in page
    assert "$105.00" in page and "-$10.00" in page and "$95.00" in page  # subtotal, credit, total
    assert "Open" in page and "Being charged." in page
    assert reverse("invoice_print", args=[invoice.pk]) in page


def test_printable_invoice_stands_alone(owner_client, customer, invoice):
    response = owner_client.get(reverse("invoice_print", args=[invoice.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "invoice-print.css" in page
    assert "@media print" in (settings.BASE_DIR / "static/invoice-print.css").read_text()
    assert 'aria-label="Main"' not in page  # no site navigation
    assert customer.name in page and "accounts@congress.example" in page
    assert "<strong>HaulMatch</strong>" in page
    assert invoice.number in page and invoice.month.strftime("%B %Y") in page
    assert "$105.00" in page and "-$10.00" in page and "$95.00" in page


def test_another_business_invoice_is_not_found(client, invoice):
    client.force_login(factories.CustomerMembershipFactory().user)
    assert client.get(reverse("invoice_detail", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("invoice_print", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("invoice_detail", args=[invoice.pk + 100])).status_code == 404
