"""Issue 18's "Done when", end to end through the real interfaces, against PostgreSQL, the Stripe stand-in and a
real worker: a business rates a visit and reports a problem on the website and over the API; staff settle it in
the admin with a make-up visit and a partial refund, which the business then reads on its pickup page, billing page
and receipt (page and PDF); a dispute opened at the stand-in becomes a case with a staged evidence packet, and
winning it reinstates the books with reconcile clean; a missed pickup is sent out again by itself, to another hauler.
Each test asserts what a person sees first (page text, API JSON), then the rows."""

import html
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from billing import ledger, receipts, reconcile
from billing.models import Dispute, LedgerEntry, Payment, StripeEvent
from core.templatetags.money import dollars
from marketplace import followup, scheduling
from marketplace.models import Case, Offer, Pickup, Rating
from tests import factories
from tests.billing.pdf_text import receipt_text
from tests.marketplace.api.conftest import client_for
from tests.services.billing_support import (
    PNG,
    WEBHOOK_URL,
    complete,
    kind_totals,
    remote,
    save_card,
    scheduled_pickup,
    stand_in_post,
    stripe_request,
)

pytestmark = pytest.mark.services

PRICE, PAYOUT = 12_000, 8_500
CONTAINER = "dumpster_4yd"  # what the haulers' rates are for
Kind = LedgerEntry.Kind


def text(response) -> str:
    """A page's words as a person reads them: tags dropped, whitespace collapsed."""
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def hauler(name: str, price: int):
    made = factories.HaulerFactory(name=name, zips=["78701"])
    factories.RateFactory(hauler=made, price_cents=price)
    factories.HaulerMembershipFactory(hauler=made)
    return made


def wait_until(check, what: str, *, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout} s")


# --- Rate, report, settle, and read the money back ----------------------------------------------------------


@pytest.mark.django_db
def test_rated_and_reported_on_the_site_and_the_api_settled_in_the_admin_and_read_back_on_every_page(
    stripe_on, customer, customer_owner, staff_user, run_on_commit
):
    first, second = hauler("Original Hauling", 8_500), hauler("Second Best", 9_000)
    save_card(customer)
    on_site = complete(
        run_on_commit, scheduled_pickup(customer, first, price=PRICE, payout=PAYOUT, container=CONTAINER)
    )
    over_api = complete(
        run_on_commit, scheduled_pickup(customer, first, price=PRICE, payout=PAYOUT, container=CONTAINER)
    )
    site, api = Client(), client_for(customer_owner)
    site.force_login(customer_owner)

    # The website: the rating form on the pickup page, then "Report a problem" with a photo.
    page = text(site.get(reverse("pickup_detail", args=[on_site.pk])))
    assert "How was this visit?" in page and "Report a problem" in page
    rated = run_on_commit(
        site.post,
        reverse("pickup_rating", args=[on_site.pk]),
        {"stars": "2", "tags": ["mess_left", "bin_not_returned"], "comment": "Bags left by the gate"},
    )
    assert rated.status_code == 302 and rated["Location"].endswith(f"/pickups/{on_site.pk}/#rating")
    page = text(site.get(reverse("pickup_detail", args=[on_site.pk])))
    assert "Thank you: your rating is saved" in page and "Bags left by the gate" in page
    photo = SimpleUploadedFile("bin.png", PNG, content_type="image/png")
    reported = run_on_commit(
        site.post,
        reverse("case_report", args=[on_site.pk]),
        {"problem": "not_emptied", "description": "Half the bin is still full", "photos": [photo]},
    )
    assert reported.status_code == 302, text(reported)
    case = Case.objects.get(pickup=on_site)
    assert reported["Location"] == reverse("case_detail", args=[case.pk])
    page = text(site.get(reported["Location"]))
    assert "We've asked Original Hauling for its side" in page
    assert "Open. We have asked Original Hauling for its side." in page and "Half the bin is still full" in page

    # The API, with the owner's token: the rating, then the report.
    answer = run_on_commit(
        api.put, reverse("api:pickup-rating", args=[over_api.pk]), {"stars": 3, "tags": ["late"]}, format="json"
    )
    assert answer.status_code in (200, 201), answer.json()
    assert (answer.json()["stars"], answer.json()["tags"]) == (3, ["late"])
    answer = run_on_commit(
        api.post,
        reverse("api:cases"),
        {"pickup": over_api.pk, "problem": "damage", "description": "The lid is cracked"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    api_case = answer.json()
    assert (api_case["status"], api_case["problem"], api_case["pickup"]) == ("open", "damage", over_api.pk)

    assert sorted(Rating.objects.values_list("pickup", "stars")) == [(on_site.pk, 2), (over_api.pk, 3)]
    assert Case.objects.filter(customer=customer, status=Case.Status.OPEN, kind=Case.Kind.PROBLEM).count() == 2
    assert case.messages.exclude(photo="").count() == 1

    # Staff: the queue by deadline with its clock, the settle page, a make-up and a partial refund each.
    staff = Client()
    staff.force_login(staff_user)
    queue = text(staff.get(reverse("admin:marketplace_case_changelist")))
    assert "due in" in queue and "Original Hauling" in queue
    settle = text(staff.get(reverse("admin:marketplace_case_resolve", args=[case.pk])))
    assert "Can be refunded to the card" in settle and "$120.00" in settle
    for settled, refund in ((case.pk, "40.00"), (api_case["id"], "25.00")):
        done = run_on_commit(
            staff.post,
            reverse("admin:marketplace_case_resolve", args=[settled]),
            {"make_up": "on", "refund_cents": refund, "credit_cents": "", "note": "We will come back tomorrow"},
        )
        assert done.status_code == 302, text(done)
        assert done["Location"] == reverse("admin:marketplace_case_change", args=[settled])
    case.refresh_from_db()
    made = case.make_up

    # The business reads the settlement and the money: case page, pickup page, billing page, receipt, PDF.
    page = text(site.get(reverse("case_detail", args=[case.pk])))
    assert f"a make-up visit on {made.service_date:%a, %b %-d} and a refund of $40.00" in page
    page = text(site.get(reverse("pickup_detail", args=[on_site.pk])))
    assert "Paid $120.00 · refunded $40.00" in page and "you paid $80.00" in page
    page = text(site.get(reverse("billing")))
    assert "refunded $40.00" in page and "refunded $25.00" in page
    payment = Payment.objects.get(pickup=on_site)
    page = text(site.get(reverse("receipt_detail", args=[payment.pk])))
    assert "$120.00" in page and "$40.00" in page and "$80.00" in page
    pdf = site.get(reverse("api:receipt-pdf", args=[payment.pk]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content]).startswith(b"%PDF-")
    printed = receipt_text(receipts.receipt_of(customer=customer, payment_id=payment.pk))
    assert "$120.00" in printed and "$40.00" in printed and "$80.00" in printed
    read = api.get(reverse("api:case", args=[api_case["id"]])).json()
    assert (read["status"], read["refund_cents"], read["make_up"] is not None) == ("resolved", 2_500, True)

    # The rows: the refunds booked and at Stripe, the make-ups free to the business and offered to the same hauler.
    for visit, cents in ((on_site, 4_000), (over_api, 2_500)):
        paid = Payment.objects.get(pickup=visit)
        assert kind_totals(pickup=visit)[Kind.REFUND] == cents
        assert (
            remote(f"/v1/payment_intents/{paid.stripe_payment_intent_id}")["latest_charge"]["amount_refunded"] == cents
        )
        redo = visit.make_ups.get()
        assert (redo.price_cents, redo.status) == (0, Pickup.Status.OFFERED)
        assert list(redo.offers.values_list("hauler", "payout_cents")) == [(first.pk, 0)]
    assert second.offers.count() == 0
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


# --- A card dispute, won --------------------------------------------------------------------------------------


@pytest.fixture
def webhooks_to_us(stripe_on, live_server, postgres):
    """The stand-in sends its events to this test's server, as Stripe sends them to ours."""
    url = live_server.url + WEBHOOK_URL
    stripe_request(stripe_on, "POST", "/_config/webhooks/haulmatch", {"url": url, "secret": "whsec_test_secret"})
    yield
    stripe_request(stripe_on, "DELETE", "/_config/webhooks/haulmatch")


def processed(kind: str, dispute_id: str):
    found = StripeEvent.objects.filter(type=kind, payload__data__object__id=dispute_id)
    return found.filter(status=StripeEvent.Status.PROCESSED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_dispute_at_the_stand_in_becomes_a_case_with_staged_evidence_and_winning_it_restores_the_books(
    webhooks_to_us, customer, customer_owner, staff_user, run_on_commit
):
    visited = hauler("Original Hauling", 8_500)
    save_card(customer)
    pickup = complete(
        run_on_commit, scheduled_pickup(customer, visited, price=PRICE, payout=PAYOUT, container=CONTAINER)
    )
    payment = Payment.objects.get(pickup=pickup, status=Payment.Status.SUCCEEDED)
    before = kind_totals(pickup=pickup)

    opened = stand_in_post("/_config/disputes", {"payment_intent": payment.stripe_payment_intent_id})
    staged = Dispute.objects.filter(stripe_dispute_id=opened["id"], evidence_staged_at__isnull=False)
    dispute = wait_until(staged.first, "the case staging its evidence")
    wait_until(lambda: processed("charge.dispute.funds_withdrawn", opened["id"]), "the withdrawal booked")

    # The bank holds a packet it has not been sent: the service date, the proof as a file, the history.
    at_stripe = remote(f"/v1/disputes/{opened['id']}")
    assert (at_stripe["status"], at_stripe["evidence_details"]["submission_count"]) == ("needs_response", 0)
    assert at_stripe["evidence_details"]["has_evidence"] is True
    evidence = at_stripe["evidence"]
    assert evidence["service_date"] == f"{pickup.service_date:%Y-%m-%d}"
    assert evidence["service_documentation"].startswith("file_")
    assert evidence["customer_communication"].startswith("file_")
    assert "-> completed" in evidence["uncategorized_text"]

    # The business sees the dispute among its cases; staff see it in the queue and send the packet.
    site = Client()
    site.force_login(customer_owner)
    case = Case.objects.get(dispute=dispute)
    listed = text(site.get(reverse("case_list")))
    assert "Card dispute" in listed
    assert "Open. Your bank is reviewing the card dispute; HaulMatch answers it with the evidence by" in listed
    staff = Client()
    staff.force_login(staff_user)
    queue = text(staff.get(reverse("admin:billing_dispute_changelist")))
    assert opened["id"] in queue
    sent = staff.post(
        reverse("admin:billing_dispute_changelist"),
        {"action": "submit_evidence", "_selected_action": [dispute.pk]},
        follow=True,
    )
    assert "Sent the evidence of 1 dispute(s) to the bank." in text(sent)
    assert remote(f"/v1/disputes/{opened['id']}")["evidence_details"]["submission_count"] == 1

    # The bank decides for HaulMatch: the amount and the fee come back, and the books agree with Stripe.
    stand_in_post(f"/_config/disputes/{opened['id']}/close", {"status": "won"})
    wait_until(lambda: processed("charge.dispute.funds_reinstated", opened["id"]), "the reinstatement booked")
    wait_until(lambda: processed("charge.dispute.closed", opened["id"]), "the closing handled")
    case.refresh_from_db()
    assert case.status == Case.Status.WON
    assert "The card dispute was won" in text(site.get(reverse("case_detail", args=[case.pk])))
    dispute.refresh_from_db()
    after = kind_totals(pickup=pickup)
    assert after[Kind.DISPUTE_WITHDRAWN] == PRICE
    assert (
        after[Kind.DISPUTE_REINSTATED]
        == PRICE + dispute.fee_cents
        == after[Kind.DISPUTE_WITHDRAWN] + after[Kind.DISPUTE_FEE]
    )
    assert (after[Kind.PLATFORM_FEE], after[Kind.HAULER_PAYABLE]) == (before[Kind.PLATFORM_FEE], PAYOUT)
    assert ledger.unbalanced_pickups() == {}
    assert reconcile.differences() == []


# --- A miss, made up by itself --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_missed_pickup_is_sent_out_again_by_itself_to_another_hauler(
    postgres, celery_worker_process, customer, customer_owner
):
    missing, other = hauler("No Show Hauling", 8_000), hauler("Reliable Roll-offs", 9_000)
    location = customer.locations.get()
    today = scheduling.local_today(location.timezone)
    pickup = scheduled_pickup(customer, missing, price=PRICE, payout=PAYOUT, service_date=today, container=CONTAINER)

    # The sweep runs an hour past the window; the worker does the rest: the credit, the make-up, its offer.
    assert followup.detect_missed(now=pickup.window()[1] + followup.MISSED_AFTER_WINDOW) == 1
    offered = Offer.objects.filter(pickup__make_up_of=pickup, status=Offer.Status.PENDING)
    offer = wait_until(offered.first, "the make-up being offered")

    credit = wait_until(
        lambda: LedgerEntry.objects.filter(key=f"grant:missed:{pickup.pk}").first(), "the missed-visit credit"
    )
    made = pickup.make_ups.get()

    # The business is told, and both pages say what happens next (the credit stays, the make-up comes).
    site = Client()
    site.force_login(customer_owner)
    notices = text(site.get(reverse("notifications")))
    assert f"Missed: your pickup on {pickup.service_date:%a, %b %-d}" in notices
    assert f"Make-up visit booked for {made.service_date:%a, %b %-d}" in notices
    page = text(site.get(reverse("pickup_detail", args=[pickup.pk])))
    assert f"{dollars(credit.amount_cents)} credited to your balance" in page
    assert "A make-up visit is on its way" in page
    assert f"We booked a make-up visit for {made.service_date:%a, %b %-d}" in page
    page = text(site.get(reverse("pickup_detail", args=[made.pk])))
    assert "Offered to a hauler" in page
    assert f"This visit makes up for your pickup of {pickup.service_date:%a, %b %-d}" in page

    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.MISSED
    assert offer.hauler_id == other.pk
    assert not Offer.objects.filter(pickup=made, hauler=missing).exists()
    assert (made.price_cents, made.customer_id, made.location_id) == (PRICE, customer.pk, location.pk)
    assert credit.kind == Kind.CREDIT_GRANTED and credit.amount_cents > 0
