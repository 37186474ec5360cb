"""Closing a job: proof of service, or the reason it could not be done."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.errors import Conflict, NotFound
from marketplace import reliability, services
from marketplace.models import Pickup, ServiceProof
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(content=PNG, name="bins.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture
def job(location, in_area_hauler):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=in_area_hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=1, service_date=timezone.localdate(), status=Pickup.Status.SCHEDULED,
        price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


@pytest.mark.django_db
def test_completing_records_the_proof_and_tells_the_customer(
    job, in_area_hauler, customer_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(factories.in_window(job)):
        services.complete_pickup(
            pickup_id=job.pk, hauler=in_area_hauler, photo=photo(), weight=Decimal("220"), weight_unit="lb",
            notes="Gate code worked",
        )  # fmt: skip
    job.refresh_from_db()
    assert job.status == Pickup.Status.COMPLETED and job.completed_at
    proof = job.proof
    assert proof.weight_kg == Decimal("99.8")  # 220 lb
    assert proof.photo.read().startswith(b"\x89PNG")
    assert [m.subject for m in mail.outbox if customer_owner.email in m.to] == [
        f"Done: your pickup on {job.service_date:%a, %b %-d}"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"photo": photo(b"MZ\x90\x00" + b"\x00" * 64, "bins.png")}, "photo"),  # an executable named .png
        ({"photo": photo(b"%PDF-1.4 ...", "bins.png")}, "photo"),  # a PDF is not a photo
        ({"photo": photo(b"", "bins.png")}, "photo"),
        ({"weight": Decimal("-1")}, "weight"),
        ({"weight": Decimal("60000")}, "weight"),
        ({"weight_unit": "stone", "weight": Decimal("3")}, "weight_unit"),
        ({"serviced_at": timezone.now() + dt.timedelta(hours=2)}, "serviced_at"),
    ],
)
def test_bad_proof_is_refused_and_nothing_changes(job, in_area_hauler, kwargs, field):
    with pytest.raises(ValidationError) as raised:
        services.complete_pickup(pickup_id=job.pk, hauler=in_area_hauler, **{"photo": photo(), **kwargs})
    assert field in raised.value.message_dict
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED
    assert not ServiceProof.objects.exists()


@pytest.mark.django_db
def test_an_oversized_photo_is_refused(job, in_area_hauler):
    big = photo(PNG + b"\x00" * (10 * 1024 * 1024))
    with pytest.raises(ValidationError, match="limit is 10 MB"):
        services.complete_pickup(pickup_id=job.pk, hauler=in_area_hauler, photo=big)


@pytest.mark.django_db
def test_only_the_holding_hauler_closes_a_scheduled_job(job, in_area_hauler):
    other = factories.HaulerFactory()
    with pytest.raises(NotFound):
        services.complete_pickup(pickup_id=job.pk, hauler=other, photo=photo())
    with time_machine.travel(factories.in_window(job)):  # within the window: no reason asked
        services.complete_pickup(pickup_id=job.pk, hauler=in_area_hauler, photo=photo())
    with pytest.raises(Conflict):
        services.complete_pickup(pickup_id=job.pk, hauler=in_area_hauler, photo=photo())
    with pytest.raises(Conflict):
        services.report_exception(pickup_id=job.pk, hauler=in_area_hauler, reason="blocked")
    assert ServiceProof.objects.count() == 1


@pytest.mark.django_db
def test_could_not_service_tells_the_customer_why_and_does_not_cost_the_hauler(
    job, in_area_hauler, customer_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(factories.in_window(job)):
        services.report_exception(pickup_id=job.pk, hauler=in_area_hauler, reason="blocked", notes="Car on the pad")
    job.refresh_from_db()
    assert (job.status, job.exception_reason, job.exception_notes) == (
        Pickup.Status.MISSED,
        "blocked",
        "Car on the pad",
    )
    message = next(m for m in mail.outbox if customer_owner.email in m.to)
    assert "container blocked" in message.subject
    assert "Car on the pad" in message.body
    assert reliability.update_reliability(hauler_id=in_area_hauler.pk) == Decimal("0.900")


@pytest.mark.django_db
def test_could_not_service_waits_for_the_window(job, in_area_hauler):
    with (
        time_machine.travel(factories.in_window(job) - dt.timedelta(hours=3)),
        pytest.raises(Conflict, match="release"),
    ):
        services.report_exception(pickup_id=job.pk, hauler=in_area_hauler, reason="not_out")
    job.refresh_from_db()
    assert job.status == Pickup.Status.SCHEDULED


@pytest.mark.django_db
def test_a_bad_exception_reason_is_refused(job, in_area_hauler):
    with pytest.raises(ValidationError) as raised:
        services.report_exception(pickup_id=job.pk, hauler=in_area_hauler, reason="lazy")
    assert "reason" in raised.value.message_dict
