"""The Case admin: the open queue by deadline with its clock in words, the evidence and thread on a case's page,
and the pages that settle or reject a case through marketplace.resolutions."""

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import SUCCESS, get_messages
from django.urls import reverse
from django.utils import timezone

from billing import ledger
from marketplace.admin.cases import sla_clock
from marketplace.models import Case, CaseMessage, Pickup
from tests import factories

NOW = dt.datetime(2027, 3, 16, 15, 0, tzinfo=dt.UTC)  # 10 AM in Chicago (STAFF_TIME_ZONE), daylight time


def opened(customer, *, hours_left, problem=Case.Problem.NOT_EMPTIED, status=Case.Status.OPEN):
    hauler = factories.HaulerFactory(name=f"Hauler for {problem}", zips=["78701"])
    pickup = factories.PickupFactory(
        customer=customer, location=customer.locations.get(), hauler=hauler, status=Pickup.Status.COMPLETED,
        container="dumpster_4yd", price_cents=12_000, payout_cents=8_500,
    )  # fmt: skip
    case = Case.objects.create(
        customer=customer, pickup=pickup, hauler=hauler, problem=problem, status=status,
        description="Half the bin is still full", respond_by=NOW + dt.timedelta(hours=hours_left),
    )  # fmt: skip
    CaseMessage.objects.create(case=case, side=CaseMessage.Side.BUSINESS, body="Still full at noon.")
    return case


def test_the_clock_reads_in_words():
    case = Case(status=Case.Status.OPEN, respond_by=NOW + dt.timedelta(hours=5, minutes=20))
    assert sla_clock(case, now=NOW) == "due in 5 h"
    case.respond_by = NOW - dt.timedelta(hours=2, minutes=5)
    assert sla_clock(case, now=NOW) == "overdue by 2 h"
    case.respond_by = NOW + dt.timedelta(minutes=20)
    assert sla_clock(case, now=NOW) == "due in 20 min"
    case.respond_by = NOW + dt.timedelta(days=3, hours=1)
    assert sla_clock(case, now=NOW) == "due in 3 days"
    case.status = Case.Status.REJECTED
    assert sla_clock(case, now=NOW) == "Rejected"


@pytest.mark.django_db
def test_the_queue_lists_open_cases_soonest_deadline_first_with_the_clock_in_staff_time(
    customer, client, staff_user, django_assert_max_num_queries
):
    later = opened(customer, hours_left=5, problem=Case.Problem.DAMAGE)
    overdue = opened(customer, hours_left=-2, problem=Case.Problem.NOT_EMPTIED)
    settled = opened(customer, hours_left=1, problem=Case.Problem.OTHER, status=Case.Status.REJECTED)
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff_user)  # a session of the travelled-to day
        with django_assert_max_num_queries(8):
            page = client.get(reverse("admin:marketplace_case_changelist"))
        every = client.get(reverse("admin:marketplace_case_changelist"), {"queue": "all"}).content.decode()
    text = page.content.decode()
    assert page.status_code == 200
    assert "overdue by 2 h" in text and "due in 5 h" in text
    assert text.index(f"/admin/marketplace/case/{overdue.pk}/") < text.index(f"/admin/marketplace/case/{later.pk}/")
    assert f"/admin/marketplace/case/{settled.pk}/" not in text  # the settled case is not in the open queue
    assert "Tue Mar 16, 3:00 PM CDT" in text  # the later deadline, on the staff's clock
    assert f"/admin/marketplace/case/{settled.pk}/" in every


@pytest.mark.django_db
def test_a_case_page_shows_its_evidence_thread_and_the_way_to_settle_it(customer, client, staff_user):
    case = opened(customer, hours_left=5)
    with time_machine.travel(NOW, tick=False):
        client.force_login(staff_user)
        page = client.get(reverse("admin:marketplace_case_change", args=[case.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for seen in ("Due in 5 h", "Evidence", "Promised window", "Offers and answers", "Still full at noon.", "Settle"):
        assert seen in text
    assert reverse("admin:marketplace_case_resolve", args=[case.pk]) in text


@pytest.mark.django_db
def test_staff_settle_a_case_with_a_credit_and_a_make_up_from_its_page(customer, staff_client):
    case = opened(customer, hours_left=5)
    factories.RateFactory(hauler=case.hauler)
    resolve = reverse("admin:marketplace_case_resolve", args=[case.pk])
    form = staff_client.get(resolve)
    assert form.status_code == 200 and "Can be refunded to the card" in form.content.decode()

    refused = staff_client.post(resolve, {"refund_cents": "5.00", "note": "x"})
    assert "Nothing paid by card for this visit can be refunded" in refused.content.decode()

    done = staff_client.post(resolve, {"make_up": "on", "credit_cents": "15.00", "note": "Sorry."})
    assert done.status_code == 302 and done["Location"] == reverse("admin:marketplace_case_change", args=[case.pk])
    assert [m.level for m in get_messages(done.wsgi_request)] == [SUCCESS]
    case.refresh_from_db()
    assert (case.status, case.credit_cents, case.make_up.make_up_of_id) == (Case.Status.RESOLVED, 1_500, case.pickup_id)
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 1_500

    again = staff_client.post(resolve, {"credit_cents": "15.00"})
    assert "already resolved" in again.content.decode()
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 1_500


@pytest.mark.django_db
def test_staff_reject_a_case_with_a_reason(customer, staff_client):
    case = opened(customer, hours_left=5)
    reject = reverse("admin:marketplace_case_reject", args=[case.pk])
    assert "This field is required" in staff_client.post(reject, {"reason": ""}).content.decode()
    assert staff_client.post(reject, {"reason": "The photo shows an empty bin."}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.resolution_note) == (Case.Status.REJECTED, "The photo shows an empty bin.")


@pytest.mark.django_db
def test_only_staff_who_may_change_cases_settle_them(customer, client):
    case = opened(customer, hours_left=5)
    viewer = factories.UserFactory(is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse("admin:marketplace_case_resolve", args=[case.pk])).status_code == 403
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and timezone.now()
