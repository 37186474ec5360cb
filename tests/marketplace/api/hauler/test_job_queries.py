"""A job is read in one query, its proof joined: the job's pages and the accept's answer show it at that cost."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import NotFound
from marketplace import selectors
from marketplace.models import Pickup, ServiceProof
from tests import factories

URL = "/api/v1/hauler/jobs/"


@pytest.mark.django_db
@pytest.mark.parametrize("done", [False, True])
def test_a_job_is_one_query_with_its_proof_or_none(hauler, make_jobs, done, django_assert_num_queries):
    job = make_jobs(hauler=hauler, status=Pickup.Status.COMPLETED if done else Pickup.Status.SCHEDULED)[0]
    if done:
        ServiceProof.objects.create(
            pickup=job, photo="proofs/x.png", notes="Behind the kitchen", serviced_at=timezone.now()
        )

    with django_assert_num_queries(1):
        read = selectors.job_of(hauler=hauler, pickup_id=job.pk)
        seen = (read.location.name, read.customer.name, getattr(read, "proof", None))

    assert read == job
    assert (seen[2].notes if done else seen[2]) == ("Behind the kitchen" if done else None)


@pytest.mark.django_db
def test_another_haulers_job_is_not_found(hauler, make_jobs):
    job = make_jobs(hauler=hauler)[0]
    with pytest.raises(NotFound):
        selectors.job_of(hauler=factories.HaulerFactory(), pickup_id=job.pk)


@pytest.mark.django_db
def test_the_jobs_answer_shows_its_proof(hauler_api, hauler, make_jobs):
    job = make_jobs(hauler=hauler, status=Pickup.Status.COMPLETED)[0]
    ServiceProof.objects.create(
        pickup=job, photo="proofs/x.png", weight_kg=120, serviced_at=timezone.now() - dt.timedelta(hours=1)
    )

    answer = hauler_api.get(f"{URL}{job.pk}/").json()

    assert answer["proof"]["weight_kg"] == 120.0
