"""Card disputes end to end: the bank (the stand-in) opens one on a paid pickup, the case stages its evidence there,
staff send it, and the bank decides; the ledger, reconcile and both sides follow. Events replayed or out of order
change nothing."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from billing import charges, disputes, ledger, reconcile, refunds
from billing.models import Dispute, LedgerEntry, Payment, StripeEvent
from config.celery import app as celery_app
from core.errors import Conflict
from marketplace.models import Case
from tests import factories
from tests.billing.support import completed_pickup, invoice_for
from tests.services.billing_support import (
    WEBHOOK_URL,
    complete,
    deliver_event,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
    stand_in_post,
    stripe_request,
)
from tests.services.dispute_support import FEE, PAYOUT, PRICE, bank_decides, bank_opens, books, call, stand_in_events
from tests.services.worker import Worker

pytestmark = pytest.mark.services


@pytest.fixture
def paid(stripe_on, customer, in_area_hauler, run_on_commit) -> Payment:
    factories.HaulerMembershipFactory(hauler=in_area_hauler)  # someone at the hauler to tell
    save_card(customer)
    pickup = complete(run_on_commit, scheduled_pickup(customer, in_area_hauler, price=PRICE, payout=PAYOUT))
    return Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)


# --- Through the webhooks -----------------------------------------------------------------------------------------


@pytest.fixture
def webhook_to_live_server(stripe_on, live_server, postgres):
    url = live_server.url + WEBHOOK_URL
    stripe_request(stripe_on, "POST", "/_config/webhooks/haulmatch", {"url": url, "secret": "whsec_test_secret"})
    yield
    stripe_request(stripe_on, "DELETE", "/_config/webhooks/haulmatch")


def wait_for(kind: str, dispute_id: str, *, timeout: float = 15) -> StripeEvent:
    deadline = time.monotonic() + timeout
    events = StripeEvent.objects.filter(type=kind, payload__data__object__id=dispute_id)
    while time.monotonic() < deadline:
        event = events.filter(status=StripeEvent.Status.PROCESSED).first()
        if event is not None:
            return event
        time.sleep(0.1)
    seen = list(StripeEvent.objects.values_list("type", "status", "outcome"))
    pytest.fail(f"no processed {kind} for {dispute_id} within {timeout} s; received: {seen}")


def wait_until(check, what: str, *, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_dispute_won_on_staged_evidence_reinstates_the_books(webhook_to_live_server, paid, staff_user):
    before = books(paid)
    opened = bank_opens(paid)
    wait_for("charge.dispute.created", opened["id"])
    wait_for("charge.dispute.funds_withdrawn", opened["id"])

    staged = Dispute.objects.filter(stripe_dispute_id=opened["id"], evidence_staged_at__isnull=False)
    dispute = wait_until(staged.first, "staging the evidence")  # the case's task renders two PDFs first
    assert (dispute.payment, dispute.amount_cents, dispute.fee_cents, dispute.status) == (
        paid,
        PRICE,
        FEE,
        "needs_response",
    )
    case = Case.objects.get(dispute=dispute)
    assert (case.kind, case.pickup, case.hauler_id, case.payment, case.respond_by) == (
        Case.Kind.DISPUTE,
        paid.pickup,
        paid.hauler_id,
        paid,
        dispute.due_by,
    )
    # The packet waits at Stripe, staged, not sent.
    at_stripe = remote(f"/v1/disputes/{opened['id']}")
    evidence = at_stripe["evidence"]
    assert (at_stripe["status"], at_stripe["evidence_details"]["submission_count"]) == ("needs_response", 0)
    assert evidence["service_date"] == f"{paid.pickup.service_date:%Y-%m-%d}"
    assert evidence["service_documentation"].startswith("file_")
    assert evidence["customer_communication"].startswith("file_")
    assert "late-cancellation fee of $25.00" in evidence["cancellation_policy_disclosure"]
    assert "-> completed" in evidence["uncategorized_text"]
    assert "Stripe reported a card dispute" in evidence["uncategorized_text"]
    assert dispute.evidence_staged_at is not None and dispute.evidence_submitted_at is None

    # The bank took the money and Stripe its fee: HaulMatch bears it, the hauler's payable stands.
    assert books(paid) == {
        **before,
        "platform_fee": before["platform_fee"] - PRICE - FEE,
        "dispute_withdrawn": PRICE,
        "dispute_fee": FEE,
    }
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []

    disputes.submit_evidence(dispute=dispute, by=staff_user)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.submitted_by) == ("under_review", staff_user)
    assert remote(f"/v1/disputes/{opened['id']}")["evidence_details"]["submission_count"] == 1
    with pytest.raises(Conflict, match="already sent"):
        disputes.submit_evidence(dispute=dispute, by=staff_user)

    bank_decides(opened["id"], "won")
    wait_for("charge.dispute.closed", opened["id"])
    wait_for("charge.dispute.funds_reinstated", opened["id"])
    assert books(paid) == {**before, "dispute_withdrawn": PRICE, "dispute_fee": FEE, "dispute_reinstated": PRICE + FEE}
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []
    case.refresh_from_db()
    assert case.status == Case.Status.WON
    wait_until(lambda: len(mail.outbox) >= 3, "telling both sides")
    subjects = [message.subject for message in mail.outbox]
    assert any(subject.startswith("Your bank decided the card dispute") for subject in subjects), subjects
    assert any("your pay stands" in subject for subject in subjects), subjects


# --- Events by hand: lost, replayed, out of order -------------------------------------------------------------


@pytest.mark.django_db
def test_a_lost_dispute_keeps_the_withdrawal_and_replays_change_nothing(paid, client, run_on_commit):
    before = books(paid)
    opened = bank_opens(paid, reason="fraudulent")
    bank_decides(opened["id"], "lost")
    events = stand_in_events(opened["id"])
    for event in events:
        assert run_on_commit(deliver_event, client, event).status_code == 200

    dispute = Dispute.objects.get(stripe_dispute_id=opened["id"])
    assert dispute.status == "lost"
    settled = books(paid)
    assert settled == {
        **before,
        "platform_fee": before["platform_fee"] - PRICE - FEE,
        "dispute_withdrawn": PRICE,
        "dispute_fee": FEE,
    }
    assert settled["hauler_payable"] == PAYOUT  # the hauler did the job: a lost dispute is HaulMatch's
    assert Case.objects.get(dispute=dispute).status == Case.Status.LOST
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []
    # The bank took the money back: refunding it too would pay twice; HaulMatch and Stripe both refuse.
    with pytest.raises(Conflict, match="disputes this payment"):
        refunds.refund_payment(payment=paid, amount_cents=1_000, reason="Goodwill", by=None)
    status, body = call("POST", "/v1/refunds", {"payment_intent": paid.stripe_payment_intent_id, "amount": 1_000})
    assert (status, body["error"]["code"]) == (400, "charge_disputed")
    entries, sent = LedgerEntry.objects.count(), len(mail.outbox)

    for event in events:  # Stripe's retries: the same events again
        assert run_on_commit(deliver_event, client, event).content == b"already received"
    for n, event in enumerate(events):  # and the same news under new event ids
        run_on_commit(deliver_event, client, {**event, "id": f"{event['id']}_again_{n}"})
    assert (LedgerEntry.objects.count(), len(mail.outbox), Case.objects.filter(dispute=dispute).count()) == (
        entries,
        sent,
        1,
    )
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {StripeEvent.Status.PROCESSED}


@pytest.mark.django_db
def test_closed_before_created_still_ends_won_with_one_case(paid, client, run_on_commit):
    before = books(paid)
    opened = bank_opens(paid)
    bank_decides(opened["id"], "won")
    events = stand_in_events(opened["id"])
    assert events[0]["type"] == "charge.dispute.created"

    for event in reversed(events):  # funds_reinstated and closed arrive first, created last
        run_on_commit(deliver_event, client, event)

    dispute = Dispute.objects.get(stripe_dispute_id=opened["id"])
    assert dispute.status == "won"
    case = Case.objects.get(dispute=dispute)
    assert case.status == Case.Status.WON
    assert books(paid) == {**before, "dispute_withdrawn": PRICE, "dispute_fee": FEE, "dispute_reinstated": PRICE + FEE}
    # Closed before anything was staged: nothing is staged on a decided dispute, and nothing can be sent.
    assert dispute.evidence_staged_at is None
    with pytest.raises(Conflict):
        disputes.submit_evidence(dispute=dispute, by=None)
    assert reconcile.differences() == []
    told = [message for message in mail.outbox if "card dispute" in message.subject]
    assert len(told) == 2  # the business and the hauler, once each


@pytest.mark.django_db
def test_reconcile_reports_a_dispute_the_books_never_heard_of(paid):
    opened = bank_opens(paid)
    assert reconcile.differences() == [f"Dispute {opened['id']} on payment {paid.pk}: at Stripe, not recorded here."]


# --- Staff ----------------------------------------------------------------------------------------------------


def opened_and_staged(paid, client, run_on_commit) -> Dispute:
    """A dispute the bank opened, its events handled: the case is open and its evidence staged."""
    opened = bank_opens(paid)
    for event in stand_in_events(opened["id"]):
        run_on_commit(deliver_event, client, event)
    dispute = Dispute.objects.get(stripe_dispute_id=opened["id"])
    assert dispute.evidence_staged_at is not None
    return dispute


@pytest.mark.django_db
def test_staff_send_the_evidence_from_the_queue_once_and_only_before_the_deadline(
    paid, client, run_on_commit, staff_user, time_machine
):
    dispute = opened_and_staged(paid, client, run_on_commit)
    client.force_login(staff_user)
    queue = reverse("admin:billing_dispute_changelist")

    page = client.get(queue).content.decode()
    assert dispute.stripe_dispute_id in page
    assert "Due in 7 days" in page or "Due in 8 days" in page  # the end of the bank's seventh day, UTC
    assert client.get(reverse("admin:billing_dispute_change", args=[dispute.pk])).status_code == 200

    # A day past the bank's deadline nothing is sent: the queue says so, Stripe never hears of it.
    time_machine.move_to(dispute.due_by + dt.timedelta(hours=1), tick=False)
    assert "Overdue by" in client.get(queue).content.decode()
    action = {"action": "submit_evidence", "_selected_action": [dispute.pk]}
    answer = client.post(queue, action, follow=True)
    assert "deadline for evidence has passed" in answer.content.decode()
    assert remote(f"/v1/disputes/{dispute.stripe_dispute_id}")["evidence_details"]["submission_count"] == 0
    time_machine.move_to(dispute.created_at, tick=True)

    answer = client.post(queue, action, follow=True)
    assert "Sent the evidence of 1 dispute(s) to the bank." in answer.content.decode()
    dispute.refresh_from_db()
    assert (dispute.status, dispute.submitted_by, dispute.evidence_submitted_at is not None) == (
        "under_review",
        staff_user,
        True,
    )
    assert remote(f"/v1/disputes/{dispute.stripe_dispute_id}")["status"] == "under_review"
    answer = client.post(queue, action, follow=True)  # a second click: said, not sent again
    assert "already sent to the bank" in answer.content.decode()
    answer = client.post(queue, {**action, "action": "stage_evidence"}, follow=True)
    assert "Nothing to stage" in answer.content.decode()
    assert remote(f"/v1/disputes/{dispute.stripe_dispute_id}")["evidence_details"]["submission_count"] == 1


@pytest.mark.django_db
def test_an_inquiry_moves_no_money_and_its_case_is_resolved_when_the_bank_closes_it(paid, client, run_on_commit):
    before = books(paid)
    opened = stand_in_post("/_config/disputes", {"payment_intent": paid.stripe_payment_intent_id, "inquiry": "true"})
    assert (opened["status"], opened["balance_transactions"]) == ("warning_needs_response", [])
    for event in stand_in_events(opened["id"]):
        run_on_commit(deliver_event, client, event)
    dispute = Dispute.objects.get(stripe_dispute_id=opened["id"])
    assert dispute.evidence_staged_at is not None  # the bank asks: the answer is staged like a dispute's
    assert books(paid) == before

    bank_decides(opened["id"], "warning_closed")
    for event in stand_in_events(opened["id"]):
        run_on_commit(deliver_event, client, event)
    dispute.refresh_from_db()
    case = Case.objects.get(dispute=dispute)
    assert (dispute.status, case.status) == ("warning_closed", Case.Status.RESOLVED)
    assert "closed its inquiry" in case.resolution_note
    assert books(paid) == before
    assert reconcile.differences() == []
    made = refunds.refund_payment(payment=paid, amount_cents=1_000, reason="Goodwill", by=None)  # still refundable
    assert made.stripe_refund_id


@pytest.mark.django_db
def test_staff_send_the_evidence_from_the_dispute_case_too(paid, client, run_on_commit, staff_user):
    dispute = opened_and_staged(paid, client, run_on_commit)
    case = Case.objects.get(dispute=dispute)
    client.force_login(staff_user)
    queue = reverse("admin:marketplace_case_changelist")
    assert str(case.pk) in client.get(queue).content.decode()

    answer = client.post(queue, {"action": "submit_dispute_evidence", "_selected_action": [case.pk]}, follow=True)
    assert "Sent the evidence of 1 card dispute(s) to the bank." in answer.content.decode()
    assert remote(f"/v1/disputes/{dispute.stripe_dispute_id}")["status"] == "under_review"
    answer = client.post(queue, {"action": "submit_dispute_evidence", "_selected_action": [case.pk]}, follow=True)
    assert "already sent to the bank" in answer.content.decode()


# --- Through a real worker ------------------------------------------------------------------------------------


@pytest.fixture
def stripe_worker(stripe_on, redis_url, tmp_path, postgres):
    """A Celery worker process that talks to the same Stripe stand-in, with this test's settings."""
    stripe_env = {
        "STRIPE_SECRET_KEY": settings.STRIPE_SECRET_KEY,
        "STRIPE_API_BASE": settings.STRIPE_API_BASE,
        "STRIPE_WEBHOOK_SECRET": settings.STRIPE_WEBHOOK_SECRET,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    worker = Worker(redis_url, tmp_path / "worker.log", extra_env=stripe_env)
    previous = (celery_app.conf.task_always_eager, celery_app.conf.task_default_queue)
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = worker.queue
    celery_app.conf.broker_url = redis_url
    celery_app.conf.result_backend = redis_url
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = previous
        worker.stop()


@pytest.mark.django_db(transaction=True)
def test_a_worker_opens_the_case_stages_the_packet_and_ends_it_lost_whatever_the_order(paid, stripe_worker, client):
    before = books(paid)
    opened = bank_opens(paid)
    first = stand_in_events(opened["id"])
    for event in [*reversed(first), *first]:  # funds_withdrawn before created; then both again
        assert deliver_event(client, event).status_code == 200
    staged = Dispute.objects.filter(stripe_dispute_id=opened["id"], evidence_staged_at__isnull=False)
    dispute = wait_until(staged.first, "the worker staging the evidence", timeout=60)
    evidence = remote(f"/v1/disputes/{opened['id']}")["evidence"]
    assert evidence["service_documentation"].startswith("file_")
    assert evidence["service_date"] == f"{paid.pickup.service_date:%Y-%m-%d}"

    bank_decides(opened["id"], "lost")
    closed = [event for event in stand_in_events(opened["id"]) if event["type"] == "charge.dispute.closed"]
    for event in [*closed, *closed]:
        assert deliver_event(client, event).status_code == 200
    lost = Case.objects.filter(dispute=dispute, status=Case.Status.LOST)
    case = wait_until(lost.first, "the worker settling the case", timeout=60)

    assert Case.objects.filter(dispute=dispute).count() == 1
    assert case.resolution_note.startswith("The bank decided for the cardholder")
    assert books(paid) == {
        **before,
        "platform_fee": before["platform_fee"] - PRICE - FEE,
        "dispute_withdrawn": PRICE,
        "dispute_fee": FEE,
    }
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


@pytest.mark.django_db
def test_a_disputed_invoice_is_booked_over_its_visits_and_its_packet_covers_them_all(
    stripe_on, customer, in_area_hauler, client, run_on_commit
):
    save_card(customer)
    location = customer.locations.get()
    visits = [
        completed_pickup(location=location, hauler=in_area_hauler, price_cents=price, payout_cents=payout)
        for price, payout in ((6_000, 4_800), (6_000, 4_800), (9_000, 7_000))
    ]
    payment = charges.attempt_payment(payment_id=invoice_for(customer, visits).payment.pk)
    opened = bank_opens(payment)
    for event in stand_in_events(opened["id"]):
        run_on_commit(deliver_event, client, event)

    withdrawn = {v.pk: kind_totals(pickup=v)["dispute_withdrawn"] for v in visits}
    fees = {v.pk: kind_totals(pickup=v)["dispute_fee"] for v in visits}
    assert withdrawn == {visits[0].pk: 6_000, visits[1].pk: 6_000, visits[2].pk: 9_000}
    # $15.00 by what each visit was charged (428.57 / 428.57 / 642.86): the leftover cents to the largest remainders
    assert fees == {visits[0].pk: 429, visits[1].pk: 428, visits[2].pk: 643}
    assert ledger.unbalanced_pickups() == {}
    case = Case.objects.get(dispute__stripe_dispute_id=opened["id"])
    assert (case.pickup, case.hauler, case.payment) == (None, None, payment)
    evidence = remote(f"/v1/disputes/{opened['id']}")["evidence"]
    assert evidence["service_date"] == ", ".join(f"{v.service_date:%Y-%m-%d}" for v in visits)
    assert all(f"Visit #{v.pk}" in evidence["uncategorized_text"] for v in visits)
    assert reconcile.differences() == []


@pytest.mark.django_db
def test_staff_stage_a_packet_whose_staging_failed(paid, client, run_on_commit, staff_user):
    dispute = opened_and_staged(paid, client, run_on_commit)
    Dispute.objects.filter(pk=dispute.pk).update(evidence_staged_at=None)  # as if Stripe had refused a file
    client.force_login(staff_user)
    queue = reverse("admin:billing_dispute_changelist")
    assert "no evidence staged yet" in client.get(queue).content.decode()

    answer = run_on_commit(client.post, queue, {"action": "stage_evidence", "_selected_action": [dispute.pk]})
    assert answer.status_code == 302
    dispute.refresh_from_db()
    assert dispute.evidence_staged_at is not None
    assert remote(f"/v1/disputes/{dispute.stripe_dispute_id}")["evidence"]["service_documentation"].startswith("file_")
