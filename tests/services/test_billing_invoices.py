"""Monthly invoices for plan visits against the Stripe stand-in: one per business per month, charged once."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from billing import ledger, refunds
from billing.models import Invoice, InvoiceLine, Payment
from marketplace import payments, plans
from marketplace import tasks as market_tasks
from marketplace.models import Pickup, ServicePlan
from tests import factories
from tests.services.billing_support import kind_totals, last_month, remote, save_card, scheduled_pickup

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def weekly_plan(customer, hauler, *, price=6_000, payout=4_800) -> ServicePlan:
    location = customer.locations.first() or factories.LocationFactory(customer=customer)
    return ServicePlan.objects.create(
        customer=customer, location=location, hauler=hauler, waste_stream="trash", container="dumpster_4yd",
        quantity=1, frequency="weekly", weekdays=0b1111111, start_date=timezone.localdate() - dt.timedelta(days=90),
        status=ServicePlan.Status.ACTIVE, price_cents=price, payout_cents=payout,
    )  # fmt: skip


def visit(plan: ServicePlan, day: dt.date, status=Pickup.Status.COMPLETED) -> Pickup:
    return scheduled_pickup(
        plan.customer, plan.hauler, price=plan.price_cents, payout=plan.payout_cents, service_date=day,
        plan=plan, plan_date=day, status=status,
    )  # fmt: skip


def test_last_months_visits_make_one_invoice_per_business_charged_once(stripe_on, customer, in_area_hauler):
    today = timezone.localdate()
    month = last_month(today)
    other = factories.CustomerFactory(name="Second Business")
    factories.LocationFactory(customer=other)
    for business in (customer, other):
        save_card(business)
    mine = weekly_plan(customer, in_area_hauler, price=6_000, payout=4_800)
    theirs = weekly_plan(other, in_area_hauler, price=9_000, payout=7_000)
    done = [visit(mine, month + dt.timedelta(days=d)) for d in (2, 9, 16)]
    visit(mine, month + dt.timedelta(days=23), status=Pickup.Status.MISSED)  # not done: not billed
    this_month = visit(mine, today.replace(day=1))  # next month's invoice
    [their_visit] = [visit(theirs, month + dt.timedelta(days=4))]
    scheduled_pickup(customer, in_area_hauler, service_date=month, status=Pickup.Status.COMPLETED)  # one-time
    refunds.grant_credit(customer=other, amount_cents=2_500, reason="Missed pickup", key="test:other")

    invoices = payments.issue_invoices(today=today)

    assert sorted((i.customer.name, i.month, i.subtotal_cents, i.credit_cents, i.total_cents) for i in invoices) == [
        (customer.name, month, 18_000, 0, 18_000),
        ("Second Business", month, 9_000, 2_500, 6_500),
    ]
    mine_invoice = Invoice.objects.get(customer=customer)
    assert mine_invoice.number == f"HM-{month:%Y%m}-{customer.pk:05d}"
    assert [(line.pickup, line.amount_cents, line.payable_cents) for line in mine_invoice.lines.all()] == [
        (pickup, 6_000, 4_800) for pickup in done
    ]
    for invoice in invoices:
        invoice.refresh_from_db()
        payment = invoice.payment
        assert (invoice.status, payment.status) == (Invoice.Status.PAID, Payment.Status.SUCCEEDED)
        intent = remote(f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
        assert (intent["amount"], intent["status"]) == (invoice.total_cents, "succeeded")
    totals = kind_totals(pickup=their_visit)
    assert (totals["charge"], totals["credit"], totals["hauler_payable"]) == (6_500, 2_500, 7_000)
    assert ledger.unbalanced_pickups() == {}
    assert not InvoiceLine.objects.filter(pickup=this_month).exists()

    assert payments.issue_invoices(today=today) == []
    assert payments.issue_invoices(today=today + dt.timedelta(days=1)) == []
    assert Invoice.objects.count() == 2
    assert len(remote("/v1/payment_intents", limit=100)["data"]) == 2


def test_a_visit_skipped_too_late_puts_its_fee_on_the_invoice(stripe_on, customer, in_area_hauler):
    today = timezone.localdate()
    month = last_month(today)
    save_card(customer)
    plan = weekly_plan(customer, in_area_hauler)
    visit(plan, month + dt.timedelta(days=1))
    late = visit(plan, month + dt.timedelta(days=8), status=Pickup.Status.SCHEDULED)
    early = visit(plan, month + dt.timedelta(days=15), status=Pickup.Status.SCHEDULED)
    with time_machine.travel(late.window()[0] - dt.timedelta(hours=2)):
        plans.pause_plan(plan=plan, customer=customer, start=late.service_date, end=late.service_date)
        plans.pause_plan(plan=plan, customer=customer, start=early.service_date, end=early.service_date)
    late.refresh_from_db()
    early.refresh_from_db()
    fee = settings.CANCELLATION_FEE_CENTS
    assert (late.status, late.cancellation_fee_cents) == (Pickup.Status.SKIPPED, fee)
    assert (early.status, early.cancellation_fee_cents) == (Pickup.Status.SKIPPED, 0)

    [invoice] = payments.issue_invoices(today=today)

    assert [(line.pickup, line.amount_cents, line.payable_cents) for line in invoice.lines.all()] == [
        (plan.visits.get(service_date=month + dt.timedelta(days=1)), 6_000, 4_800),
        (late, fee, 0),
    ]
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    totals = kind_totals(pickup=late)
    assert (totals["charge"], totals["platform_fee"], totals["hauler_payable"]) == (fee, fee, 0)
    assert ledger.unbalanced_pickups() == {}


def test_the_beat_invoices_a_month_once_its_grace_has_passed(stripe_on, customer, in_area_hauler, run_on_commit):
    save_card(customer)
    plan = weekly_plan(customer, in_area_hauler)
    last_evening = visit(plan, dt.date(2027, 1, 31))  # done late on the month's last day, local time

    for day in (1, 2):  # inside INVOICE_GRACE (two days): January is not invoiced yet
        with time_machine.travel(dt.datetime(2027, 2, day, 6, 0, tzinfo=dt.UTC), tick=False):
            assert run_on_commit(market_tasks.issue_invoices) == 0
    with time_machine.travel(dt.datetime(2027, 2, 3, 6, 0, tzinfo=dt.UTC), tick=False):
        assert run_on_commit(market_tasks.issue_invoices) == 1

    invoice = Invoice.objects.get()
    assert (invoice.month, [line.pickup for line in invoice.lines.all()]) == (dt.date(2027, 1, 1), [last_evening])
    assert invoice.payment.status == Payment.Status.SUCCEEDED
