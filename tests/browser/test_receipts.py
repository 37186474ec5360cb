"""A refund and a credit on the billing page, and a receipt, in a real browser at a phone's width and a desktop's:
nothing cut off, the receipt's PDF downloads. Screenshots under test-artifacts/browser/."""

import pytest
from playwright.sync_api import expect

from billing import refunds
from billing.models import Refund
from tests import factories
from tests.billing import support
from tests.browser.support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _booked_refund(payment, cents):
    made = Refund.objects.create(
        payment=payment, pickup_id=payment.pickup_id, amount_cents=cents, reason="Bin not fully emptied",
        stripe_refund_id=f"re_browser_{cents}",
    )  # fmt: skip
    refunds._book_refund(made, payment)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_billing_page_and_a_receipt_show_refunds_and_credit(page, width, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"  # payments on (nothing here reaches Stripe)
    owner = factories.CustomerMembershipFactory(customer__name="Congress Avenue Café")
    factories.BillingAccountFactory(customer=owner.customer)
    location = factories.LocationFactory(customer=owner.customer)
    hauler = factories.HaulerFactory(name="Capital City Hauling", zips=["78701"])
    paid = support.paid_payment(
        support.completed_pickup(location=location, hauler=hauler, price_cents=8_220, payout_cents=6_000)
    )
    _booked_refund(paid, 2_000)
    refunds.grant_credit(
        customer=owner.customer, amount_cents=1_000, reason="Lid left open", key="browser", pickup=paid.pickup
    )
    later = support.paid_payment(support.completed_pickup(location=location, hauler=hauler, days_ago=1))
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, owner.user.email)

    page.goto("/billing/")
    row = page.locator(f"#payment-{paid.pk}")
    expect(row).to_contain_text("Paid $82.20 · refunded $20.00 on")
    expect(row).to_contain_text("you paid $62.20")
    expect(page.locator(f"#payment-{later.pk}")).to_contain_text("after $10.00 of credit")
    expect(page.get_by_role("heading", name="Credit history")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the tables scroll in their own box
    page.snap(f"billing-{width}")

    row.locator(f'a[href="/billing/receipts/{paid.pk}/"]').click()
    expect(page.get_by_role("heading", name=f"Receipt {paid.pk}")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Visa ending 4242")
    expect(page.locator("main")).to_contain_text("You paid")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.snap(f"receipt-{width}")
    link = page.get_by_role("button", name="Download PDF")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"receipt-{paid.pk}.pdf"
    with open(download.value.path(), "rb") as file:
        assert file.read(5) == b"%PDF-"

    page.goto(f"/pickups/{paid.pickup_id}/")
    expect(page.locator("main")).to_contain_text("you paid $62.20")
    page.snap(f"pickup-{width}")


@pytest.mark.parametrize("width", [390, 1280])
def test_an_invoice_shows_a_visit_s_refund(page, width):
    owner = factories.CustomerMembershipFactory(customer__name="Congress Avenue Café")
    factories.BillingAccountFactory(customer=owner.customer)
    location = factories.LocationFactory(customer=owner.customer)
    hauler = factories.HaulerFactory(name="Capital City Hauling", zips=["78701"])
    visits = [support.completed_pickup(location=location, hauler=hauler, days_ago=40 + n) for n in range(3)]
    invoice = support.invoice_for(owner.customer, visits)
    payment = support.settle(invoice.payment, intent="pi_browser_invoice")
    made = Refund.objects.create(
        payment=payment, pickup_id=visits[1].pk, amount_cents=700, reason="Lid left open", stripe_refund_id="re_inv"
    )
    refunds._book_refund(made, payment)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, owner.user.email)

    page.goto(f"/billing/invoices/{invoice.pk}/")
    expect(page.locator(f"#line-{visits[1].pk}")).to_contain_text("Refunded $7.00 on")
    expect(page.locator("tfoot")).to_contain_text("Refunded since")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.snap(f"invoice-{width}")
    page.get_by_role("link", name=f"Receipt {payment.pk}").click()
    expect(page.get_by_role("heading", name=f"Receipt {payment.pk}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.snap(f"invoice-receipt-{width}")
