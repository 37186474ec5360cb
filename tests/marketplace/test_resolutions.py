"""Staff settle a case: a make-up, a credit, both, an overturned claim, or a rejection; each side told; the ledger
stays balanced; a case not open, or asked for nothing, is refused. (Refunds through Stripe: tests/services.)"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing import ledger
from billing.models import Dispute, LedgerEntry, Payment
from core.errors import Conflict
from marketplace import resolutions
from marketplace.models import Case, CaseMessage, Notification, Pickup
from tests import factories


def hauler(name, price):
    made = factories.HaulerFactory(name=name, zips=["78701"])
    factories.RateFactory(hauler=made, price_cents=price)
    factories.HaulerMembershipFactory(hauler=made)
    return made


@pytest.fixture
def first(db):
    return hauler("Original Hauling", 8_500)


@pytest.fixture
def second(db):
    return hauler("Second Best", 9_000)


def reported(customer, hauler, *, status=Pickup.Status.COMPLETED, problem=Case.Problem.NOT_EMPTIED, **fields):
    pickup = factories.PickupFactory(
        customer=customer, location=customer.locations.get(), hauler=hauler, container="dumpster_4yd",
        status=status, price_cents=12_000, payout_cents=8_500, service_date=timezone.localdate(), **fields,
    )  # fmt: skip
    return Case.objects.create(
        customer=customer, pickup=pickup, hauler=hauler, problem=problem, description="Half the bin is still full",
        respond_by=timezone.now() + dt.timedelta(hours=48),
    )  # fmt: skip


def settle(run_on_commit, case, by, **parts):
    choice = {"make_up": False, "refund_cents": 0, "credit_cents": 0, "note": "", "claim_overturned": False}
    return run_on_commit(resolutions.resolve, case=case, by=by, **{**choice, **parts})


@pytest.mark.django_db
def test_a_make_up_and_a_credit_together_settle_the_case_and_both_sides_are_told(
    customer, first, second, staff_user, run_on_commit
):
    case = reported(customer, first)
    mail.outbox.clear()
    settled = settle(run_on_commit, case, staff_user, make_up=True, credit_cents=1_500, note="Sorry about that.")

    assert (settled.status, settled.resolved_by, settled.credit_cents) == (Case.Status.RESOLVED, staff_user, 1_500)
    made = settled.make_up
    assert made.make_up_of == case.pickup and made.price_cents == 0  # the visit was charged: the redo is free
    assert list(made.offers.values_list("hauler__name", "payout_cents")) == [("Original Hauling", 0)]
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 1_500
    assert ledger.unbalanced_pickups() == {}
    said = CaseMessage.objects.get(case=case, side=CaseMessage.Side.SYSTEM).body
    assert said.startswith("Settled: a make-up visit on ") and "$15.00 of credit" in said
    business = Notification.objects.get(kind="case_resolved")
    assert business.user == customer.memberships.get().user
    assert "$15.00 of credit" in business.body and "make-up visit is booked" in business.body
    assert Notification.objects.filter(kind="case_resolved_hauler", user__hauler_membership__hauler=first).exists()


@pytest.mark.django_db
def test_resolving_twice_is_refused_and_changes_nothing(customer, first, staff_user, run_on_commit):
    case = reported(customer, first)
    settle(run_on_commit, case, staff_user, credit_cents=1_000)
    with pytest.raises(Conflict, match="already resolved"):
        settle(run_on_commit, case, staff_user, credit_cents=1_000)
    with pytest.raises(Conflict):
        resolutions.reject(case=case, by=staff_user, reason="No")
    credits = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CREDIT_GRANTED, customer=customer)
    assert list(credits.values_list("amount_cents", flat=True)) == [1_000]


@pytest.mark.django_db
def test_a_credit_is_granted_once_even_when_a_crashed_resolve_is_retried(customer, first, staff_user, run_on_commit):
    case = reported(customer, first)
    from billing import refunds

    refunds.grant_credit(customer=customer, amount_cents=700, reason="half-done", key=f"case:{case.pk}")  # the crash
    settle(run_on_commit, case, staff_user, credit_cents=700)
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 700


@pytest.mark.django_db
def test_an_overturned_claim_is_recorded_and_its_make_up_goes_to_another_hauler_at_the_original_price(
    customer, first, second, staff_user, run_on_commit
):
    case = reported(
        customer, first, status=Pickup.Status.MISSED, problem=Case.Problem.MISSED, exception_reason="blocked"
    )
    settled = settle(run_on_commit, case, staff_user, make_up=True, claim_overturned=True, note="The gate was open.")
    assert settled.claim_overturned
    assert settled.make_up.price_cents == 12_000  # the missed visit was never charged
    assert list(settled.make_up.offers.values_list("hauler__name", flat=True)) == ["Second Best"]


@pytest.mark.django_db
def test_a_resolve_that_asks_for_nothing_or_too_much_is_refused_with_field_errors(customer, first, staff_user):
    case = reported(customer, first)
    with pytest.raises(ValidationError) as nothing:
        resolutions.resolve(
            case=case, by=staff_user, make_up=False, refund_cents=0, credit_cents=0, note="", claim_overturned=False
        )
    assert "reject it with a reason" in str(nothing.value)
    with pytest.raises(ValidationError) as wrong:
        resolutions.resolve(
            case=case, by=staff_user, make_up=False, refund_cents=500, credit_cents=-1, note="", claim_overturned=True
        )
    assert set(wrong.value.message_dict) == {"refund_cents", "credit_cents", "claim_overturned"}
    assert "Nothing paid by card" in wrong.value.message_dict["refund_cents"][0]
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_a_card_dispute_is_not_settled_by_staff(customer, first, staff_user):
    pickup = reported(customer, first).pickup
    payment = Payment.objects.create(customer=customer, pickup=pickup, description="Trash", amount_cents=12_000)
    dispute = Dispute.objects.create(
        payment=payment, stripe_dispute_id="dp_1", amount_cents=12_000, status="needs_response"
    )
    case = Case.objects.create(
        kind=Case.Kind.DISPUTE, customer=customer, payment=payment, dispute=dispute, respond_by=timezone.now()
    )
    with pytest.raises(Conflict, match="card network"):
        resolutions.reject(case=case, by=staff_user, reason="No")


@pytest.mark.django_db
def test_a_rejection_needs_a_reason_and_tells_both_sides_why(customer, first, staff_user, run_on_commit):
    case = reported(customer, first)
    with pytest.raises(ValidationError):
        resolutions.reject(case=case, by=staff_user, reason="  ")
    rejected = run_on_commit(resolutions.reject, case=case, by=staff_user, reason="The photos show an empty bin.")
    assert (rejected.status, rejected.resolution_note) == (Case.Status.REJECTED, "The photos show an empty bin.")
    assert "Why: The photos show an empty bin." in Notification.objects.get(kind="case_rejected").body
    hauler_note = Notification.objects.get(kind="case_rejected_hauler")
    assert hauler_note.title == f"Case {case.pk} closed with no action against you"


@pytest.mark.django_db
def test_while_one_settlement_is_under_way_other_terms_and_a_rejection_are_refused_before_any_money_moves(
    customer, first, staff_user, run_on_commit
):
    case = reported(customer, first)
    # Staff A's settlement has claimed the case and is between its parts (its credit not yet granted).
    terms = {"make_up": False, "refund_cents": 0, "credit_cents": 1_000, "claim_overturned": False, "note": "A"}
    Case.objects.filter(pk=case.pk).update(settling=terms)

    with pytest.raises(Conflict, match="with other terms"):
        settle(run_on_commit, case, staff_user, credit_cents=2_500, note="B")  # staff B, at the same moment
    with pytest.raises(Conflict, match="settling this case right now"):
        resolutions.reject(case=case, by=staff_user, reason="B thinks it is fine")
    assert not LedgerEntry.objects.exists()

    settled = settle(run_on_commit, case, staff_user, credit_cents=1_000, note="A")  # A's retry goes on
    assert (settled.status, settled.credit_cents) == (Case.Status.RESOLVED, 1_000)
    assert ledger.credit_balance_cents(customer_id=customer.pk) == 1_000


@pytest.mark.django_db
def test_a_visit_whose_payment_the_bank_disputes_offers_no_refund_and_says_why(customer, first, staff_user):
    case = reported(customer, first)
    payment = Payment.objects.create(
        customer=customer, pickup=case.pickup, description="Trash", amount_cents=12_000,
        status=Payment.Status.SUCCEEDED, stripe_payment_intent_id="pi_disputed",
    )  # fmt: skip
    LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.CHARGE, amount_cents=12_000, payment=payment, pickup=case.pickup, key="charge:test"
    )
    assert resolutions.refundable_cents(case=case) == 12_000
    Dispute.objects.create(payment=payment, stripe_dispute_id="dp_2", amount_cents=12_000, status="needs_response")
    assert resolutions.refundable_cents(case=case) == 0
    with pytest.raises(ValidationError) as refused:
        resolutions.resolve(
            case=case, by=staff_user, make_up=False, refund_cents=500, credit_cents=0, note="", claim_overturned=False
        )
    assert "bank disputes this payment" in refused.value.message_dict["refund_cents"][0]
