"""A business reports a problem with yesterday's visit from its pickup page, with a photo, at 1280 and 390 px; the
hauler's office answers in its portal with words and a photo; the business reads the answer on its case page."""

import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from marketplace.models import Case, ServiceProof
from tests import factories
from tests.browser.support import log_in
from tests.marketplace.cases.cast import done_visit, office_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SERIOUS = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)"""


def picture(width: int = 160, height: int = 90, colour: tuple = (90, 140, 60)) -> bytes:
    """A real PNG of one colour, so the screenshots show where the photos go."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def serious_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())  # over CDP: the site's CSP stays on
    return page.evaluate(SERIOUS)


@pytest.fixture
def cast(tmp_path):
    business = factories.CustomerMembershipFactory(customer__name="Congress Avenue Café")
    factories.LocationFactory(customer=business.customer, name="Congress Ave")
    hauler = factories.HaulerFactory(name="Capital City Hauling", zips=["78701"])
    visit = done_visit(customer=business.customer, hauler=hauler)
    ServiceProof.objects.filter(pickup=visit).update(photo="")
    proof = ServiceProof.objects.get(pickup=visit)
    proof.photo.save("proof.png", ContentFile(picture(colour=(60, 90, 160))))
    photo = tmp_path / "bags.png"
    photo.write_bytes(picture())
    return {"business": business.user, "office": office_of(hauler, role="dispatcher"), "visit": visit, "photo": photo}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_a_business_reports_a_problem_and_the_hauler_answers(page, cast, viewport):
    page.set_viewport_size(viewport)
    log_in(page, cast["business"].email)
    page.goto(f"/pickups/{cast['visit'].pk}/")
    page.snap("pickup-page")
    page.get_by_role("button", name="Report a problem").click()  # a link styled as the next step
    page.wait_for_url("**/report/")
    assert fits_the_screen(page) and serious_violations(page) == []
    page.get_by_label("The container was not fully emptied").check()
    page.get_by_label("What happened").fill("Four bags were left beside the dumpster and the lid is open.")
    page.get_by_label("Photos (optional)").set_input_files(str(cast["photo"]))
    page.snap("report-form")
    page.get_by_role("button", name="Send the report").click()
    page.wait_for_url("**/cases/*/")
    case = Case.objects.get()
    assert page.get_by_role("status").filter(has_text="HaulMatch staff will decide by").count() == 1
    assert page.locator("img.case-photo").count() == 1
    assert page.locator("img.proof-photo").evaluate("img => img.naturalWidth") > 0
    page.snap("case-page-business")
    assert fits_the_screen(page) and serious_violations(page) == []  # the flash message shown too

    page.context.clear_cookies()  # signed out (on a phone the Log out button is behind the menu)
    log_in(page, cast["office"].email)
    page.goto("/hauler/cases/")
    assert "waiting for your side" in page.locator("main").inner_text()
    assert fits_the_screen(page)
    page.snap("hauler-cases")
    page.get_by_role("link", name="The container was not fully emptied").click()
    page.get_by_label("Your message").fill("We emptied it at 9:05; the bags were put out after we left.")
    page.get_by_label("Photo (optional)").set_input_files(str(cast["photo"]))
    page.get_by_role("button", name="Send your answer").click()
    page.wait_for_url(f"**/hauler/cases/{case.pk}/")
    assert "You have answered." in page.locator("main").inner_text()
    page.snap("hauler-case-answered")
    page.reload()
    assert fits_the_screen(page) and serious_violations(page) == []

    page.context.clear_cookies()  # signed out (on a phone the Log out button is behind the menu)
    log_in(page, cast["business"].email)
    page.goto(f"/cases/{case.pk}/")
    assert "Capital City Hauling has answered." in page.locator("main").inner_text()
    assert page.locator("img.case-photo").count() == 2
    page.snap("case-page-answered")
    page.goto("/cases/")
    assert fits_the_screen(page)
    page.snap("case-list")
