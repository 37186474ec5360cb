"""Offers (decide without knowing the customer), jobs (then see who and where), proof, exceptions, earnings."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import StatusChange
from marketplace import scheduling
from marketplace.models import ExceptionReason, Offer, Pickup, ServicePlan, ServiceProof
from marketplace.web.hauler.views import time_left
from tests import factories

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
CHICAGO = "America/Chicago"  # the cast's depot and locations are in Austin
# The user with both seats and the hauler (the session comes from the cache), and the list; the jobs page also
# counts the jobs after this week. The same for 3 rows or 15.
OFFERS_MAX_QUERIES = 2
JOBS_QUERIES = 3


@pytest.fixture
def member(in_area_hauler):
    return factories.HaulerMembershipFactory(hauler=in_area_hauler).user


@pytest.fixture
def hauler_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def business(customer, location):
    customer.name = "Congress Avenue Café"
    customer.contact_name, customer.contact_phone = "Ana Reyes", "512-555-0101"
    customer.save()
    location.street, location.access_notes = "600 Congress Ave", "Gate code 4521; bins behind the loading dock."
    location.save()
    return customer


def local_today():
    return scheduling.local_today(CHICAGO)


def make_pickup(location, *, hauler=None, status=Pickup.Status.OFFERED, day=None, payout_cents=8_500):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler, waste_stream="trash",
        container="dumpster_4yd", quantity=2, service_date=day or local_today() + dt.timedelta(days=3),
        status=status, price_cents=payout_cents + 11_500, payout_cents=payout_cents,
    )  # fmt: skip


def make_offer(pickup, hauler, *, answer_in=dt.timedelta(hours=1, minutes=12, seconds=30), payout_cents=12_500):
    return Offer.objects.create(
        pickup=pickup, hauler=hauler, payout_cents=payout_cents, answer_by=timezone.now() + answer_in
    )


# --- Offers -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inbox_shows_what_to_decide_on_but_not_who_the_customer_is(
    hauler_client, business, location, in_area_hauler
):
    pickup = make_pickup(location)
    make_offer(pickup, in_area_hauler)
    page = hauler_client.get(reverse("hauler_offers")).content.decode()
    assert "78701 · Austin, TX" in page
    assert "Trash: 2 \u00d7 4-yard dumpster" in page
    assert pickup.service_date.strftime("%A, %b %-d") in page
    assert "7:00 AM\u20135:00 PM" in page
    assert "$125.00" in page
    assert "1 h 12 min left" in page
    for secret in ("Congress Avenue Café", "600 Congress Ave", location.name, "Ana Reyes", "512-555-0101", "Gate code"):
        assert secret not in page


@pytest.mark.django_db
def test_an_offer_of_a_recurring_plans_first_visit_says_so(hauler_client, location, in_area_hauler):
    pickup = make_pickup(location)
    plan = ServicePlan.objects.create(
        customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=2,
        frequency="weekly", weekdays=0b1, start_date=pickup.service_date, price_cents=20_000, payout_cents=12_500,
    )  # fmt: skip
    Pickup.objects.filter(pk=pickup.pk).update(plan=plan, plan_date=pickup.service_date)
    make_offer(pickup, in_area_hauler)
    page = hauler_client.get(reverse("hauler_offers")).content.decode()
    assert "$125.00 per visit" in page
    assert "Every week: accepting this visit takes the plan" in page


@pytest.mark.django_db
def test_the_inbox_polls_a_fragment_that_is_just_the_list(hauler_client, location, in_area_hauler):
    make_offer(make_pickup(location), in_area_hauler)
    page = hauler_client.get(reverse("hauler_offers")).content.decode()
    assert f'hx-get="{reverse("hauler_offer_list")}"' in page and "every 20s" in page
    fragment = hauler_client.get(reverse("hauler_offer_list")).content.decode()
    assert fragment.lstrip().startswith('<div id="offer-list"')
    assert "<html" not in fragment and "$125.00" in fragment and "every 20s" in fragment


@pytest.mark.django_db
def test_the_inbox_leaves_out_answered_and_overdue_offers(hauler_client, location, in_area_hauler):
    make_offer(make_pickup(location), in_area_hauler, answer_in=-dt.timedelta(minutes=1))
    answered = make_offer(make_pickup(location), in_area_hauler)
    Offer.objects.filter(pk=answered.pk).update(status=Offer.Status.DECLINED)
    response = hauler_client.get(reverse("hauler_offers"))
    assert response.context["offers"] == []
    assert "No offers right now" in response.content.decode()


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (dt.timedelta(hours=1, minutes=12, seconds=59), "1 h 12 min left"),
        (dt.timedelta(minutes=45), "45 min left"),
        (dt.timedelta(hours=2), "2 h left"),
        (dt.timedelta(days=1, hours=3, minutes=5), "1 d 3 h left"),
        (dt.timedelta(seconds=30), "less than a minute left"),
    ],
)
def test_time_left_reads_like_a_person_would_say_it(delta, text):
    assert time_left(delta) == text


@pytest.mark.django_db
def test_accepting_an_offer_makes_it_a_job_with_the_customer_details(
    hauler_client, member, business, location, in_area_hauler
):
    pickup = make_pickup(location)
    offer = make_offer(pickup, in_area_hauler)
    response = hauler_client.post(reverse("hauler_offer_accept", args=[offer.pk]))
    assert response["Location"] == reverse("hauler_job", args=[pickup.pk])
    pickup.refresh_from_db()
    offer.refresh_from_db()
    assert (pickup.status, pickup.hauler, pickup.payout_cents) == (Pickup.Status.SCHEDULED, in_area_hauler, 12_500)
    assert offer.status == Offer.Status.ACCEPTED
    assert StatusChange.objects.filter(object_id=pickup.pk, to_status="scheduled", by=member).exists()

    page = hauler_client.get(response["Location"]).content.decode()
    assert "It&#x27;s yours" in page
    details = ("Congress Avenue Café", "600 Congress Ave", "Ana Reyes", 'href="tel:512-555-0101"', "Gate code 4521")
    assert all(detail in page for detail in details)
    assert "$125.00" in page and "Complete the job" in page


@pytest.mark.django_db
def test_accepting_an_offer_twice_is_a_conflict(hauler_client, location, in_area_hauler):
    offer = make_offer(make_pickup(location), in_area_hauler)
    assert hauler_client.post(reverse("hauler_offer_accept", args=[offer.pk])).status_code == 302
    response = hauler_client.post(reverse("hauler_offer_accept", args=[offer.pk]))
    assert response.status_code == 409
    assert "This offer is no longer open (it is accepted)." in response.content.decode()


@pytest.mark.django_db
def test_an_offer_someone_else_took_is_a_conflict(hauler_client, location, in_area_hauler):
    pickup = make_pickup(location)
    offer = make_offer(pickup, in_area_hauler)
    Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.WITHDRAWN)
    response = hauler_client.post(reverse("hauler_offer_accept", args=[offer.pk]))
    assert response.status_code == 409
    assert "no longer open" in response.content.decode()
    pickup.refresh_from_db()
    assert pickup.hauler is None


@pytest.mark.django_db
def test_declining_records_the_reason_and_moves_on(hauler_client, member, location, in_area_hauler):
    pickup = make_pickup(location)
    offer = make_offer(pickup, in_area_hauler)
    form = {"reason": "too_far", "details": "North of the river"}
    response = hauler_client.post(reverse("hauler_offer_decline", args=[offer.pk]), form)
    assert response["Location"] == reverse("hauler_offers")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert offer.decline_reason == "Too far from our route: North of the river"
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.REQUESTED  # back in the cascade, for the next hauler
    assert "Declined." in hauler_client.get(reverse("hauler_offers")).content.decode()

    again = hauler_client.post(reverse("hauler_offer_decline", args=[offer.pk]), form)
    assert again.status_code == 409


@pytest.mark.django_db
def test_a_decline_without_a_known_reason_changes_nothing(hauler_client, location, in_area_hauler):
    offer = make_offer(make_pickup(location), in_area_hauler)
    response = hauler_client.post(reverse("hauler_offer_decline", args=[offer.pk]), {"reason": "bored"})
    assert response["Location"] == reverse("hauler_offers")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 15])
def test_the_inbox_costs_the_same_queries_for_3_or_15_offers(
    hauler_client, location, in_area_hauler, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        make_offer(make_pickup(location), in_area_hauler)
    with django_assert_max_num_queries(OFFERS_MAX_QUERIES):
        response = hauler_client.get(reverse("hauler_offers"))
    assert len(response.context["offers"]) == rows
    with django_assert_max_num_queries(OFFERS_MAX_QUERIES):
        hauler_client.get(reverse("hauler_offer_list"))


# --- Jobs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_jobs_show_today_and_this_week_sortable_by_zip(hauler_client, customer, location, in_area_hauler):
    east = factories.LocationFactory(customer=customer, zip_code="78702", street="900 E 6th St")
    west = factories.LocationFactory(customer=customer, zip_code="78703", street="1200 W Lynn St")
    today = local_today()
    scheduled = Pickup.Status.SCHEDULED
    make_pickup(location, hauler=in_area_hauler, status=scheduled, day=today)  # 78701 today
    make_pickup(west, hauler=in_area_hauler, status=scheduled, day=today + dt.timedelta(days=1))
    make_pickup(east, hauler=in_area_hauler, status=scheduled, day=today + dt.timedelta(days=4))
    make_pickup(east, hauler=in_area_hauler, status=scheduled, day=today + dt.timedelta(days=10))
    make_pickup(west, hauler=in_area_hauler, status=Pickup.Status.COMPLETED, day=today)
    make_pickup(location, hauler=factories.HaulerFactory(), status=scheduled, day=today)  # someone else's

    response = hauler_client.get(reverse("hauler_jobs"))
    context = response.context
    assert [job["zip_code"] for job in context["today_jobs"]] == ["78701"]
    assert [job["zip_code"] for job in context["week_jobs"]] == ["78703", "78702"]
    assert context["later_count"] == 1
    page = response.content.decode()
    assert page.index("1200 W Lynn St") < page.index("900 E 6th St")
    assert "1 more job after" in page

    by_zip = hauler_client.get(reverse("hauler_jobs"), {"order": "zip"})
    assert [job["zip_code"] for job in by_zip.context["week_jobs"]] == ["78702", "78703"]
    page = by_zip.content.decode()
    assert page.index("900 E 6th St") < page.index("1200 W Lynn St")


@pytest.mark.django_db
def test_jobs_left_open_from_past_days_are_listed_to_be_closed(hauler_client, location, in_area_hauler):
    two_days_ago = local_today() - dt.timedelta(days=2)
    make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, day=two_days_ago)
    response = hauler_client.get(reverse("hauler_jobs"))
    assert len(response.context["overdue"]) == 1
    assert "Still open from earlier days" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 15])
def test_the_jobs_list_costs_the_same_queries_for_3_or_15_jobs(
    hauler_client, location, in_area_hauler, rows, django_assert_num_queries
):
    for index in range(rows):
        day = local_today() + dt.timedelta(days=index % 7)
        make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, day=day)
    with django_assert_num_queries(JOBS_QUERIES):
        response = hauler_client.get(reverse("hauler_jobs"), {"order": "zip"})
    assert len(response.context["today_jobs"]) + len(response.context["week_jobs"]) == rows


def local_now_field() -> str:
    return timezone.localtime(timezone.now(), ZoneInfo(CHICAGO)).strftime("%Y-%m-%dT%H:%M")


def proof_form(**changes):
    form = {
        "photo": SimpleUploadedFile("bin.png", PNG, content_type="image/png"), "weight": "100", "weight_unit": "lb",
        "notes": "Two bins, both emptied.", "serviced_at": local_now_field(),
    }  # fmt: skip
    return {**form, **changes}


@pytest.fixture
def todays_job(location, in_area_hauler):
    """Today's job, with the clock at 9 AM there: within its window, completing it asks no reason."""
    job = make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, day=local_today())
    with time_machine.travel(factories.in_window(job)):
        yield job


@pytest.mark.django_db
def test_completing_a_job_records_the_proof(hauler_client, member, todays_job):
    typed = local_now_field()
    response = hauler_client.post(reverse("hauler_job_complete", args=[todays_job.pk]), proof_form(serviced_at=typed))
    assert response["Location"] == reverse("hauler_job", args=[todays_job.pk])
    todays_job.refresh_from_db()
    assert todays_job.status == Pickup.Status.COMPLETED and todays_job.completed_at is not None
    proof = ServiceProof.objects.get(pickup=todays_job)
    assert proof.weight_kg == Decimal("45.4")  # 100 lb
    assert proof.notes == "Two bins, both emptied."
    assert proof.recorded_by == member
    assert proof.photo.read() == PNG
    # The time typed is the location's wall-clock time.
    assert timezone.localtime(proof.serviced_at, ZoneInfo(CHICAGO)).strftime("%Y-%m-%dT%H:%M") == typed

    page = hauler_client.get(response["Location"]).content.decode()
    assert "Proof of service" in page and "45.4 kg" in page and "Complete the job" not in page
    again = hauler_client.post(reverse("hauler_job_complete", args=[todays_job.pk]), proof_form())
    assert again.status_code == 409


@pytest.mark.django_db
def test_a_weight_in_kg_is_kept_and_the_weight_is_optional(hauler_client, location, in_area_hauler):
    first = make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, day=local_today())
    second = make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, day=local_today())
    with time_machine.travel(factories.in_window(first)):
        hauler_client.post(reverse("hauler_job_complete", args=[first.pk]), proof_form(weight="80.5", weight_unit="kg"))
        hauler_client.post(reverse("hauler_job_complete", args=[second.pk]), proof_form(weight=""))
    assert ServiceProof.objects.get(pickup=first).weight_kg == Decimal("80.5")
    assert ServiceProof.objects.get(pickup=second).weight_kg is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"photo": SimpleUploadedFile("bin.png", b"%PDF-1.4", content_type="image/png")}, "not a JPEG, PNG"),
        ({"photo": SimpleUploadedFile("bin.png", b"MZ\x90\x00", content_type="image/png")}, "not a JPEG, PNG"),
        ({"photo": SimpleUploadedFile("bin.png", b"", content_type="image/png")}, "Choose a file (JPEG, PNG)."),
        ({"photo": ""}, "This field is required."),
        ({"weight": "-3"}, "greater than or equal to 0"),
        ({"weight": "heavy"}, "Enter a number."),
        ({"weight_unit": "stone"}, "Select a valid choice."),
        ({"serviced_at": "2999-01-01T10:00"}, "The service time cannot be in the future."),
        ({"serviced_at": ""}, "This field is required."),
    ],
)
def test_bad_proof_is_refused(hauler_client, todays_job, changes, message):
    response = hauler_client.post(reverse("hauler_job_complete", args=[todays_job.pk]), proof_form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    todays_job.refresh_from_db()
    assert todays_job.status == Pickup.Status.SCHEDULED
    assert not ServiceProof.objects.exists()


@pytest.mark.django_db
def test_could_not_service_records_the_reason_for_the_customer(hauler_client, member, todays_job):
    form = {"reason": ExceptionReason.BLOCKED, "notes": "A delivery truck parked in front of the dumpster."}
    with time_machine.travel(factories.in_window(todays_job)):
        response = hauler_client.post(reverse("hauler_job_exception", args=[todays_job.pk]), form)
    assert response["Location"] == reverse("hauler_job", args=[todays_job.pk])
    todays_job.refresh_from_db()
    assert todays_job.status == Pickup.Status.MISSED
    assert todays_job.exception_reason == "blocked"
    assert todays_job.exception_notes == "A delivery truck parked in front of the dumpster."
    change = StatusChange.objects.get(object_id=todays_job.pk, to_status="missed")
    assert change.by == member and change.reason == "Could not service: container blocked"
    page = hauler_client.get(response["Location"]).content.decode()
    assert "Container blocked: A delivery truck parked" in page


@pytest.mark.django_db
def test_could_not_service_needs_a_reason(hauler_client, todays_job):
    response = hauler_client.post(reverse("hauler_job_exception", args=[todays_job.pk]), {"reason": "lazy"})
    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()
    todays_job.refresh_from_db()
    assert todays_job.status == Pickup.Status.SCHEDULED


# --- Earnings -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_earnings_total_the_completed_jobs_only(hauler_client, location, in_area_hauler):
    done = Pickup.Status.COMPLETED
    for payout in (8_500, 12_345):
        job = make_pickup(location, hauler=in_area_hauler, status=done, payout_cents=payout)
        Pickup.objects.filter(pk=job.pk).update(completed_at=timezone.now())
    make_pickup(location, hauler=in_area_hauler, status=Pickup.Status.SCHEDULED, payout_cents=50_000)
    make_pickup(location, hauler=factories.HaulerFactory(), status=done, payout_cents=70_000)

    response = hauler_client.get(reverse("hauler_earnings"))
    assert response.context["jobs"] == 2 and response.context["earned_cents"] == 20_845
    page = response.content.decode()
    assert 'aria-label="Total earned">$208.45<' in page
    assert "$85.00" in page and "$123.45" in page and "$500.00" not in page and "$700.00" not in page
    assert "Payouts are not set up on this installation." in page
