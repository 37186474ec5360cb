"""A new hauler, in a real browser: sign up, set up with a truck, get verified, take an offer, do the job, get paid."""

import datetime as dt

import pytest
from django.utils import timezone

from haulers.models import Hauler
from marketplace import scheduling, services
from marketplace.models import Offer, Pickup
from tests import factories
from tests.browser.support import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSPHRASE = "a-long-and-unusual-passphrase"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def upload_credential(page, *, kind: str, number: str, issuer: str, document) -> None:
    today = timezone.localdate()
    page.get_by_label("Document:", exact=True).select_option(kind)
    page.get_by_label("Licence or policy number").fill(number)
    page.get_by_label("Issued by").fill(issuer)
    page.get_by_label("Valid from").fill((today - dt.timedelta(days=30)).isoformat())
    page.get_by_label("Expires on").fill((today + dt.timedelta(days=365)).isoformat())
    page.get_by_label("Scan or photo").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()


def test_a_new_hauler_is_verified_takes_an_offer_and_completes_it(page, tmp_path, location, staff_user):
    licence, insurance, photo = tmp_path / "licence.pdf", tmp_path / "insurance.pdf", tmp_path / "bin.png"
    licence.write_bytes(b"%PDF-1.4\n% hauling licence\n")
    insurance.write_bytes(b"%PDF-1.4\n% certificate of insurance\n")
    photo.write_bytes(PNG)

    page.goto("/accounts/signup/?as=hauler")
    page.get_by_label("Company name").fill("Eastside Hauling")
    page.get_by_label("Email").fill("dispatch@eastside.example")
    page.get_by_label("Password:", exact=True).fill(PASSPHRASE)
    page.get_by_label("Password (again)").fill(PASSPHRASE)
    page.get_by_label("Depot ZIP code").fill("78702")
    page.snap("signup")
    page.locator("main").get_by_role("button", name="Sign Up").click()
    page.wait_for_url(lambda url: "/accounts/signup/" not in url)
    hauler = Hauler.objects.get(name="Eastside Hauling")

    # The company page: operations, and the status that says why no offers come yet.
    page.goto("/hauler/company/")
    page.get_by_text("Status: pending verification").wait_for()
    page.get_by_label("Phone").fill("512-555-0142")
    page.get_by_label("Saturday").check()
    page.get_by_label("Sunday").check()  # every day, so the test does not depend on the day it runs
    page.snap("company")
    page.get_by_role("button", name="Save company details").click()
    page.get_by_text("Saved your company details.").wait_for()
    hauler.refresh_from_db()
    assert hauler.working_days == 0b1111111
    page.get_by_text("Add your first truck to get offers").wait_for()

    # Capacity is the trucks': one front-load truck that empties 4-yard dumpsters.
    page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Trucks").click()
    page.get_by_label("Name:", exact=True).fill("Truck 7")
    page.get_by_label("Kind of truck").select_option("front_load")
    page.get_by_label("4-yard dumpster").check()
    page.get_by_label("Capacity per trip").fill("20")
    page.get_by_label("Most stops in a shift").fill("40")
    page.get_by_label("Shift starts").fill("06:00")
    page.get_by_label("Shift ends").fill("16:00")
    page.snap("truck")
    page.get_by_role("button", name="Add the truck").click()
    page.get_by_text("Added Truck 7.").wait_for()
    truck = hauler.trucks.get()
    assert (truck.containers, truck.capacity_per_trip, truck.stops_per_shift) == (["dumpster_4yd"], 20, 40)

    page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Credentials").click()
    upload_credential(page, kind="licence", number="SW-2291", issuer="City of Austin", document=licence)
    page.get_by_text("Added your hauling licence.").wait_for()
    upload_credential(page, kind="insurance", number="POL-88-1234", issuer="Lone Star Mutual", document=insurance)
    page.get_by_text("Added your insurance certificate.").wait_for()
    page.snap("credentials")
    assert sorted(hauler.credentials.values_list("kind", flat=True)) == ["insurance", "licence"]

    page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Service area").click()
    page.get_by_label("Around ZIP code").fill("78702")
    page.get_by_label("Radius in miles").fill("5")
    page.get_by_role("button", name="Preview the radius").click()
    page.get_by_role("heading", name="Preview:").wait_for()
    assert page.locator("section.area-preview svg circle.zip").count() > 5
    page.snap("area-preview")
    page.get_by_role("button", name="Save these").click()
    page.get_by_text("Saved: you serve").wait_for()
    assert hauler.service_zips.filter(zip_code="78701").exists()

    page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Rates").click()
    page.get_by_label("Trash, 4-yard dumpster: price per pickup in dollars", exact=True).fill("85.00")
    page.get_by_label("Trash, 4-yard dumpster: each extra container in dollars", exact=True).fill("40")
    page.snap("rates")
    page.get_by_role("button", name="Save rate card").click()
    page.get_by_text("Saved your rate card: 1 service priced.").wait_for()

    # Staff verify the company in the admin.
    page.get_by_role("button", name="Log out").click()
    page.goto("/admin/login/")
    page.locator("#id_username").fill(staff_user.email)
    page.locator("#id_password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/admin/haulers/hauler/")
    page.locator(f'input[name="_selected_action"][value="{hauler.pk}"]').check()
    page.locator('select[name="action"]').select_option("verify_selected")
    page.snap("admin-verify")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("Verified 1 hauler.").wait_for()
    page.snap("admin-verified")
    hauler.refresh_from_db()
    assert hauler.status == Hauler.Status.ACTIVE and hauler.verified_by == staff_user
    page.get_by_role("button", name="Log out").click()

    # A business books a pickup in the area; the cascade offers it to the only eligible hauler.
    service_date = scheduling.local_today(location.timezone) + dt.timedelta(days=1)
    quote = services.create_quote(
        customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=service_date,
    )  # fmt: skip
    pickup = services.book_quote(quote=quote, customer=location.customer)
    offer = Offer.objects.get(pickup=pickup, hauler=hauler, status=Offer.Status.PENDING)

    log_in(page, "dispatch@eastside.example", PASSPHRASE)
    page.goto("/hauler/offers/")
    card = page.locator(f"#offer-{offer.pk}-title").locator("xpath=ancestor::article")
    card.get_by_text("78701 · Austin, TX").wait_for()
    assert "$85.00" in card.inner_text()
    assert location.street not in page.content() and location.customer.name not in page.content()
    page.snap("offers")
    card.get_by_role("button", name="Accept").click()

    page.get_by_text("It's yours").wait_for()
    page.get_by_text(location.street).wait_for()
    page.snap("job")
    page.get_by_label("Photo of the emptied container").set_input_files(str(photo))
    page.get_by_label("Weight (optional)").fill("120")
    page.get_by_label("lb", exact=True).check()
    page.get_by_label("Notes (optional)").fill("Emptied, lid closed.")
    # The job is tomorrow's: done today, before its window, the page asks why.
    page.get_by_label("Why before the window?").fill("The customer asked us to come a day early")
    page.get_by_role("button", name="Complete the job").click()
    page.get_by_text("Job done: proof of service recorded.").wait_for()
    page.snap("completed")
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.COMPLETED and pickup.proof.weight_kg is not None

    page.get_by_role("navigation", name="Hauler portal").get_by_role("link", name="Earnings").click()
    assert page.get_by_label("Total earned").inner_text() == "$85.00"
    page.get_by_text("Payouts are not set up on this installation.").wait_for()
    page.snap("earnings")
