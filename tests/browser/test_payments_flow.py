"""Payments in a real browser, against the Stripe stand-in: a business's card and charge, a hauler's payout setup."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingAccount, Payment, PayoutAccount
from core.templatetags.money import dollars
from marketplace import scheduling
from marketplace.models import Offer, Pickup, Quote
from tests import factories
from tests.browser.support import log_in
from tests.services.billing_support import DECLINED_AT_SAVE, PNG, VISA, remote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(lambda url: "/accounts/logout/" not in url)


def get_a_price(page, service_date: dt.date) -> None:
    page.goto("/book/")
    page.get_by_label("What:", exact=True).select_option("trash")
    page.get_by_label("Container:", exact=True).select_option("dumpster_4yd")
    page.get_by_label("How many containers").fill("1")
    page.get_by_label("Pickup date").fill(service_date.isoformat())
    page.get_by_role("button", name="Get my price").click()
    page.get_by_label("Price").wait_for()


def enter_card(page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill(str(timezone.localdate().year + 2))
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Save card").click()


def test_a_business_adds_a_card_books_and_pays_once_the_job_is_done(
    page, stripe_on, customer_owner, location, in_area_hauler, tmp_path
):
    hauler_owner = factories.HaulerMembershipFactory(hauler=in_area_hauler).user
    photo = tmp_path / "bins.png"
    photo.write_bytes(PNG)
    service_date = scheduling.local_today(location.timezone) + dt.timedelta(days=1)

    # No card yet: the price page says a card is needed and where to add one.
    log_in(page, customer_owner.email)
    get_a_price(page, service_date)
    warning = page.locator("article footer").get_by_role("alert")
    expect(warning).to_contain_text("Add a payment card before booking")
    page.snap("quote-needs-card")
    quote = Quote.objects.get(customer=location.customer)
    warning.get_by_role("link", name="Go to your payment card").click()

    page.get_by_role("heading", name="Payment card").wait_for()
    page.get_by_text("Test mode: use test card numbers").wait_for()
    enter_card(page, DECLINED_AT_SAVE)
    page.get_by_text("Please check the form.").wait_for()
    expect(page.get_by_label("Card number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_number_error")).to_contain_text("Your card was declined.")
    page.snap("card-declined")
    assert not BillingAccount.objects.get(customer=location.customer).has_card

    enter_card(page, VISA)
    # Saving the card goes straight back to the same quote, its price still held and now bookable.
    page.wait_for_url(f"**/quotes/{quote.pk}/book/")
    page.get_by_text("Saved your card: Visa ending 4242").wait_for()
    assert page.locator("article footer").get_by_role("alert").count() == 0
    price = page.get_by_label("Price").inner_text()
    assert price == dollars(quote.price_cents)
    page.snap("quote-after-card")
    account = BillingAccount.objects.get(customer=location.customer)
    assert (account.card_brand, account.card_last4) == ("visa", "4242")

    page.get_by_role("button", name=f"Book for {price}").click()
    page.get_by_text("Booked.").wait_for()
    page.snap("booked")
    pickup = Pickup.objects.get(customer=location.customer)
    assert dollars(pickup.price_cents) == price and pickup.quote_id == quote.pk
    offer = Offer.objects.get(pickup=pickup, hauler=in_area_hauler, status=Offer.Status.PENDING)
    log_out(page)

    # The hauler takes the job and completes it with a photo; completing it charges the card.
    log_in(page, hauler_owner.email)
    page.goto("/hauler/offers/")
    offer_card = page.locator(f"#offer-{offer.pk}-title").locator("xpath=ancestor::article")
    offer_card.get_by_role("button", name="Accept").click()
    page.get_by_text("It's yours").wait_for()
    page.get_by_label("Photo of the emptied container").set_input_files(str(photo))
    page.get_by_label("Why before the window?").fill("The customer asked us to come a day early")  # tomorrow's job
    page.get_by_role("button", name="Complete the job").click()
    page.get_by_text("Job done: proof of service recorded.").wait_for()
    page.snap("job-completed")
    log_out(page)

    payment = Payment.objects.get(pickup=pickup)
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.charged_cents == pickup.price_cents
    intent = remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
    assert (intent["status"], intent["amount"], intent["customer"]) == (
        "succeeded",
        pickup.price_cents,
        account.stripe_customer_id,
    )

    # The business sees the charge on its Billing page.
    log_in(page, customer_owner.email)
    page.goto("/billing/")
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Card"))
    expect(card).to_contain_text("Visa ending 4242")
    expect(card.get_by_role("button", name="Change card")).to_be_visible()
    row = page.locator(f"#payment-{payment.pk}")
    expect(row).to_contain_text(f"pickup on {pickup.service_date:%b %-d, %Y}")
    expect(row).to_contain_text(f"Paid {price}")  # the money in a sentence, from the ledger
    expect(row.get_by_role("link", name=f"Receipt {payment.pk}", exact=True)).to_be_visible()
    page.snap("billing-paid")


def test_a_hauler_owner_sets_up_payouts_through_stripe_onboarding(page, stripe_on, live_server):
    owner = factories.HaulerMembershipFactory(hauler__name="Eastside Hauling").user
    hauler = owner.hauler_membership.hauler

    log_in(page, owner.email)
    page.goto("/hauler/earnings/")
    account_card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Payout account"))
    expect(account_card).to_contain_text("None yet.")
    page.snap("earnings-no-payouts")

    with page.expect_navigation(url="**/hauler/earnings/") as navigation:
        account_card.get_by_role("button", name="Set up payouts").click()
    hops = []
    request = navigation.value.request
    while request is not None:
        hops.insert(0, request.url)
        request = request.redirected_from
    account = PayoutAccount.objects.get(hauler=hauler)
    assert [hop.split("?")[0] for hop in hops] == [
        f"{live_server.url}/billing/payouts/connect/",
        f"{stripe_on}/connect/onboard/{account.stripe_account_id}",
        f"{live_server.url}/billing/payouts/return/",
        f"{live_server.url}/hauler/earnings/",
    ]

    page.get_by_text("Payouts are on: jobs paid for by the customer are paid out to you weekly.").wait_for()
    expect(account_card.locator(".badge")).to_have_text("Payouts on")
    expect(account_card.get_by_role("button")).to_have_count(0)
    page.snap("earnings-payouts-on")
    account.refresh_from_db()
    assert account.details_submitted and account.payouts_enabled
    assert remote(f"/v1/accounts/{account.stripe_account_id}")["payouts_enabled"] is True
