"""The cases API: a business reports a problem (JSON, or multipart with photos), lists, reads and adds to its cases;
the hauler lists, reads and answers those about its visits; another tenant's case is a 404; the schema has them."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace import resolutions
from marketplace.models import Case, CaseMessage, Pickup
from tests import factories
from tests.marketplace.api.conftest import client_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(name="bin.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


@pytest.fixture
def hauler(db):
    return factories.HaulerFactory(name="Downtown Disposal", zips=["78701"])


@pytest.fixture
def hauler_api(hauler):
    return client_for(factories.HaulerMembershipFactory(hauler=hauler).user)


@pytest.fixture
def visit(customer, hauler):
    return factories.PickupFactory(
        customer=customer, location=customer.locations.get(), hauler=hauler, status=Pickup.Status.COMPLETED,
        service_date=timezone.localdate() - dt.timedelta(days=1), completed_at=timezone.now(),
    )  # fmt: skip


def report(api, visit, **fields):
    body = {"pickup": visit.pk, "problem": "not_emptied", "description": "Half full still", **fields}
    return api.post(reverse("api:cases"), body, format="multipart")


@pytest.mark.django_db
def test_a_business_reports_a_problem_with_photos_and_reads_it_back(api, visit, hauler):
    made = report(api, visit, photos=[photo("a.png"), photo("b.png")])
    assert made.status_code == 201, made.json()
    case = made.json()
    assert (case["problem"], case["status"], case["pickup"]) == ("not_emptied", "open", visit.pk)
    assert [m["side"] for m in case["messages"]] == ["business", "business"]
    assert case["messages"][0]["body"] == "Half full still" and case["messages"][1]["photo_url"].endswith("/")
    assert case["evidence"]["timeline"] == [] and case["evidence"]["window_start"]

    again = report(api, visit, description="And the lid is broken")  # the same problem, still open: added to it
    assert again.status_code == 200 and again.json()["id"] == case["id"]

    listed = api.get(reverse("api:cases")).json()
    assert [row["id"] for row in listed["results"]] == [case["id"]]
    read = api.get(reverse("api:case", args=[case["id"]])).json()
    assert len(read["messages"]) == 3


@pytest.mark.django_db
def test_a_report_is_checked_and_refused_in_words(api, visit, customer):
    wrong = api.post(reverse("api:cases"), {"pickup": visit.pk, "problem": "other"}, format="json")
    assert wrong.status_code == 400 and "description" in wrong.json()
    unknown = api.post(reverse("api:cases"), {"pickup": visit.pk, "problem": "aliens"}, format="json")
    assert unknown.status_code == 400 and "problem" in unknown.json()
    linked = api.post(reverse("api:cases"), {"pickup": visit.pk, "problem": "missed", "photos": ["x"]}, format="json")
    assert linked.json()["photos"] == ["Photos are files: send them as multipart/form-data."]
    future = factories.PickupFactory(customer=customer, location=customer.locations.get())  # scheduled, in 3 days
    early = api.post(reverse("api:cases"), {"pickup": future.pk, "problem": "missed"}, format="json")
    assert early.status_code == 409


@pytest.mark.django_db
def test_another_businesss_pickup_and_case_are_not_found(api, visit, other_customer, hauler):
    theirs = factories.PickupFactory(
        customer=other_customer, location=other_customer.locations.get(), hauler=hauler,
        status=Pickup.Status.COMPLETED, service_date=timezone.localdate(),
    )  # fmt: skip
    assert report(api, theirs).status_code == 404
    rival = client_for(other_customer.memberships.get().user)
    mine = report(api, visit).json()["id"]
    assert rival.get(reverse("api:case", args=[mine])).status_code == 404
    assert rival.post(reverse("api:case-messages", args=[mine]), {"body": "hi"}, format="json").status_code == 404
    assert rival.get(reverse("api:cases")).json()["results"] == []


@pytest.mark.django_db
def test_the_hauler_reads_and_answers_with_a_photo_and_a_settled_case_takes_no_more(api, hauler_api, visit, staff_user):
    case_id = report(api, visit).json()["id"]
    listed = hauler_api.get(reverse("api:hauler-cases")).json()["results"]
    assert [row["id"] for row in listed] == [case_id]
    assert hauler_api.get(reverse("api:hauler-case", args=[case_id])).json()["description"] == "Half full still"

    answer = hauler_api.post(
        reverse("api:hauler-case-messages", args=[case_id]), {"body": "It was empty", "photo": photo()},
        format="multipart",
    )  # fmt: skip
    assert answer.status_code == 201
    assert answer.json()["hauler_answered_at"] is not None
    assert [m["side"] for m in answer.json()["messages"]][-1] == "hauler"
    assert CaseMessage.objects.get(side="hauler").photo

    empty = hauler_api.post(reverse("api:hauler-case-messages", args=[case_id]), {"body": ""}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()

    resolutions.reject(case=Case.objects.get(pk=case_id), by=staff_user, reason="The photo shows an empty bin.")
    closed = api.post(reverse("api:case-messages", args=[case_id]), {"body": "But"}, format="json")
    assert closed.status_code == 409
    settled = api.get(reverse("api:case", args=[case_id])).json()
    assert (settled["status"], settled["resolution_note"]) == ("rejected", "The photo shows an empty bin.")


@pytest.mark.django_db
def test_another_haulers_case_is_not_found(api, visit):
    case_id = report(api, visit).json()["id"]
    stranger = client_for(factories.HaulerMembershipFactory().user)
    assert stranger.get(reverse("api:hauler-case", args=[case_id])).status_code == 404
    assert stranger.get(reverse("api:hauler-cases")).json()["results"] == []


@pytest.mark.django_db
def test_the_case_lists_take_a_bounded_number_of_queries(api, visit, customer, django_assert_max_num_queries):
    for problem in ("not_emptied", "damage", "wrong_charge"):
        report(api, visit, problem=problem)
    with django_assert_max_num_queries(6):
        assert len(api.get(reverse("api:cases")).json()["results"]) == 3
