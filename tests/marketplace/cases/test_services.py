"""marketplace/cases.py: reporting a problem with a visit, both sides' messages, and the evidence gathered."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import Conflict, Forbidden
from core.transitions import transition
from marketplace import cases
from marketplace.models import Case, CaseMessage, Offer, Pickup
from tests import factories
from tests.marketplace.cases.cast import done_visit, office_of, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def hauler(in_area_hauler):
    return in_area_hauler


@pytest.fixture
def dispatcher(hauler):
    return office_of(hauler, role="dispatcher")


@pytest.fixture
def visit(customer, hauler):
    return done_visit(customer=customer, hauler=hauler)


def report(pickup, by, **changes):
    arguments = {"problem": "not_emptied", "description": "Half the bags are still there.", "photos": (), **changes}
    return cases.open_problem(pickup=pickup, by=by, **arguments)


def test_a_report_opens_a_case_with_its_deadline_and_tells_the_hauler_and_staff(
    visit, customer_owner, dispatcher, staff_user, run_on_commit, settings
):
    settings.CASE_RESPONSE_HOURS = 24
    driver = office_of(visit.hauler, role="driver")  # the office answers for the job, not the driver
    before = timezone.now()
    case = run_on_commit(report, visit, customer_owner, photos=[photo("a.png"), photo("b.png")])

    assert (case.status, case.kind, case.problem) == (Case.Status.OPEN, Case.Kind.PROBLEM, "not_emptied")
    assert (case.customer, case.hauler, case.opened_by) == (visit.customer, visit.hauler, customer_owner)
    assert before + dt.timedelta(hours=24) <= case.respond_by <= timezone.now() + dt.timedelta(hours=24)
    first, second = case.messages.order_by("pk")
    assert (first.side, first.body, first.author) == ("business", "Half the bags are still there.", customer_owner)
    assert first.photo and second.photo and not second.body
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects[dispatcher.email].startswith("Problem reported: ")
    assert subjects[staff_user.email] == f"Case {case.pk}: the container was not fully emptied ({visit.customer.name})"
    assert customer_owner.email not in subjects  # the business knows: it is on the case's page
    assert driver.email not in subjects
    to_hauler = next(message.body for message in mail.outbox if message.to == [dispatcher.email])
    assert re.search(
        r"Give your side, with photos if you have them, by \w+day, \w+ \d+, \d+:\d\d [AP]M C[SD]T", to_hauler
    )


def test_the_same_problem_reported_again_while_open_adds_to_the_case(visit, customer_owner, dispatcher, run_on_commit):
    case = report(visit, customer_owner)
    mail.outbox.clear()
    again = run_on_commit(report, visit, customer_owner, description="And the lid is broken.", photos=[photo()])

    assert again == case and Case.objects.count() == 1
    assert list(case.messages.values_list("body", flat=True)) == [
        "Half the bags are still there.",
        "And the lid is broken.",
    ]
    assert [message.to for message in mail.outbox] == [[dispatcher.email]]  # the hauler reads the addition
    assert report(visit, customer_owner, description="", photos=()) == case  # saying nothing new adds nothing
    assert case.messages.count() == 2
    assert report(visit, customer_owner, problem="damage").pk != case.pk  # another problem is a case of its own


def test_a_settled_problem_reported_again_opens_a_new_case(visit, customer_owner):
    case = report(visit, customer_owner)
    transition(case, Case.Status.REJECTED, reason="The photo shows it emptied")
    assert report(visit, customer_owner).pk != case.pk
    assert Case.objects.filter(status="open").count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"problem": "late"}, "problem"),
        ({"problem": "other", "description": "  "}, "description"),
        ({"description": "x" * (cases.MAX_BODY + 1)}, "description"),
        ({"photos": [photo(f"{n}.png") for n in range(cases.MAX_PHOTOS + 1)]}, "photos"),
        ({"photos": [photo("fake.png", b"%PDF-1.4 not a photo")]}, "photos"),
        ({"photos": [photo("empty.png", b"")]}, "photos"),
    ],
)
def test_a_report_that_does_not_say_enough_is_refused_by_field(visit, customer_owner, changes, field):
    with pytest.raises(ValidationError) as refused:
        report(visit, customer_owner, **changes)
    assert field in refused.value.message_dict
    assert not Case.objects.exists() and not CaseMessage.objects.exists()


def test_something_else_needs_words_and_the_missed_problem_does_not(visit, customer_owner):
    assert report(visit, customer_owner, problem="other", description="The driver blocked our loading dock.")
    missed = report(visit, customer_owner, problem="missed", description="")
    assert missed.description == "" and missed.messages.get().body == "The pickup was missed."


def test_only_a_visit_that_happened_or_should_have_can_be_reported(customer, customer_owner, hauler, settings):
    today = timezone.localdate()
    upcoming = factories.PickupFactory(location=customer.locations.get(), hauler=hauler)
    with pytest.raises(Conflict, match="once the pickup's arrival window has ended"):
        report(upcoming, customer_owner)
    cancelled = factories.PickupFactory(location=upcoming.location, hauler=None, status=Pickup.Status.CANCELLED)
    with pytest.raises(Conflict, match="A cancelled pickup cannot be reported"):
        report(cancelled, customer_owner)
    # a visit still scheduled after its window: the hauler did not close it, and the business may say so
    overdue = factories.PickupFactory(location=upcoming.location, hauler=hauler, service_date=today - dt.timedelta(2))
    assert report(overdue, customer_owner, problem="missed").pickup == overdue
    old = done_visit(customer=customer, hauler=hauler, days_ago=settings.CASE_REPORT_DAYS + 1)
    with pytest.raises(Conflict, match=f"up to {settings.CASE_REPORT_DAYS} days after"):
        report(old, customer_owner)
    settings.CASE_REPORT_DAYS = 60
    assert report(old, customer_owner)
    assert Case.objects.count() == 2


def test_another_business_cannot_report_the_visit(visit):
    stranger = factories.CustomerMembershipFactory().user
    with pytest.raises(Forbidden):
        report(visit, stranger)
    assert not Case.objects.exists()


def test_the_haulers_first_message_is_its_answer_and_the_business_is_told(
    visit, customer_owner, dispatcher, run_on_commit
):
    case = report(visit, customer_owner)
    mail.outbox.clear()
    answer = run_on_commit(
        cases.add_message,
        case=case,
        side="hauler",
        body="Emptied at 9:10, see photo.",
        photo=photo(),
        by=dispatcher,
    )
    case.refresh_from_db()
    assert case.hauler_answered_at == answer.created_at and answer.photo
    assert [message.to for message in mail.outbox] == [[customer_owner.email]]
    assert "Emptied at 9:10, see photo." in mail.outbox[0].body

    cases.add_message(case=case, side="hauler", body="One more thing.", by=dispatcher)
    case.refresh_from_db()
    assert case.hauler_answered_at == answer.created_at  # the first answer's time stays


def test_a_drivers_or_another_haulers_message_is_refused(visit, customer_owner, hauler):
    case = report(visit, customer_owner)
    for person in (office_of(hauler, role="driver"), office_of(factories.HaulerFactory())):
        with pytest.raises(Forbidden):
            cases.add_message(case=case, side="hauler", body="Not mine to say", by=person)
    with pytest.raises(Forbidden):
        cases.add_message(case=case, side="business", body="Nor mine", by=factories.CustomerMembershipFactory().user)
    assert case.messages.count() == 1


def test_a_message_needs_words_or_a_photo_and_a_closed_case_takes_none(visit, customer_owner):
    case = report(visit, customer_owner)
    with pytest.raises(ValidationError) as refused:
        cases.add_message(case=case, side="business", body="  ", by=customer_owner)
    assert "body" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        cases.add_message(case=case, side="business", photo=photo("x.png", b"GIF89a"), by=customer_owner)
    assert "photo" in refused.value.message_dict
    transition(case, Case.Status.RESOLVED)
    with pytest.raises(Conflict, match="resolved"):
        cases.add_message(case=case, side="business", body="Thanks", by=customer_owner)
    assert case.messages.count() == 1


def test_staff_write_to_both_sides(visit, customer_owner, dispatcher, staff_user, run_on_commit):
    case = report(visit, customer_owner)
    mail.outbox.clear()
    run_on_commit(cases.add_message, case=case, side="staff", body="We are looking at the photos.", by=staff_user)
    assert sorted(message.to[0] for message in mail.outbox) == sorted([customer_owner.email, dispatcher.email])
    with pytest.raises(Conflict):
        cases.add_message(case=case, side="staff", body="Pretending", by=customer_owner)


def test_the_evidence_gathers_the_visits_history_offers_proof_and_messages(visit, customer_owner, hauler):
    Offer.objects.create(
        pickup=visit, hauler=hauler, status=Offer.Status.ACCEPTED, payout_cents=2_400, answer_by=timezone.now()
    )
    case = report(visit, customer_owner)

    found = cases.evidence(case=case)
    assert found.pickup == visit and found.proof == visit.proof and found.has_proof_photo
    assert found.weight_kg == visit.proof.weight_kg
    assert [offer.hauler for offer in found.offers] == [hauler]
    assert found.window == visit.window() and found.completed_at == visit.completed_at
    assert found.planned_arrival is None  # no route was planned in this test
    assert [message.body for message in found.messages] == ["Half the bags are still there."]
    assert [(change.from_status, change.to_status) for change in found.timeline] == [("scheduled", "completed")]


def test_each_side_lists_its_own_cases(visit, customer, customer_owner, hauler):
    mine = report(visit, customer_owner)
    other_business = factories.CustomerMembershipFactory()
    factories.LocationFactory(customer=other_business.customer)
    theirs = report(done_visit(customer=other_business.customer, hauler=factories.HaulerFactory()), other_business.user)
    assert list(cases.cases_for_customer(customer=customer)) == [mine]
    assert list(cases.cases_for_hauler(hauler=hauler)) == [mine]
    assert theirs not in cases.cases_for_hauler(hauler=hauler)
