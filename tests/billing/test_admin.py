"""Staff and money in the admin: refunds and credit through the services, webhook events again, the books' totals."""

import re

import pytest
from django.contrib.messages import ERROR, SUCCESS, WARNING, get_messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from billing import charges, ledger, refunds
from billing import stripe_gateway as gateway
from billing.models import BillingAccount, LedgerEntry, Payment, Payout, PayoutAccount, Refund, StripeEvent
from tests import factories
from tests.billing.support import completed_pickup, failed_payment, invoice_for, paid_payment, payout_for

pytestmark = pytest.mark.django_db


def _messages(response):
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def _errors(response, field):
    return response.context["form"].errors.get(field, [])


@pytest.fixture
def payment(location, in_area_hauler):
    """A $30.00 card payment, paid."""
    return paid_payment(completed_pickup(location=location, hauler=in_area_hauler, price_cents=3_000))


@pytest.fixture
def stripe_refunds(monkeypatch):
    """Stripe accepts every refund (the services tier sends real ones to the Stripe stand-in)."""
    sent = []

    def refund(**kwargs):
        sent.append(kwargs)
        return f"re_test_{len(sent)}", "succeeded"

    monkeypatch.setattr(gateway, "refund", refund)
    return sent


def refund_url(payment):
    return reverse("admin:billing_payment_refund", args=[payment.pk])


# --- Refunds ---------------------------------------------------------------------------------------------


def test_payment_change_page_links_to_refund(staff_client, payment):
    page = staff_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).content.decode()
    assert f'href="{refund_url(payment)}"' in page


def test_a_refund_above_what_is_refundable_is_a_form_error(staff_client, payment, stripe_refunds):
    response = staff_client.post(refund_url(payment), {"amount_cents": "30.01", "reason": "Bin not emptied"})

    assert response.status_code == 200
    assert _errors(response, "amount_cents") == ["At most $30.00 can be refunded for this visit."]
    assert "At most $30.00 can be refunded for this visit." in response.content.decode()
    assert not Refund.objects.exists() and stripe_refunds == []


def test_the_service_has_the_last_word_on_what_is_refundable(staff_client, payment, stripe_refunds, monkeypatch):
    """A refund made meanwhile (another tab) is caught by the service's check under the payment's lock."""
    real = refunds.refundable_cents
    calls = []

    def stale(**kwargs):
        calls.append(kwargs)
        return 3_000 if len(calls) == 1 else real(**kwargs)  # the form saw $30.00; the service sees what is left

    monkeypatch.setattr(refunds, "refundable_cents", stale)
    Refund.objects.create(payment=payment, pickup=payment.pickup, amount_cents=2_500, reason="Earlier")

    response = staff_client.post(refund_url(payment), {"amount_cents": "10.00", "reason": "Twice"})

    assert _errors(response, "amount_cents") == ["At most 500 cents can be refunded for this pickup."]
    assert Refund.objects.count() == 1 and stripe_refunds == []


@pytest.mark.parametrize(
    ("form", "field"),
    [({"amount_cents": "0", "reason": "x"}, "amount_cents"), ({"amount_cents": "abc", "reason": "x"}, "amount_cents"),
     ({"amount_cents": "5.00", "reason": "  "}, "reason"), ({"amount_cents": "5.001", "reason": "x"}, "amount_cents")],
)  # fmt: skip
def test_bad_refund_input_is_a_form_error(staff_client, payment, stripe_refunds, form, field):
    response = staff_client.post(refund_url(payment), form)

    assert response.status_code == 200 and _errors(response, field)
    assert not Refund.objects.exists()


def test_a_refund_goes_through_the_service(staff_client, staff_user, payment, stripe_refunds):
    response = staff_client.post(refund_url(payment), {"amount_cents": "12.50", "reason": "Bin not emptied"})

    assert response["Location"] == reverse("admin:billing_payment_change", args=[payment.pk])
    assert _messages(response) == [(SUCCESS, f"Refunded $12.50 on payment {payment.pk}.")]
    refund = Refund.objects.get()
    assert (refund.amount_cents, refund.reason, refund.created_by, refund.stripe_refund_id) == (
        1_250, "Bin not emptied", staff_user, "re_test_1",
    )  # fmt: skip
    assert stripe_refunds[0]["payment_intent_id"] == payment.stripe_payment_intent_id
    kinds = set(LedgerEntry.objects.filter(refund=refund).values_list("kind", "amount_cents"))
    assert kinds == {(LedgerEntry.Kind.REFUND, 1_250), (LedgerEntry.Kind.PLATFORM_FEE, -1_250)}
    assert ledger.unbalanced_pickups() == {}


def test_stripe_refusing_a_refund_is_shown_and_leaves_no_refund(staff_client, payment):
    response = staff_client.post(refund_url(payment), {"amount_cents": "5.00", "reason": "Goodwill"})

    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error == "Stripe refused the refund: Payments are not set up on this installation."
    assert _messages(response) == [(ERROR, error)]
    assert not Refund.objects.exists()


def test_an_unpaid_payment_cannot_be_refunded(staff_client, location, in_area_hauler, stripe_refunds):
    unpaid = failed_payment(completed_pickup(location=location, hauler=in_area_hauler))

    response = staff_client.post(refund_url(unpaid), {"amount_cents": "5.00", "reason": "Goodwill"})

    assert response.status_code == 200
    assert "Only a paid card payment can be refunded." in response.content.decode()
    assert not Refund.objects.exists() and stripe_refunds == []
    page = staff_client.get(reverse("admin:billing_payment_change", args=[unpaid.pk])).content.decode()
    assert refund_url(unpaid) not in page


def test_an_invoice_refund_names_its_visit(staff_client, customer, location, in_area_hauler, stripe_refunds):
    visits = [completed_pickup(location=location, hauler=in_area_hauler, price_cents=c) for c in (4_000, 6_000)]
    invoice = invoice_for(customer, visits)
    invoice_payment = Payment.objects.get(invoice=invoice)
    with transaction.atomic():
        charges._settle(Payment.objects.select_for_update().get(pk=invoice_payment.pk), payment_intent_id="pi_inv")

    page = staff_client.get(refund_url(invoice_payment)).content.decode()
    assert "(refundable $40.00)" in page and "(refundable $60.00)" in page

    missing = staff_client.post(refund_url(invoice_payment), {"amount_cents": "5.00", "reason": "Late"})
    assert _errors(missing, "pickup") == ["This field is required."]
    too_much = {"pickup": visits[0].pk, "amount_cents": "45.00", "reason": "Late"}
    assert _errors(staff_client.post(refund_url(invoice_payment), too_much), "pickup") == []
    assert _errors(staff_client.post(refund_url(invoice_payment), too_much), "amount_cents") == [
        "At most $40.00 can be refunded for this visit."
    ]
    stranger = {"pickup": 999_999, "amount_cents": "5.00", "reason": "Late"}
    assert _errors(staff_client.post(refund_url(invoice_payment), stranger), "pickup")
    assert not Refund.objects.exists()

    done = staff_client.post(refund_url(invoice_payment), {**too_much, "pickup": visits[1].pk})
    assert done.status_code == 302
    assert Refund.objects.get().pickup_id == visits[1].pk


def test_refund_page_is_staff_only(client, customer_owner, payment):
    client.force_login(customer_owner)
    assert client.get(refund_url(payment))["Location"].startswith(reverse("admin:login"))


# --- Credit ----------------------------------------------------------------------------------------------


def test_staff_grant_credit_once_per_form(staff_client, customer):
    account = factories.BillingAccountFactory(customer=customer)
    url = reverse("admin:billing_billingaccount_grant_credit", args=[account.pk])
    change = reverse("admin:billing_billingaccount_change", args=[account.pk])
    assert f'href="{url}"' in staff_client.get(change).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]+)"', staff_client.get(url).content.decode()).group(1)

    form = {"amount_cents": "25.00", "reason": "Goodwill: late pickup", "token": token}
    response = staff_client.post(url, form)
    staff_client.post(url, form)  # submitted twice

    assert response["Location"] == change
    assert _messages(response) == [(SUCCESS, f"Granted $25.00 of credit to {customer.name}.")]
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 2_500
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.CREDIT_GRANTED)
    assert entry.memo == "Goodwill: late pickup" and entry.key == f"grant:staff:{token.replace('-', '')}"
    assert "$25.00" in staff_client.get(change).content.decode()


@pytest.mark.parametrize("amount", ["", "0", "-5", "ten", "1000000.01", "99999999999"])
def test_a_bad_credit_amount_is_a_form_error(staff_client, customer, amount):
    account = factories.BillingAccountFactory(customer=customer)
    url = reverse("admin:billing_billingaccount_grant_credit", args=[account.pk])

    response = staff_client.post(url, {"amount_cents": amount, "reason": "x", "token": "not-a-token"})

    assert response.status_code == 200 and _errors(response, "amount_cents")
    assert not LedgerEntry.objects.exists()


def test_grant_credit_for_an_unknown_account_is_404(staff_client):
    assert staff_client.get(reverse("admin:billing_billingaccount_grant_credit", args=[404])).status_code == 404


def test_billing_accounts_list_card_failures_and_pause(staff_client, customer):
    factories.BillingAccountFactory(customer=customer, failed_payments=3, bookings_paused_at=timezone.now())
    factories.BillingAccountFactory()

    response = staff_client.get(reverse("admin:billing_billingaccount_changelist"), {"paused": "yes"})

    assert [account.customer for account in response.context["cl"].result_list] == [customer]
    assert "Visa ending 4242" in response.content.decode()
    assert BillingAccount.objects.count() == 2


# --- Stripe events, payouts and the ledger ---------------------------------------------------------------


def test_process_again_resets_a_failed_event_and_handles_it(staff_client):
    failed = StripeEvent.objects.create(
        event_id="evt_1",
        type="account.updated",
        payload={"id": "evt_1", "type": "account.updated", "data": {"object": {"id": "acct_unknown"}}},
        status=StripeEvent.Status.FAILED,
        outcome="GatewayError: Stripe could not be reached",
        attempts=1,
    )
    done = StripeEvent.objects.create(
        event_id="evt_2", type="customer.created", payload={}, status=StripeEvent.Status.IGNORED, attempts=1
    )

    response = staff_client.post(
        reverse("admin:billing_stripeevent_changelist"),
        {"action": "process_again", "_selected_action": [failed.pk, done.pk]},
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.outcome, failed.attempts) == (StripeEvent.Status.PROCESSED, "not one of ours", 2)
    done.refresh_from_db()
    assert (done.status, done.attempts) == (StripeEvent.Status.IGNORED, 1)
    assert set(_messages(response)) == {
        (SUCCESS, "1 event now processed."),
        (SUCCESS, "1 event now ignored (no handler)."),
    }


def test_event_change_page_shows_its_payload(staff_client):
    event = StripeEvent.objects.create(event_id="evt_9", type="charge.failed", payload={"id": "evt_9", "n": 1})
    page = staff_client.get(reverse("admin:billing_stripeevent_change", args=[event.pk])).content.decode()
    assert "&quot;id&quot;: &quot;evt_9&quot;" in page


def test_payout_account_refresh_reports_stripe_errors(staff_client, in_area_hauler):
    account = PayoutAccount.objects.create(hauler=in_area_hauler, stripe_account_id="acct_1")

    response = staff_client.post(
        reverse("admin:billing_payoutaccount_changelist"),
        {"action": "refresh_selected", "_selected_action": [account.pk]},
    )

    assert _messages(response) == [(ERROR, "Downtown Disposal: Payments are not set up on this installation.")]


def test_payout_change_page_lists_its_jobs(staff_client, location, in_area_hauler, payment):
    payout = payout_for(in_area_hauler, [payment.pickup])

    page = staff_client.get(reverse("admin:billing_payout_change", args=[payout.pk])).content.decode()

    assert f"transfer:{payout.pk}:{payment.pickup_id}" in page


def test_send_again_leaves_paid_payouts_alone(staff_client, location, in_area_hauler, payment):
    payout = payout_for(in_area_hauler, [payment.pickup])

    response = staff_client.post(
        reverse("admin:billing_payout_changelist"), {"action": "send_again", "_selected_action": [payout.pk]}
    )

    assert _messages(response) == [(WARNING, "No pending payout was sent.")]
    payout.refresh_from_db()
    assert payout.status == Payout.Status.PAID


def test_ledger_list_shows_the_totals_and_any_unbalanced_pickup(staff_client, payment):
    url = reverse("admin:billing_ledgerentry_changelist")
    page = staff_client.get(url).content.decode()
    assert "Every pickup's entries balance to the cent." in page
    assert "$30.00" in page and "$24.00" in page  # charges, hauler payable

    ledger.post(kind=LedgerEntry.Kind.CHARGE, amount_cents=100, key="stray", pickup_id=payment.pickup_id)

    page = staff_client.get(url, {"kind__exact": "charge"}).content.decode()
    assert "1 pickup does not balance" in page
    assert f"pickup {payment.pickup_id}</a> off by $1.00" in page
    assert reverse("admin:marketplace_pickup_change", args=[payment.pickup_id]) in page
