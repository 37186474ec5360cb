"""Money the business can read: a refund made by staff and a credit granted reach the billing page, the pickup page,
the invoice and its PDF, and every paid charge's receipt (page and PDF), each figure a booked ledger entry."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing import receipts, refunds
from billing.models import LedgerEntry, Payment
from tests import factories
from tests.billing import support
from tests.billing.pdf_text import invoice_text, receipt_text
from tests.marketplace.web.business.test_arrival import PICKUP_MAX_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_refunds(monkeypatch):
    """Stripe says yes to every refund (its id numbered), as the stand-in would: refund_payment books it."""
    made = iter(range(1, 100))
    monkeypatch.setattr(refunds.gateway, "refund", lambda **kwargs: (f"re_test_{next(made)}", "succeeded"))


@pytest.fixture
def card(customer):
    return factories.BillingAccountFactory(customer=customer)


@pytest.fixture
def paid(card, location, in_area_hauler):
    """The issue's pickup: $82.20, paid by card."""
    pickup = support.completed_pickup(location=location, hauler=in_area_hauler, price_cents=8_220, payout_cents=6_000)
    return support.paid_payment(pickup)


def refund(payment, cents, *, staff_user, pickup_id=None):
    return refunds.refund_payment(
        payment=payment, pickup_id=pickup_id, amount_cents=cents, reason="Bin not fully emptied", by=staff_user
    )


def day(moment, location) -> str:
    """A booked moment's day as the place reads it: 'Dec 3'."""
    return f"{timezone.localtime(moment, ZoneInfo(location.timezone)):%b %-d}"


def row_of(page, payment) -> str:
    return re.search(rf'<tr id="payment-{payment.pk}">(.*?)</tr>', page, re.S).group(1)


# --- A partial refund ----------------------------------------------------------------------------------------


def test_a_partial_refund_reaches_the_billing_page_the_pickup_and_the_receipt(
    owner_client, paid, location, staff_user, stripe_refunds
):
    made = refund(paid, 2_000, staff_user=staff_user)
    on = day(made.entries.get(kind=LedgerEntry.Kind.REFUND).created_at, location)
    sentence = f"Paid $82.20 · refunded $20.00 on {on} · you paid $62.20"

    billing = owner_client.get(reverse("billing")).content.decode()
    pickup = owner_client.get(reverse("pickup_detail", args=[paid.pickup_id])).content.decode()
    receipt = owner_client.get(reverse("receipt_detail", args=[paid.pk])).content.decode()

    assert sentence in row_of(billing, paid)
    assert reverse("receipt_detail", args=[paid.pk]) in row_of(billing, paid)
    assert sentence in pickup and reverse("receipt_detail", args=[paid.pk]) in pickup
    assert 'Charged to your card</th><td class="amount">$82.20' in receipt
    assert f"Refunded to your card on {on}, " in receipt and "-$20.00" in receipt
    assert 'You paid</th><td class="amount"><strong>$62.20' in receipt
    text = receipt_text(receipts.receipt_of(customer=paid.customer, payment_id=paid.pk))
    assert "Charged to your card $82.20" in text
    assert f"Refunded to your card on {on}" in text and "-$20.00" in text
    assert "You paid $62.20" in text


def test_the_old_page_said_paid_and_nothing_else(owner_client, paid):
    # Before any refund the sentence stops at what was paid: no "you paid" that could disagree with it.
    page = owner_client.get(reverse("pickup_detail", args=[paid.pickup_id])).content.decode()
    assert "Paid $82.20" in page and "refunded" not in page and "you paid" not in page


def test_a_refund_stripe_has_not_confirmed_is_not_shown(owner_client, paid):
    # Recorded but unconfirmed (Stripe's answer lost): nothing is booked, so no page says it was refunded.
    paid.refunds.create(pickup_id=paid.pickup_id, amount_cents=2_000, reason="Lost answer")
    page = owner_client.get(reverse("billing")).content.decode()
    assert "refunded" not in row_of(page, paid)
    assert receipts.receipt_of(customer=paid.customer, payment_id=paid.pk).money.paid_cents == 8_220


# --- A full refund -------------------------------------------------------------------------------------------


def test_a_full_refund_leaves_nothing_paid(owner_client, paid, location, staff_user, stripe_refunds):
    first = refund(paid, 2_000, staff_user=staff_user)
    rest = refund(paid, 6_220, staff_user=staff_user)
    days = [day(made.entries.get(kind="refund").created_at, location) for made in (first, rest)]

    billing = owner_client.get(reverse("billing")).content.decode()
    receipt = receipts.receipt_of(customer=paid.customer, payment_id=paid.pk)

    expected = f"Paid $82.20 · refunded $20.00 on {days[0]} · refunded $62.20 on {days[1]} · you paid $0.00"
    assert expected in row_of(billing, paid)
    assert (receipt.money.charged_cents, receipt.money.refunded_cents, receipt.money.paid_cents) == (8_220, 8_220, 0)
    text = receipt_text(receipt)
    assert "-$20.00" in text and "-$62.20" in text and "You paid $0.00" in text


# --- Credit ----------------------------------------------------------------------------------------------------


def test_credit_granted_for_a_visit_and_spent_later_is_traced(owner_client, paid, location, in_area_hauler):
    refunds.grant_credit(
        customer=paid.customer, amount_cents=1_000, reason="Lid left open", key="test:lid", pickup=paid.pickup
    )
    later = support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=1))
    credited_on = day(LedgerEntry.objects.get(kind="credit_granted").created_at, location)

    billing = owner_client.get(reverse("billing")).content.decode()
    pickup = owner_client.get(reverse("pickup_detail", args=[paid.pickup_id])).content.decode()
    receipt = receipts.receipt_of(customer=paid.customer, payment_id=paid.pk)
    spent_on = receipts.receipt_of(customer=paid.customer, payment_id=later.pk)

    history = billing[billing.index('id="credit-history-heading"') :]
    assert "Credited: Lid left open" in history and "+$10.00" in history
    assert reverse("pickup_detail", args=[paid.pickup_id]) in history
    assert f'Spent on <a href="{reverse("receipt_detail", args=[later.pk])}">receipt {later.pk}</a>' in history
    assert "Paid $20.00 after $10.00 of credit" in row_of(billing, later)
    assert f"$10.00 credited to your balance on {credited_on}: Lid left open" in pickup
    assert receipt.money.credited_cents == 1_000 and receipt.money.paid_cents == 8_220  # the card paid all of it
    assert "$10.00 on" in receipt_text(receipt) and "Lid left open" in receipt_text(receipt)
    assert (spent_on.money.credit_cents, spent_on.money.charged_cents) == (1_000, 2_000)
    assert "Credit applied -$10.00" in receipt_text(spent_on)


def test_a_missed_visit_s_credit_shows_on_its_page_without_a_payment(owner_client, location, in_area_hauler):
    missed = factories.PickupFactory(location=location, hauler=in_area_hauler, status="missed")
    refunds.grant_credit(customer=missed.customer, amount_cents=2_500, reason="Missed pickup", key="m", pickup=missed)

    page = owner_client.get(reverse("pickup_detail", args=[missed.pk])).content.decode()

    assert "$25.00 credited to your balance on" in page and "Missed pickup" in page
    assert "Receipt" not in page and "to your card" not in page


def test_the_pickup_page_keeps_its_query_pin_with_refunds_and_credit(
    owner_client, paid, staff_user, stripe_refunds, django_assert_max_num_queries
):
    refund(paid, 2_000, staff_user=staff_user)
    refund(paid, 1_000, staff_user=staff_user)
    refunds.grant_credit(customer=paid.customer, amount_cents=500, reason="Sorry", key="s", pickup=paid.pickup)

    with django_assert_max_num_queries(PICKUP_MAX_QUERIES):
        owner_client.get(reverse("pickup_detail", args=[paid.pickup_id]))


# --- An invoice ------------------------------------------------------------------------------------------------


@pytest.fixture
def paid_invoice(card, customer, location, in_area_hauler):
    visits = [support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=40 + n) for n in range(2)]
    invoice = support.invoice_for(customer, visits)
    support.settle(invoice.payment, intent="pi_invoice_1")
    invoice.refresh_from_db()
    return invoice


def test_an_invoice_shows_each_line_s_refund_and_the_totals(
    owner_client, paid_invoice, location, staff_user, stripe_refunds
):
    first, second = paid_invoice.lines.all()
    made = refund(paid_invoice.payment, 700, staff_user=staff_user, pickup_id=second.pickup_id)
    on = timezone.localtime(made.entries.get(kind="refund").created_at, ZoneInfo(location.timezone))

    page = owner_client.get(reverse("invoice_detail", args=[paid_invoice.pk])).content.decode()
    text = invoice_text(paid_invoice)
    receipt = receipts.receipt_of(customer=paid_invoice.customer, payment_id=paid_invoice.payment.pk)

    line = re.search(rf'<tr id="line-{second.pickup_id}">(.*?)</tr>', page, re.S).group(1)
    assert f"Refunded $7.00 on {on:%b %-d, %Y}" in line
    assert "Refunded" not in re.search(rf'<tr id="line-{first.pickup_id}">(.*?)</tr>', page, re.S).group(1)
    assert 'Refunded since</th><td class="amount">-$7.00' in page and "$53.00" in page
    assert reverse("receipt_detail", args=[paid_invoice.payment.pk]) in page
    assert f"Refunded $7.00 on {on:%b %-d, %Y}" in text and "Refunded since -$7.00" in text
    assert "You paid $53.00" in text
    assert [line.money.refunded_cents for line in receipt.lines] == [0, 700]
    assert receipt.money.paid_cents == 5_300 and "Invoice" in receipt_text(receipt)


def test_an_unpaid_invoice_has_no_receipt_and_no_refund_column(owner_client, customer, location, in_area_hauler):
    invoice = support.invoice_for(customer, [support.completed_pickup(location=location, hauler=in_area_hauler)])
    page = owner_client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Refunded" not in page and reverse("receipt_detail", args=[invoice.payment.pk]) not in page
    assert owner_client.get(reverse("receipt_detail", args=[invoice.payment.pk])).status_code == 404


# --- The receipt -------------------------------------------------------------------------------------------------


def test_the_receipt_names_the_card_the_time_in_the_place_s_zone_and_who_to_ask(owner_client, paid, location, settings):
    settings.SUPPORT_EMAIL = "help@haulmatch.example"
    Payment.objects.filter(pk=paid.pk).update(paid_at=dt.datetime(2026, 12, 3, 3, 30, tzinfo=dt.UTC))

    page = owner_client.get(reverse("receipt_detail", args=[paid.pk])).content.decode()
    text = receipt_text(receipts.receipt_of(customer=paid.customer, payment_id=paid.pk))

    # 03:30 UTC on Dec 3 is the evening of Dec 2 in Austin
    for said in (page, text):
        assert "Visa ending 4242" in said and "December 2, 2026, 9:30 PM CST" in said
        assert "HaulMatch" in said and "help@haulmatch.example" in said and paid.customer.name in said
    assert location.timezone == "America/Chicago"


def test_another_business_s_receipt_and_an_unpaid_one_are_not_found(owner_client, location, in_area_hauler):
    elsewhere = factories.LocationFactory()
    theirs = support.paid_payment(support.completed_pickup(location=elsewhere, hauler=in_area_hauler))
    unpaid = support.failed_payment(support.completed_pickup(location=location, hauler=in_area_hauler))

    for payment in (theirs, unpaid):
        assert owner_client.get(reverse("receipt_detail", args=[payment.pk])).status_code == 404


def test_from_the_pickup_on_to_its_receipt_or_told_it_is_not_charged(
    owner_client, paid, location, in_area_hauler, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    waiting = support.completed_pickup(location=location, hauler=in_area_hauler)
    rival = support.completed_pickup(location=factories.LocationFactory(), hauler=in_area_hauler)

    found = owner_client.get(reverse("receipt_for_pickup", args=[paid.pickup_id]))
    not_yet = owner_client.get(reverse("receipt_for_pickup", args=[waiting.pk]), follow=True)

    assert found["Location"] == reverse("receipt_detail", args=[paid.pk])
    assert "has not been charged yet" in not_yet.content.decode()
    assert owner_client.get(reverse("receipt_for_pickup", args=[rival.pk])).status_code == 404


def test_the_completed_email_links_the_receipt(location, in_area_hauler):
    from marketplace import notifications

    pickup = support.completed_pickup(location=location, hauler=in_area_hauler)
    notifications.send("pickup_completed", pickup.pk)

    assert reverse("receipt_for_pickup", args=[pickup.pk]) in mail.outbox[-1].body


def test_the_receipts_add_up_to_the_ledger(paid, paid_invoice, location, in_area_hauler, staff_user, stripe_refunds):
    # Every cent a receipt shows is a booked entry: over all of a business's receipts, what was charged, refunded
    # and spent from credit is the ledger's own total of each kind.
    refund(paid, 2_000, staff_user=staff_user)
    refund(paid_invoice.payment, 700, staff_user=staff_user, pickup_id=paid_invoice.lines.last().pickup_id)
    refunds.grant_credit(customer=paid.customer, amount_cents=1_500, reason="Late", key="late", pickup=paid.pickup)
    support.paid_payment(support.completed_pickup(location=location, hauler=in_area_hauler, days_ago=1))

    shown = receipts.receipts(payments=list(receipts.receipts_of(customer=paid.customer)))
    booked = {
        kind: sum(LedgerEntry.objects.filter(kind=kind).values_list("amount_cents", flat=True))
        for kind in ("charge", "refund", "credit")
    }

    assert sum(receipt.money.charged_cents for receipt in shown) == booked["charge"]
    assert sum(receipt.money.refunded_cents for receipt in shown) == booked["refund"] == 2_700
    assert sum(receipt.money.credit_cents for receipt in shown) == booked["credit"] == 1_500
    assert sum(receipt.money.credited_cents for receipt in shown) == 1_500
