"""The hauler's company page and its licence and insurance: operations, status, uploads checked by content."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.uploads import MAX_UPLOAD_BYTES
from haulers.models import Credential, Hauler
from marketplace import scheduling
from tests import factories

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << >> endobj\n"


@pytest.fixture
def hauler_client(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler).user)
    return client


def company_form(**changes):
    form = {
        "name": "Downtown Disposal LLC", "phone": "512-555-0199", "depot_zip": "78704",
        "working_days": ["0", "1", "2", "3", "4", "5"],
    }  # fmt: skip
    return {**form, **changes}


@pytest.mark.django_db
def test_company_page_saves_operations_with_working_days_as_the_bitmask(hauler_client, in_area_hauler):
    page = hauler_client.get(reverse("hauler_company")).content.decode()
    assert 'value="Downtown Disposal"' in page
    assert page.count('type="checkbox" name="working_days"') == 7

    response = hauler_client.post(reverse("hauler_company"), company_form())
    assert response["Location"] == reverse("hauler_company")
    in_area_hauler.refresh_from_db()
    assert (in_area_hauler.name, in_area_hauler.phone, in_area_hauler.depot_zip) == (
        "Downtown Disposal LLC",
        "512-555-0199",
        "78704",
    )
    assert in_area_hauler.working_days == 0b0111111  # Monday to Saturday
    assert in_area_hauler.working_day_names[-1] == "Saturday"
    assert "Saved your company details." in hauler_client.get(reverse("hauler_company")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"working_days": []}, "Choose at least one working day."),
        ({"depot_zip": "00000"}, "00000 is not a US ZIP code we know."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_company_page_says_what_is_wrong(hauler_client, in_area_hauler, changes, message):
    response = hauler_client.post(reverse("hauler_company"), company_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    in_area_hauler.refresh_from_db()
    assert in_area_hauler.name == "Downtown Disposal"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Hauler.Status.PENDING, "Status: pending verification"),
        (Hauler.Status.ACTIVE, "Status: active"),
        (Hauler.Status.SUSPENDED, "Status: suspended"),
    ],
)
def test_company_page_shows_the_verification_status(client, status, says):
    hauler = factories.HaulerFactory(status=status, verified_at=None if status == "pending" else timezone.now())
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler).user)
    page = client.get(reverse("hauler_company")).content.decode()
    assert says in page


@pytest.mark.django_db
def test_company_page_lists_what_a_new_hauler_still_has_to_do(client):
    hauler = factories.HaulerFactory(status=Hauler.Status.PENDING, verified_at=None, credentials_until=None, stops=0)
    hauler.credentials.all().delete()
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler).user)
    page = client.get(reverse("hauler_company")).content.decode()
    assert page.count("<strong>to do</strong>") == 5
    assert "A service area (0 ZIP codes)" in page
    assert "Add your first truck to get offers" in page
    assert "Pickups per day" not in page


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def credential_form(document, **changes):
    form = {
        "kind": "licence", "number": "SW-2291", "issuer": "City of Austin", "valid_from": "2025-01-01",
        "expires_on": "2030-12-31", "document": document,
    }  # fmt: skip
    return {**form, **changes}


@pytest.mark.django_db
def test_uploading_a_licence_stores_it_privately(hauler_client, in_area_hauler, settings):
    response = hauler_client.post(reverse("hauler_credentials"), credential_form(upload("licence.pdf", PDF)))
    assert response["Location"] == reverse("hauler_credentials")
    credential = in_area_hauler.credentials.get(number="SW-2291")
    assert (credential.kind, credential.issuer) == ("licence", "City of Austin")
    assert (credential.valid_from, credential.expires_on) == (dt.date(2025, 1, 1), dt.date(2030, 12, 31))
    assert credential.verified_at is None
    assert (settings.MEDIA_ROOT / credential.document.name).read_bytes() == PDF
    page = hauler_client.get(reverse("hauler_credentials")).content.decode()
    assert "SW-2291" in page and "Awaiting check" in page
    assert reverse("hauler_credential_document", args=[credential.pk]) in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "message"),
    [
        (upload("licence.txt", b"just some text", "text/plain"), "That file is not a PDF, JPEG, PNG"),
        (upload("licence.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "application/pdf"), "not a PDF, JPEG, PNG"),
        (upload("licence.pdf", b"", "application/pdf"), "Choose a file (PDF, JPEG, PNG)."),
        (upload("licence.pdf", PDF + b"0" * MAX_UPLOAD_BYTES), "the limit is 10 MB"),
    ],
    ids=["text", "executable-named-pdf", "empty", "oversized"],
)
def test_a_document_is_checked_by_its_content(hauler_client, in_area_hauler, document, message):
    before = in_area_hauler.credentials.count()
    response = hauler_client.post(reverse("hauler_credentials"), credential_form(document))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert in_area_hauler.credentials.count() == before


@pytest.mark.django_db
def test_a_credential_needs_a_document_and_sensible_dates(hauler_client, in_area_hauler):
    form = credential_form(upload("licence.pdf", PDF))
    del form["document"]
    response = hauler_client.post(reverse("hauler_credentials"), form)
    assert response.status_code == 400 and "This field is required." in response.content.decode()

    backwards = credential_form(upload("licence.pdf", PDF), valid_from="2030-01-01", expires_on="2029-01-01")
    response = hauler_client.post(reverse("hauler_credentials"), backwards)
    assert response.status_code == 400
    assert "The expiry date must be on or after the start date." in response.content.decode()
    assert not in_area_hauler.credentials.filter(number="SW-2291").exists()


@pytest.mark.django_db
def test_expired_and_soon_expiring_credentials_stand_out(client):
    today = scheduling.local_today("America/Chicago")  # the depot's date, whatever the server's
    hauler = factories.HaulerFactory(credentials_until=today + dt.timedelta(days=400))
    Credential.objects.create(
        hauler=hauler, kind="licence", number="OLD-1", issuer="City", valid_from=today - dt.timedelta(days=700),
        expires_on=today - dt.timedelta(days=2),
    )  # fmt: skip
    Credential.objects.create(
        hauler=hauler, kind="insurance", number="SOON-1", issuer="Insurer", valid_from=today - dt.timedelta(days=300),
        expires_on=today + dt.timedelta(days=12),
    )  # fmt: skip
    client.force_login(factories.HaulerMembershipFactory(hauler=hauler).user)
    page = client.get(reverse("hauler_credentials")).content.decode()
    assert page.count('class="credential-expired"') == 1
    assert page.count('class="credential-expiring"') == 1
    assert page.count('class="credential-valid"') == 2
    assert '<span class="badge expired">Expired</span>' in page
    assert "Expires in 12 days" in page
