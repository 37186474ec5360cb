"""Credentials over time: reminders before expiry; a lapse moves the hauler's work to others."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from haulers.models import Credential
from marketplace import compliance, tasks
from marketplace.models import Notification, Offer, Pickup
from tests import factories

TODAY = dt.date(2027, 5, 3)


def at_noon(day):
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


@pytest.fixture
def owner(in_area_hauler):
    return factories.HaulerMembershipFactory(hauler=in_area_hauler).user


@pytest.mark.django_db
def test_reminders_go_out_30_and_7_days_before_expiry_once_each(in_area_hauler, owner, run_on_commit):
    licence = in_area_hauler.credentials.get(kind="licence")
    Credential.objects.filter(pk=licence.pk).update(expires_on=TODAY + dt.timedelta(days=30))
    mail.outbox.clear()
    with time_machine.travel(at_noon(TODAY), tick=False):
        run_on_commit(tasks.check_compliance)
        run_on_commit(tasks.check_compliance)  # hourly: the second run sends nothing new
    assert [m.subject for m in mail.outbox] == ["Your hauling licence expires in 30 days"]
    with time_machine.travel(at_noon(TODAY + dt.timedelta(days=23)), tick=False):
        run_on_commit(tasks.check_compliance)
    assert [m.subject for m in mail.outbox][-1] == "Your hauling licence expires in 7 days"
    assert Notification.objects.filter(user=owner, kind__startswith="credential_expires").count() == 2


@pytest.mark.django_db
def test_no_reminder_when_a_renewal_is_already_uploaded(in_area_hauler, owner, run_on_commit):
    licence = in_area_hauler.credentials.get(kind="licence")
    Credential.objects.filter(pk=licence.pk).update(expires_on=TODAY + dt.timedelta(days=7))
    Credential.objects.create(
        hauler=in_area_hauler, kind="licence", number="LIC-2", issuer="City of Austin",
        valid_from=TODAY + dt.timedelta(days=8), expires_on=TODAY + dt.timedelta(days=400),
    )  # fmt: skip
    mail.outbox.clear()
    with time_machine.travel(at_noon(TODAY), tick=False):
        run_on_commit(tasks.check_compliance)
    assert mail.outbox == []


def book_for(location, hauler, day, status=Pickup.Status.SCHEDULED):
    return Pickup.objects.create(
        customer=location.customer, location=location, hauler=hauler if status == "scheduled" else None,
        waste_stream="trash", container="dumpster_4yd", quantity=1, service_date=day, status=status,
        price_cents=10_200, payout_cents=8_500,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_lapse_sends_later_jobs_back_into_the_cascade_and_tells_staff(
    location, in_area_hauler, owner, staff_user, run_on_commit
):
    backup = factories.HaulerFactory(name="Backup Bins", zips=["78701"])
    factories.RateFactory(hauler=backup, price_cents=9_000)
    in_area_hauler.credentials.filter(kind="insurance").update(expires_on=TODAY + dt.timedelta(days=4))
    covered = book_for(location, in_area_hauler, TODAY + dt.timedelta(days=3))
    uncovered = book_for(location, in_area_hauler, TODAY + dt.timedelta(days=6))
    Offer.objects.create(
        pickup=uncovered, hauler=in_area_hauler, status="accepted", payout_cents=8_500, answer_by=at_noon(TODAY)
    )
    offered = book_for(location, None, TODAY + dt.timedelta(days=9), status=Pickup.Status.OFFERED)
    lapsed_offer = Offer.objects.create(
        pickup=offered, hauler=in_area_hauler, payout_cents=8_500, answer_by=at_noon(TODAY) + dt.timedelta(hours=2)
    )
    mail.outbox.clear()

    with time_machine.travel(at_noon(TODAY), tick=False):
        result = run_on_commit(compliance.check_compliance)
        again = run_on_commit(compliance.check_compliance)

    assert (result["released"], result["withdrawn"]) == (1, 1)
    assert (again["released"], again["withdrawn"]) == (0, 0)
    covered.refresh_from_db()
    uncovered.refresh_from_db()
    lapsed_offer.refresh_from_db()
    assert (covered.status, covered.hauler) == (Pickup.Status.SCHEDULED, in_area_hauler)
    assert uncovered.hauler is None
    assert uncovered.offers.get(hauler=in_area_hauler).status == Offer.Status.RELEASED
    assert uncovered.offers.get(status="pending").hauler == backup
    assert lapsed_offer.status == Offer.Status.WITHDRAWN
    assert offered.offers.get(status="pending").hauler == backup
    staff_mail = [m for m in mail.outbox if staff_user.email in m.to]
    assert [m.subject for m in staff_mail] == [f"Pickup #{uncovered.pk} re-dispatched: the hauler's credentials lapsed"]


@pytest.mark.django_db
def test_a_renewal_before_the_sweep_keeps_the_job(location, in_area_hauler, run_on_commit):
    in_area_hauler.credentials.filter(kind="licence").update(expires_on=TODAY + dt.timedelta(days=1))
    job = book_for(location, in_area_hauler, TODAY + dt.timedelta(days=5))
    Credential.objects.create(
        hauler=in_area_hauler, kind="licence", number="LIC-NEW", issuer="City of Austin",
        valid_from=TODAY, expires_on=TODAY + dt.timedelta(days=365), verified_at=at_noon(TODAY),
    )  # fmt: skip
    with time_machine.travel(at_noon(TODAY), tick=False):
        assert run_on_commit(compliance.check_compliance)["released"] == 0
    job.refresh_from_db()
    assert job.hauler == in_area_hauler


@pytest.mark.django_db
def test_a_suspended_haulers_later_jobs_move_on(location, in_area_hauler, run_on_commit):
    from haulers.models import Hauler

    backup = factories.HaulerFactory(name="Backup Bins", zips=["78701"])
    factories.RateFactory(hauler=backup, price_cents=9_000)
    job = book_for(location, in_area_hauler, TODAY + dt.timedelta(days=3))
    Hauler.objects.filter(pk=in_area_hauler.pk).update(status=Hauler.Status.SUSPENDED)
    with time_machine.travel(at_noon(TODAY), tick=False):
        assert run_on_commit(compliance.check_compliance)["released"] == 1
    job.refresh_from_db()
    assert job.hauler is None
    assert job.offers.get(status="pending").hauler == backup


@pytest.mark.django_db
def test_an_unchecked_renewal_does_not_keep_a_lapsed_haulers_jobs(location, in_area_hauler, run_on_commit):
    in_area_hauler.credentials.filter(kind="licence").update(expires_on=TODAY + dt.timedelta(days=1))
    job = book_for(location, in_area_hauler, TODAY + dt.timedelta(days=5))
    Credential.objects.create(
        hauler=in_area_hauler,
        kind="licence",
        number="LIC-SELF",
        issuer="Self-declared",
        valid_from=TODAY,
        expires_on=TODAY + dt.timedelta(days=3650),
    )  # fmt: skip  (uploaded by the hauler, not checked by staff)
    with time_machine.travel(at_noon(TODAY), tick=False):
        assert run_on_commit(compliance.check_compliance)["released"] == 1
    job.refresh_from_db()
    assert job.hauler is None
