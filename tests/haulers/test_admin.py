"""Staff open credential documents through the permission-checked view, never a public media URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from haulers import services


@pytest.mark.django_db
def test_the_admin_links_credential_documents_to_the_private_view(staff_client, in_area_hauler):
    credential = services.add_credential(
        by=None,
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


@pytest.mark.django_db
def test_staff_register_a_sensor_in_admin_and_see_its_token_once(staff_client, location):
    from django.contrib.messages import get_messages

    from sensors.models import Device, hash_token

    response = staff_client.post(
        reverse("admin:sensors_device_add"),
        {
            "serial": "ADM-1", "location": location.pk, "waste_stream": "trash", "container": "dumpster_4yd",
            "collect_at_percent": 85, "skip_below_percent": 25, "auto_book": "on", "active": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302
    device = Device.objects.get(serial="ADM-1")
    token = next(m.message for m in get_messages(response.wsgi_request) if "token" in m.message).rsplit(" ", 1)[-1]
    assert device.token_hash == hash_token(token) and (device.collect_at_percent, device.auto_book) == (85, True)
    assert token in staff_client.get(response["Location"]).content.decode()  # the next page shows it, once
    assert token not in staff_client.get(reverse("admin:sensors_device_change", args=[device.pk])).content.decode()
