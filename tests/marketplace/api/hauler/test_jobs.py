"""Jobs through the hauler API: list for a day or a route, read one, complete it with proof, report an exception."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.models import ExceptionReason, Pickup, ServiceProof
from tests import factories
from tests.factories import in_window
from tests.marketplace.api.conftest import in_days

URL = "/api/v1/hauler/jobs/"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def photo(content: bytes, name: str = "photo.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def today_job(hauler, make_jobs):
    """A job the hauler holds today, with the clock at 9 AM there: the proof can say it was done now, within the
    window, so no reason for an early completion is asked."""
    job = make_jobs(hauler=hauler, days=0)[0]
    with time_machine.travel(in_window(job)):
        yield job


def complete(client, job, **fields):
    return client.post(f"{URL}{job.pk}/complete/", fields, format="multipart")


# --- Listing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_shows_the_customer_the_address_the_access_notes_and_the_contact(
    hauler_api, hauler, customer, location, make_jobs
):
    customer.contact_name, customer.contact_phone = "Maria Lopez", "512-555-0199"
    customer.save()
    location.access_notes = "Gate code 4321; bins behind the kitchen"
    location.save()
    job = make_jobs(hauler=hauler)[0]

    listed = hauler_api.get(URL).json()["results"][0]
    one = hauler_api.get(f"{URL}{job.pk}/").json()

    expected = {
        "id": job.pk,
        "status": "scheduled",
        "service_date": in_days(3).isoformat(),
        "window_start": "07:00:00",
        "window_end": "17:00:00",
        "business": customer.name,
        "location": {
            "name": location.name,
            "street": location.street,
            "city": "Austin",
            "state": "TX",
            "zip_code": "78701",
            "latitude": float(location.latitude),
            "longitude": float(location.longitude),
            "timezone": "America/Chicago",
            "access_notes": "Gate code 4321; bins behind the kitchen",
        },
        "contact": {"name": "Maria Lopez", "phone": "512-555-0199"},
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 1,
        "payout_cents": 8_500,
        "currency": "usd",
        "truck": None,
        "completed_at": None,
        "exception": None,
    }
    assert listed == expected
    assert one == {**expected, "proof": None}


@pytest.mark.django_db
def test_without_a_pickup_contact_the_business_phone_is_given(hauler_api, hauler, customer, make_jobs):
    customer.phone = "512-555-0100"
    customer.save()
    job = make_jobs(hauler=hauler)[0]
    assert hauler_api.get(f"{URL}{job.pk}/").json()["contact"] == {"name": "", "phone": "512-555-0100"}


@pytest.mark.django_db
def test_a_hauler_lists_only_the_jobs_it_holds_by_date(hauler_api, hauler, rival, make_jobs, make_pickups, customer):
    later = make_jobs(hauler=hauler, days=9)[0]
    sooner = make_jobs(hauler=hauler, days=2)[0]
    make_jobs(hauler=rival, days=1)
    make_pickups(customer=customer, days=1, status=Pickup.Status.OFFERED)  # offered, perhaps to us: not a job yet
    make_jobs(hauler=hauler, days=5, status=Pickup.Status.COMPLETED)

    body = hauler_api.get(URL).json()

    assert [row["id"] for row in body["results"]] == [sooner.pk, later.pk]
    assert "proof" not in body["results"][0]


@pytest.fixture
def route(customer, hauler, make_jobs):
    """Jobs on two days at two ZIPs: 78702 on day 2, 78701 on day 2, 78701 on day 4 and 78702 on day 6."""
    east = factories.LocationFactory(customer=customer, zip_code="78702")
    downtown = customer.locations.get(zip_code="78701")
    return {
        "2-east": make_jobs(hauler=hauler, days=2, location=east)[0],
        "2-downtown": make_jobs(hauler=hauler, days=2, location=downtown)[0],
        "4-downtown": make_jobs(hauler=hauler, days=4, location=downtown)[0],
        "6-east": make_jobs(hauler=hauler, days=6, location=east)[0],
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["2-downtown", "2-east", "4-downtown", "6-east"]),
        ("order=date", ["2-downtown", "2-east", "4-downtown", "6-east"]),
        ("order=zip", ["2-downtown", "4-downtown", "2-east", "6-east"]),
        ("date_from={3}", ["4-downtown", "6-east"]),
        ("date_to={2}", ["2-downtown", "2-east"]),
        ("date_from={2}&date_to={2}&order=zip", ["2-downtown", "2-east"]),
        ("date_from={4}&date_to={6}&order=zip", ["4-downtown", "6-east"]),
        ("status=completed", []),
    ],
)
def test_jobs_filter_by_date_and_order_by_zip_for_a_route(hauler_api, route, query, expected):
    query = query.format(*(in_days(n).isoformat() for n in range(10)))
    response = hauler_api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [route[name].pk for name in expected]


@pytest.mark.django_db
def test_finished_jobs_are_listed_by_status(hauler_api, hauler, make_jobs):
    done = make_jobs(hauler=hauler, days=1, status=Pickup.Status.COMPLETED)[0]
    missed = make_jobs(hauler=hauler, days=2, status=Pickup.Status.MISSED)[0]
    make_jobs(hauler=hauler, days=3)
    response = hauler_api.get(URL, {"status": "completed,missed"})
    assert [row["id"] for row in response.json()["results"]] == [done.pk, missed.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("order=distance", "order"),
        ("status=done", "status"),
        ("date_from=tomorrow", "date_from"),
        ("date_to=2026-02-30", "date_to"),
        ("date_from=2030-01-02&date_to=2030-01-01", "date_to"),
    ],
)
def test_a_bad_job_filter_is_a_field_error(hauler_api, query, field):
    response = hauler_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.django_db
def test_jobs_are_paginated_like_the_business_lists(hauler_api, hauler, make_jobs):
    make_jobs(hauler=hauler, count=45)
    first = hauler_api.get(URL).json()
    assert (len(first["results"]), first["previous"]) == (20, None)
    third = hauler_api.get(hauler_api.get(first["next"]).json()["next"]).json()
    assert (len(third["results"]), third["next"]) == (5, None)
    assert len(hauler_api.get(URL, {"page_size": 1000}).json()["results"]) == 45
    for order in ("date", "zip"):  # either order, by cursor: every job once
        seen, page = [], hauler_api.get(URL, {"order": order, "page_size": 4}).json()
        while True:
            seen += [row["id"] for row in page["results"]]
            if page["next"] is None:
                break
            page = hauler_api.get(page["next"]).json()
        assert sorted(seen) == sorted(set(seen)) and len(seen) == 45


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [5, 50])
@pytest.mark.parametrize("order", ["date", "zip"])
def test_the_job_list_costs_the_same_queries_whatever_the_page_size(
    hauler_api, hauler, make_jobs, page_size, order, django_assert_max_num_queries
):
    make_jobs(hauler=hauler, count=60)
    # token, membership, hauler, count, page (locations and customers joined)
    with django_assert_max_num_queries(5):
        response = hauler_api.get(URL, {"page_size": page_size, "order": order})
    assert len(response.json()["results"]) == page_size


# --- One job --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["detail", "complete", "exception"])
def test_another_haulers_job_is_404_and_untouched(hauler_api, rival, make_jobs, media, tiny_png, action):
    theirs = make_jobs(hauler=rival, days=0)[0]
    if action == "detail":
        response = hauler_api.get(f"{URL}{theirs.pk}/")
    elif action == "complete":
        response = complete(hauler_api, theirs, photo=photo(tiny_png))
    else:
        response = hauler_api.post(f"{URL}{theirs.pk}/exception/", {"reason": "blocked"}, format="json")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such job.", "code": "not_found"}
    theirs.refresh_from_db()
    assert theirs.status == Pickup.Status.SCHEDULED
    assert not ServiceProof.objects.exists()


@pytest.mark.django_db
def test_a_pickup_only_offered_to_you_is_not_a_job_yet(hauler_api, book):
    pickup = book()
    assert pickup.offers.get().status == "pending"
    assert hauler_api.get(f"{URL}{pickup.pk}/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("job_id", [999_999, 2**70])
def test_an_unknown_job_is_404(hauler_api, job_id):
    assert hauler_api.get(f"{URL}{job_id}/").status_code == 404
    assert hauler_api.post(f"{URL}{job_id}/exception/", {"reason": "blocked"}, format="json").status_code == 404


# --- Completing -----------------------------------------------------------------------


@pytest.mark.django_db
def test_completing_with_a_photo_records_the_proof(hauler_api, hauler_owner, today_job, media, tiny_png):
    serviced_at = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)

    response = complete(
        hauler_api,
        today_job,
        photo=photo(tiny_png),
        weight="312.5",
        weight_unit="kg",
        notes="  Lid was broken  ",
        serviced_at=serviced_at.isoformat(),
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "completed"
    assert body["completed_at"] is not None
    assert body["proof"] == {
        "weight_kg": 312.5,
        "notes": "Lid was broken",
        "serviced_at": body["proof"]["serviced_at"],
        "recorded_at": body["proof"]["recorded_at"],
    }
    proof = ServiceProof.objects.get(pickup=today_job)
    assert (proof.weight_kg, proof.serviced_at, proof.recorded_by) == (Decimal("312.5"), serviced_at, hauler_owner)
    with proof.photo.open("rb") as stored:
        assert stored.read() == tiny_png
    today_job.refresh_from_db()
    assert today_job.status == Pickup.Status.COMPLETED
    assert hauler_api.get(f"{URL}{today_job.pk}/").json()["proof"] == body["proof"]


@pytest.mark.django_db
def test_a_photo_alone_is_enough(hauler_api, today_job, media, tiny_png):
    response = complete(hauler_api, today_job, photo=photo(tiny_png, name="IMG_0001.jpeg", content_type="image/jpeg"))
    assert response.status_code == 200, response.json()
    assert response.json()["proof"]["weight_kg"] is None


@pytest.mark.django_db
def test_a_weight_in_pounds_is_stored_in_kilograms(hauler_api, today_job, media, tiny_png):
    response = complete(hauler_api, today_job, photo=photo(tiny_png), weight="100", weight_unit="lb")
    assert response.status_code == 200, response.json()
    assert response.json()["proof"]["weight_kg"] == 45.4
    assert ServiceProof.objects.get().weight_kg == Decimal("45.4")


@pytest.mark.django_db
def test_completing_twice_is_409_and_keeps_the_first_proof(hauler_api, today_job, media, tiny_png):
    assert complete(hauler_api, today_job, photo=photo(tiny_png), weight="10").status_code == 200
    again = complete(hauler_api, today_job, photo=photo(tiny_png), weight="99")
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"
    assert ServiceProof.objects.get().weight_kg == Decimal("10.0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "photo"),
        ({"photo": ""}, "photo"),
        ({"photo": "not a file"}, "photo"),
        ({"photo": ("empty.png", b"")}, "photo"),
        ({"photo": ("photo.png", ELF)}, "photo"),  # an executable, renamed
        ({"photo": ("photo.png", b"%PDF-1.7 a document")}, "photo"),
        ({"weight": "-1"}, "weight"),
        ({"weight": "heavy"}, "weight"),
        ({"weight": "NaN"}, "weight"),
        ({"weight": "1e20"}, "weight"),
        ({"weight": "50001"}, "weight"),  # within the field, but over the most a truck carries
        ({"weight": "200000", "weight_unit": "lb"}, "weight"),
        ({"weight": "10", "weight_unit": "stone"}, "weight_unit"),
        ({"notes": "x" * 501}, "notes"),
        ({"serviced_at": "yesterday-ish"}, "serviced_at"),
        ({"serviced_at": "2099-01-01T12:00:00Z"}, "serviced_at"),
        ({"serviced_at": "2020-01-01T12:00:00Z"}, "serviced_at"),
    ],
)
def test_bad_proof_is_a_field_error_and_the_job_stays_scheduled(hauler_api, today_job, media, tiny_png, fields, field):
    body = {"photo": photo(tiny_png), **fields}
    if isinstance(body.get("photo"), tuple):
        body["photo"] = photo(body["photo"][1], name=body["photo"][0])
    if not fields:
        body = {}

    response = complete(hauler_api, today_job, **body)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)
    today_job.refresh_from_db()
    assert today_job.status == Pickup.Status.SCHEDULED
    assert not ServiceProof.objects.exists()


@pytest.mark.django_db
def test_a_photo_over_10_mb_is_refused(hauler_api, today_job, media):
    big = photo(b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024))
    response = complete(hauler_api, today_job, photo=big)
    assert response.status_code == 400
    assert "limit is 10 MB" in response.json()["photo"][0]


@pytest.mark.django_db
def test_completion_as_json_is_415(hauler_api, today_job):
    response = hauler_api.post(f"{URL}{today_job.pk}/complete/", {"weight": 10}, format="json")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


# --- Exceptions -----------------------------------------------------------------------


@pytest.mark.django_db
def test_reporting_an_exception_marks_the_job_missed_with_the_reason(hauler_api, hauler_owner, hauler, make_jobs):
    job = make_jobs(hauler=hauler)[0]
    with time_machine.travel(in_window(job) - dt.timedelta(days=1)):  # before the window: give it back instead
        early = hauler_api.post(f"{URL}{job.pk}/exception/", {"reason": "blocked"}, format="json")
    assert early.status_code == 409

    traveller = time_machine.travel(in_window(job))
    traveller.start()
    response = hauler_api.post(
        f"{URL}{job.pk}/exception/", {"reason": "blocked", "notes": " A van parked in front "}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "missed"
    assert body["exception"] == {"reason": "blocked", "notes": "A van parked in front"}
    job.refresh_from_db()
    assert (job.status, job.exception_reason) == (Pickup.Status.MISSED, ExceptionReason.BLOCKED)
    assert [row["id"] for row in hauler_api.get(URL, {"status": "missed"}).json()["results"]] == [job.pk]

    again = hauler_api.post(f"{URL}{job.pk}/exception/", {"reason": "not_out"}, format="json")
    assert again.status_code == 409
    traveller.stop()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "lazy"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": None}, "reason"),
        ({"reason": ["blocked"]}, "reason"),
        ({"reason": "blocked", "notes": "x" * 501}, "notes"),
        ({"reason": "blocked", "notes": {"a": 1}}, "notes"),
    ],
)
def test_a_bad_exception_is_a_field_error(hauler_api, hauler, make_jobs, body, field):
    job = make_jobs(hauler=hauler)[0]
    response = hauler_api.post(f"{URL}{job.pk}/exception/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED


@pytest.mark.django_db
def test_an_exception_that_is_not_json_is_415(hauler_api, hauler, make_jobs):
    job = make_jobs(hauler=hauler)[0]
    response = hauler_api.post(f"{URL}{job.pk}/exception/", {"reason": "blocked"})  # a form
    assert response.status_code == 415
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED
