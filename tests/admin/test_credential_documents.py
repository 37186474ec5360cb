"""Staff open credential documents through the permission-checked view, never a public media URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from haulers import services


@pytest.mark.django_db
def test_the_admin_links_credential_documents_to_the_private_view(staff_client, in_area_hauler):
    credential = services.add_credential(
        hauler=in_area_hauler, kind="licence", number="LIC-9", issuer="City of Austin",
        valid_from="2026-01-01", expires_on="2027-12-31",
        document=SimpleUploadedFile("licence.pdf", b"%PDF-1.7 test document"),
    )  # fmt: skip
    document_url = reverse("hauler_credential_document", args=[credential.pk])
    for page in (
        reverse("admin:haulers_credential_change", args=[credential.pk]),
        reverse("admin:haulers_hauler_change", args=[in_area_hauler.pk]),
    ):
        html = staff_client.get(page).content.decode()
        assert document_url in html
        assert "/media/" not in html
    download = staff_client.get(document_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
