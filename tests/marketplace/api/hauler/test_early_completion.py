"""Completing a job through the API before its window opens asks why; within or after the window it does not."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.transitions import history
from marketplace.models import Pickup, ServiceProof
from tests.factories import in_window

URL = "/api/v1/hauler/jobs/"


def photo(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", content, content_type="image/png")


@pytest.fixture
def job(hauler, make_jobs):
    """Thursday's job, 7 AM to 5 PM in Austin."""
    return make_jobs(hauler=hauler, days=2)[0]


def complete(client, job, **fields):
    return client.post(f"{URL}{job.pk}/complete/", fields, format="multipart")


def completion_reason(job) -> str:
    return history(job).get(to_status=Pickup.Status.COMPLETED).reason


@pytest.mark.django_db
def test_completing_hours_before_the_window_without_a_reason_is_a_400_naming_the_field(
    hauler_api, job, media, tiny_png
):
    with time_machine.travel(in_window(job) - dt.timedelta(hours=4)):  # 5 AM there: the window opens at 7
        response = complete(hauler_api, job, photo=photo(tiny_png))

    assert response.status_code == 400, response.json()
    body = response.json()
    assert list(body) == ["early_reason"]
    opens = dt.datetime.combine(job.service_date, dt.time(7), tzinfo=ZoneInfo("America/Chicago"))
    assert body["early_reason"] == [
        f"The window opens at 7:00 AM {opens:%Z} on {opens:%a, %b %-d}. Say why it was done early."
    ]
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED
    assert not ServiceProof.objects.exists()


@pytest.mark.django_db
def test_a_blank_reason_is_no_reason(hauler_api, job, media, tiny_png):
    with time_machine.travel(in_window(job) - dt.timedelta(hours=4)):
        response = complete(hauler_api, job, photo=photo(tiny_png), early_reason="   ")
    assert response.status_code == 400 and "early_reason" in response.json()


@pytest.mark.django_db
def test_with_a_reason_it_is_completed_and_the_reason_is_in_the_jobs_history(hauler_api, job, media, tiny_png):
    with time_machine.travel(in_window(job) - dt.timedelta(hours=4)):
        response = complete(hauler_api, job, photo=photo(tiny_png), early_reason="  The customer asked for 5 AM ")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "completed"
    assert completion_reason(job) == "Completed before the window opened: The customer asked for 5 AM"


@pytest.mark.django_db
def test_a_service_time_typed_before_the_window_needs_the_reason_too(hauler_api, job, media, tiny_png):
    opens = in_window(job) - dt.timedelta(hours=2)  # 7 AM there
    with time_machine.travel(in_window(job)):
        response = complete(
            hauler_api, job, photo=photo(tiny_png), serviced_at=(opens - dt.timedelta(minutes=30)).isoformat()
        )
    assert response.status_code == 400 and "early_reason" in response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("hours", [0, 2, 9])  # 7 AM sharp, within the window, after it closed
def test_within_or_after_the_window_no_reason_is_asked(hauler_api, job, media, tiny_png, hours):
    opens = in_window(job) - dt.timedelta(hours=2)
    with time_machine.travel(opens + dt.timedelta(hours=hours)):
        response = complete(hauler_api, job, photo=photo(tiny_png))
    assert response.status_code == 200, response.json()
    assert completion_reason(job) == "Completed with proof"


@pytest.mark.django_db
def test_the_schema_documents_the_reason(openapi):
    schema = openapi["components"]["schemas"]["Completion"]["properties"]["early_reason"]
    assert "before the arrival window opened" in schema["description"]
