"""The invoice page's Download PDF link, in a real browser: a PDF of the invoice, a phone's width to a desktop's."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.billing import support
from tests.browser.test_payments_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_invoice_page_downloads_its_pdf(page, width):
    owner = factories.CustomerMembershipFactory(customer__name="Congress Ave Deli")
    location = factories.LocationFactory(customer=owner.customer)
    hauler = factories.HaulerFactory(name="Downtown Disposal", zips=["78701"])
    visits = [support.completed_pickup(location=location, hauler=hauler, days_ago=40 + n) for n in range(3)]
    invoice = support.invoice_for(owner.customer, visits)
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, owner.user.email)

    page.goto(f"/billing/invoices/{invoice.pk}/")
    link = page.get_by_role("button", name="Download PDF")
    expect(link).to_be_visible()
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # nothing cut off on a phone
    page.snap(f"invoice-{width}")
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    assert download.value.suggested_filename == f"invoice-{invoice.number}.pdf"
    with open(path, "rb") as file:
        assert file.read(5) == b"%PDF-"
