"""Completing a job on the website before its window opens asks why (the job page and the driver's day); within or
after the window completing stays one tap."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.transitions import history
from marketplace.models import Pickup, ServiceProof
from tests import factories
from tests.marketplace.web.hauler.route_days import AUSTIN, PNG, planned_day

pytestmark = pytest.mark.django_db
QUESTION = "Why before the window?"


def photo():
    return SimpleUploadedFile("bin.png", PNG, content_type="image/png")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AUSTIN)


def opens_text(day: dt.date) -> str:
    opens = at(day, 7)
    return f"The window opens at 7:00 AM {opens:%Z} on {opens:%a, %b %-d}."


def completion_reason(job) -> str:
    return history(job).get(to_status=Pickup.Status.COMPLETED).reason


@pytest.fixture
def job(location, in_area_hauler):
    """A 7 AM to 5 PM job on Dec 9 (a Wednesday) at the café in Austin."""
    return factories.PickupFactory(
        customer=location.customer, location=location, hauler=in_area_hauler, service_date=dt.date(2026, 12, 9)
    )


@pytest.fixture
def office(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler, role="owner").user)
    return client


def proof(**changes) -> dict:
    return {"photo": photo(), "weight": "", "weight_unit": "lb", **changes}


# --- The job's page -----------------------------------------------------------------------


def test_the_job_page_asks_why_before_the_window_and_refuses_without_a_reason(office, job):
    with time_machine.travel(at(job.service_date, 5, 10), tick=False):
        page = office.get(reverse("hauler_job", args=[job.pk])).content.decode()
        assert QUESTION in page and opens_text(job.service_date) in page
        assert 'name="early_reason"' in page and "required" in page.split('name="early_reason"')[1].split(">")[0]

        refused = office.post(reverse("hauler_job_complete", args=[job.pk]), proof(serviced_at="2026-12-09T05:10"))
        assert refused.status_code == 400
        assert refused.context["complete_form"].errors["early_reason"] == ["This field is required."]
        job.refresh_from_db()
        assert job.status == Pickup.Status.SCHEDULED and not ServiceProof.objects.exists()

        done = office.post(
            reverse("hauler_job_complete", args=[job.pk]),
            proof(serviced_at="2026-12-09T05:10", early_reason="The customer asked us to come early"),
        )
    assert done["Location"] == reverse("hauler_job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == Pickup.Status.COMPLETED
    assert completion_reason(job) == "Completed before the window opened: The customer asked us to come early"
    page = office.get(done["Location"]).content.decode()
    assert "Done before the window opened: The customer asked us to come early" in page


def test_within_the_window_the_job_page_asks_nothing_more(office, job):
    with time_machine.travel(at(job.service_date, 9, 30), tick=False):
        page = office.get(reverse("hauler_job", args=[job.pk])).content.decode()
        assert QUESTION not in page and 'name="early_reason"' not in page
        done = office.post(reverse("hauler_job_complete", args=[job.pk]), proof(serviced_at="2026-12-09T09:30"))
    assert done.status_code == 302
    assert completion_reason(job) == "Completed with proof"
    assert "Done before the window opened" not in office.get(done["Location"]).content.decode()


def test_a_time_typed_before_the_window_brings_the_question_back(office, job):
    with time_machine.travel(at(job.service_date, 9, 30), tick=False):
        response = office.post(reverse("hauler_job_complete", args=[job.pk]), proof(serviced_at="2026-12-09T06:15"))
    assert response.status_code == 400
    page = response.content.decode()
    assert QUESTION in page and opens_text(job.service_date) in page
    assert "Say why it was done early." in page
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED


# --- The driver's day ---------------------------------------------------------------------


@pytest.fixture
def planned():
    return planned_day()


def day_form(planned, **changes) -> dict:
    return {"photo": photo(), "weight_unit": "lb", "day": planned.day.isoformat(), **changes}


def test_from_the_cab_before_the_window_the_stop_asks_why(client, planned):
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]
    url = reverse("hauler_day_complete", args=[first.pk])
    with time_machine.travel(at(planned.day, 6, 40), tick=False):
        page = client.get(f"{reverse('hauler_day')}?day={planned.day.isoformat()}").content.decode()
        assert QUESTION in page and opens_text(planned.day) in page and 'id="early-reasons"' in page

        refused = client.post(url, day_form(planned))
        assert refused.status_code == 400
        assert refused.context["complete_form"].errors["early_reason"] == ["This field is required."]
        first.refresh_from_db()
        assert first.status == Pickup.Status.SCHEDULED

        done = client.post(url, day_form(planned, early_reason="The route ran ahead and the container was out"))
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.status == Pickup.Status.COMPLETED
    assert completion_reason(first) == (
        "Completed before the window opened: The route ran ahead and the container was out"
    )


def test_from_the_cab_within_the_window_completing_is_one_tap(client, planned):
    client.force_login(planned.driver)
    first = planned.pickups_of(planned.trucks[0])[0]
    with time_machine.travel(at(planned.day, 7, 0), tick=False):
        page = client.get(f"{reverse('hauler_day')}?day={planned.day.isoformat()}").content.decode()
        assert QUESTION not in page
        done = client.post(reverse("hauler_day_complete", args=[first.pk]), day_form(planned))
    assert done.status_code == 302
    assert completion_reason(first) == "Completed with proof"


def test_the_message_names_the_locations_zone_not_the_servers():
    job = factories.PickupFactory(
        location=factories.LocationFactory(zip_code="10001"), service_date=dt.date(2026, 7, 1)
    )  # New York, in summer
    from marketplace.services import early_message

    assert early_message(job) == "The window opens at 7:00 AM EDT on Wed, Jul 1."
    assert ZoneInfo(job.location.timezone) == ZoneInfo("America/New_York")


def test_before_the_window_could_not_service_says_when_instead_of_offering_a_form_that_is_refused(
    office, client, job, planned
):
    exception_form = 'name="reason"'
    with time_machine.travel(at(job.service_date, 5, 10), tick=False):
        page = office.get(reverse("hauler_job", args=[job.pk])).content.decode()
    assert exception_form not in page
    assert f"{opens_text(job.service_date)} If something on the customer's side stops you once it has" in page
    with time_machine.travel(at(job.service_date, 7, 0), tick=False):
        assert exception_form in office.get(reverse("hauler_job", args=[job.pk])).content.decode()

    client.force_login(planned.driver)
    day = f"{reverse('hauler_day')}?day={planned.day.isoformat()}"
    with time_machine.travel(at(planned.day, 6, 40), tick=False):
        assert exception_form not in client.get(day).content.decode()
    with time_machine.travel(at(planned.day, 7, 5), tick=False):
        assert exception_form in client.get(day).content.decode()
