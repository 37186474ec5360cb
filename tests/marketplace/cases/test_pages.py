"""The case pages: reporting a problem from a pickup, the business's and the hauler's case pages, their photos."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from marketplace import cases
from marketplace.models import Case, CaseMessage, Offer
from marketplace.web.case_pages import status_sentence
from tests import factories
from tests.marketplace.cases.cast import PNG, done_visit, office_of, photo
from tests.marketplace.web.business.test_arrival import PICKUP_MAX_QUERIES

pytestmark = pytest.mark.django_db
# The session, the user (with its seat and organisation), the case (joined to its visit, place, haulers and
# make-up), its messages, the visit's offers, proof, timeline and route stop, the nav's other-seat check.
CASE_MAX_QUERIES = 10
# The session, the user (with its seat and organisation), the cases joined to what their sentences say; the
# hauler's list reads those waiting for it and the rest.
LIST_MAX_QUERIES = 6


@pytest.fixture
def hauler(in_area_hauler):
    return in_area_hauler


@pytest.fixture
def dispatcher(hauler):
    return office_of(hauler, role="dispatcher")


@pytest.fixture
def visit(customer, hauler):
    return done_visit(customer=customer, hauler=hauler)


@pytest.fixture
def case(visit, customer_owner):
    return cases.open_problem(
        pickup=visit, problem="damage", description="The gate is bent.", photos=[photo()], by=customer_owner
    )


def test_a_done_visits_page_offers_to_report_a_problem_and_an_upcoming_one_does_not(
    owner_client, visit, hauler, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PICKUP_MAX_QUERIES):
        page = owner_client.get(reverse("pickup_detail", args=[visit.pk])).content.decode()
    assert "Something wrong?" in page and reverse("case_report", args=[visit.pk]) in page

    upcoming = factories.PickupFactory(location=visit.location, hauler=hauler)
    page = owner_client.get(reverse("pickup_detail", args=[upcoming.pk])).content.decode()
    assert "Something wrong?" not in page and reverse("case_report", args=[upcoming.pk]) not in page


def test_reporting_a_problem_on_the_website(owner_client, visit, dispatcher, django_capture_on_commit_callbacks):
    form = owner_client.get(reverse("case_report", args=[visit.pk]))
    assert form.status_code == 200 and "What went wrong?" in form.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("case_report", args=[visit.pk]),
            {"problem": "not_emptied", "description": "Bags left on the ground.", "photos": [photo("a.png"), photo()]},
        )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("case_detail", args=[case.pk])
    assert case.messages.exclude(photo="").count() == 2
    assert [message.to for message in mail.outbox if message.subject.startswith("Problem")] == [[dispatcher.email]]

    page = owner_client.get(response["Location"]).content.decode()
    assert "Reported. We&#x27;ve asked Downtown Disposal for its side" in page
    assert "Open. We have asked Downtown Disposal for its side. HaulMatch staff will decide by " in page
    assert "Bags left on the ground." in page and "42.5 kg" in page
    # the deadline is said in the place's zone (Austin), not the server's
    assert " CST" in page or " CDT" in page
    pickup_page = owner_client.get(reverse("pickup_detail", args=[visit.pk])).content.decode()
    assert reverse("case_detail", args=[case.pk]) in pickup_page


def test_a_report_missing_its_words_is_a_400_with_the_fields_error(owner_client, visit):
    response = owner_client.post(reverse("case_report", args=[visit.pk]), {"problem": "other", "description": ""})
    assert response.status_code == 400
    assert "Tell us what went wrong." in response.content.decode()
    response = owner_client.post(
        reverse("case_report", args=[visit.pk]), {"problem": "damage", "photos": [photo("x.png", b"not an image")]}
    )
    assert response.status_code == 400 and "That file is not a JPEG, PNG" in response.content.decode()
    assert not Case.objects.exists()


def test_a_visit_that_cannot_be_reported_says_why(owner_client, visit, hauler):
    upcoming = factories.PickupFactory(location=visit.location, hauler=hauler)
    page = owner_client.get(reverse("case_report", args=[upcoming.pk]))
    assert page.status_code == 200 and "once the pickup&#x27;s arrival window has ended" in page.content.decode()
    response = owner_client.post(reverse("case_report", args=[upcoming.pk]), {"problem": "missed"})
    assert response.status_code == 409 and not Case.objects.exists()
    assert "once the pickup&#x27;s arrival window has ended" in response.content.decode()


def test_the_business_adds_to_its_case_and_its_page_is_pinned(
    owner_client, case, dispatcher, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("case_detail", args=[case.pk]), {"body": "Photo of the gate.", "photo": photo()}
        )
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [[dispatcher.email]]
    with django_assert_max_num_queries(CASE_MAX_QUERIES):
        page = owner_client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert page.count('class="case-photo"') == 2 and "Photo of the gate." in page
    another = done_visit(customer=case.customer, hauler=factories.HaulerFactory(name="Second Hauler"), days_ago=3)
    cases.open_problem(pickup=another, problem="missed", description="", by=case.opened_by)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):  # however many cases
        listed = owner_client.get(reverse("case_list")).content.decode()
    assert "The pickup was missed" in listed and "Second Hauler" in listed
    assert "Something was damaged" in listed and reverse("case_detail", args=[case.pk]) in listed


def test_the_hauler_answers_in_its_portal(
    client, case, visit, hauler, dispatcher, customer_owner, django_assert_max_num_queries
):
    older = done_visit(customer=visit.customer, hauler=hauler, days_ago=5)
    answered = cases.open_problem(pickup=older, problem="missed", description="", by=customer_owner)
    cases.add_message(case=answered, side="hauler", body="We came at 8.", by=dispatcher)
    client.force_login(dispatcher)
    with django_assert_max_num_queries(LIST_MAX_QUERIES):
        listed = client.get(reverse("hauler_cases")).content.decode()
    assert "1 problem report about your jobs is waiting for your side." in listed
    with django_assert_max_num_queries(CASE_MAX_QUERIES):
        page = client.get(reverse("hauler_case", args=[case.pk])).content.decode()
    assert "The gate is bent." in page and "Give your side" in page and "We are waiting for your side" in page

    response = client.post(reverse("hauler_case", args=[case.pk]), {"body": "The gate was bent before we came."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.hauler_answered_at is not None
    page = client.get(reverse("hauler_case", args=[case.pk])).content.decode()
    assert "You have answered." in page and "Add to your answer" in page
    assert "Downtown Disposal has answered." in _page_as(client, customer_owner, "case_detail", case.pk)


def test_an_empty_answer_is_a_400(client, case, dispatcher):
    client.force_login(dispatcher)
    response = client.post(reverse("hauler_case", args=[case.pk]), {"body": " "})
    assert response.status_code == 400 and "Write a message or attach a photo." in response.content.decode()


def test_a_settled_case_takes_no_more_messages(owner_client, case):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.REJECTED, resolution_note="The photo shows it fine")
    page = owner_client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "without a change: The photo shows it fine" in page and "Add to your report" not in page
    response = owner_client.post(reverse("case_detail", args=[case.pk]), {"body": "But..."})
    assert response.status_code == 409


def _page_as(client, user, name, *args):
    client.force_login(user)
    return client.get(reverse(name, args=args)).content.decode()


def test_another_business_or_hauler_gets_404(client, case, hauler):
    message = case.messages.get()
    stranger = factories.CustomerMembershipFactory().user
    rival_office = office_of(factories.HaulerFactory(name="Rival Hauling"))
    for user, names in ((stranger, ["case_detail"]), (rival_office, ["hauler_case"])):
        client.force_login(user)
        for name in names:
            assert client.get(reverse(name, args=[case.pk])).status_code == 404
            assert client.post(reverse(name, args=[case.pk]), {"body": "Mine now"}).status_code == 404
        assert client.get(reverse("case_photo", args=[case.pk, message.pk])).status_code == 404
        assert client.get(reverse("case_proof_photo", args=[case.pk])).status_code == 404
        report = client.post(reverse("case_report", args=[case.pickup_id]), {"problem": "missed"})
        assert report.status_code in (403, 404)
    assert CaseMessage.objects.count() == 1


def test_the_photos_open_for_the_business_the_haulers_office_and_staff_only(
    client, case, customer_owner, dispatcher, hauler, staff_user
):
    message = case.messages.get()
    urls = [reverse("case_photo", args=[case.pk, message.pk]), reverse("case_proof_photo", args=[case.pk])]
    for user in (customer_owner, dispatcher, staff_user):
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200 and response["Content-Type"] == "image/png"
            assert b"".join(response.streaming_content) == PNG
    client.force_login(office_of(hauler, role="driver"))  # the office's work, not the driver's
    assert [client.get(url).status_code for url in urls] == [404, 404]
    assert client.get(reverse("hauler_case", args=[case.pk])).status_code == 403
    client.logout()
    assert all(client.get(url).status_code == 302 for url in urls)


def test_the_evidence_names_no_hauler_but_the_cases_own(client, case, visit, hauler, customer_owner, dispatcher):
    passed = factories.HaulerFactory(name="Passing Hauling")
    for who, status in ((passed, Offer.Status.DECLINED), (hauler, Offer.Status.ACCEPTED)):
        Offer.objects.create(pickup=visit, hauler=who, status=status, payout_cents=2_400, answer_by=timezone.now())
    pages = [
        _page_as(client, customer_owner, "case_detail", case.pk),
        _page_as(client, dispatcher, "hauler_case", case.pk),
    ]
    for said in pages:
        assert "Another hauler" in said and "Declined" in said and "Accepted" in said and "Downtown Disposal" in said
        assert "Passing Hauling" not in said


def test_each_status_reads_as_a_sentence(case):
    assert status_sentence(case, side="business").startswith("Open. We have asked Downtown Disposal for its side.")
    assert status_sentence(case, side="hauler").startswith("Open. We are waiting for your side of it.")
    case.status, case.resolved_at, case.refund_cents, case.credit_cents = "resolved", timezone.now(), 1_250, 500
    assert ": a refund of $12.50 and a credit of $5.00." in status_sentence(case, side="business")
    case.kind = "dispute"
    case.status = "open"
    assert "Your bank is reviewing the card dispute" in status_sentence(case, side="business")
