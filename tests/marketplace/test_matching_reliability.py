"""Matching ranks by price weighted by reliability, keeps offers from haulers under the minimum score while better
ones are eligible, skips paused haulers, and the quote is still the chosen hauler's payout plus the fee."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from haulers.models import Hauler
from marketplace import dispatch, matching, pricing, services
from marketplace.models import Offer
from tests import factories

SERVICE_DAY = timezone.localdate() + dt.timedelta(days=10)


def hauler(price_cents: int, score: str, **fields) -> int:
    h = factories.HaulerFactory(zips=["78701"], reliability_score=Decimal(score), **fields)
    factories.RateFactory(hauler=h, price_cents=price_cents)
    factories.HaulerMembershipFactory(hauler=h)
    return h.pk


def ranked(location) -> list[int]:
    request = matching.Request.at(
        location, waste_stream="trash", container="dumpster_4yd", quantity=1, service_date=SERVICE_DAY
    )
    return [c.hauler_id for c in matching.ranked_haulers(request)]


def quote(location):
    return services.create_quote(
        customer=location.customer, location=location, waste_stream="trash", container="dumpster_4yd", quantity=1,
        service_date=SERVICE_DAY,
    )  # fmt: skip


@pytest.mark.django_db
@override_settings(MATCH_MIN_RELIABILITY=Decimal("0"))  # the weighting alone, not the minimum, decides it
def test_a_much_more_reliable_hauler_wins_a_near_tie(location):
    flaky = hauler(6_000, "0.100")  # $60.00 weighs 6,000 x (1 + 0.5 x 0.90) = 8,700
    steady = hauler(6_001, "0.990")  # $60.01 weighs 6,001 x 1.005 = 6,031
    assert ranked(location) == [steady, flaky]  # price first, as before, ranked flaky first


@pytest.mark.django_db
def test_a_far_cheaper_decent_hauler_still_wins(location):
    steady = hauler(6_001, "0.990")
    decent_and_cheap = hauler(5_000, "0.800")  # weighs 5,500
    assert ranked(location) == [decent_and_cheap, steady]


@pytest.mark.django_db
def test_the_quote_is_the_best_ranked_haulers_payout_plus_the_fee_and_the_offer_goes_to_it(location, run_on_commit):
    hauler(6_000, "0.650")  # cheapest, above the minimum, but weighs 6,000 x 1.175 = 7,050
    steady = hauler(6_001, "0.990")

    priced = quote(location)

    assert (priced.payout_cents, priced.price_cents) == (6_001, pricing.customer_price_cents(6_001))
    assert priced.ranking[0]["hauler"] == steady
    pickup = run_on_commit(services.book_quote, quote=priced, customer=location.customer)
    offer = pickup.offers.get()
    assert (offer.hauler_id, offer.payout_cents) == (steady, 6_001)
    assert pickup.price_cents == offer.payout_cents + pricing.platform_fee_cents(offer.payout_cents)


@pytest.mark.django_db
def test_no_offer_goes_under_the_minimum_score_while_someone_above_it_is_eligible(location):
    sloppy = hauler(3_000, "0.550")
    fair = hauler(9_000, "0.700")
    assert ranked(location) == [fair]
    Hauler.objects.filter(pk=fair).update(status=Hauler.Status.SUSPENDED)
    assert ranked(location) == [sloppy]  # nobody better: the job still gets done


@pytest.mark.django_db
@override_settings(OFFER_FANOUT=2)
def test_a_pending_offer_to_a_hauler_above_the_minimum_keeps_the_second_offer_from_one_under_it(
    location, run_on_commit
):
    fair = hauler(9_000, "0.700")
    hauler(9_100, "0.550")
    pickup = run_on_commit(services.book_quote, quote=quote(location), customer=location.customer)
    assert list(pickup.offers.values_list("hauler_id", flat=True)) == [fair]
    run_on_commit(dispatch.dispatch_pickup, pickup_id=pickup.pk)  # a sweep runs it again: still one offer
    assert pickup.offers.count() == 1


@pytest.mark.django_db
@override_settings(MATCH_RELIABILITY_WEIGHT=Decimal("0"), MATCH_MIN_RELIABILITY=Decimal("0"))
def test_a_weight_and_minimum_of_zero_give_the_old_rule(location):
    flaky = hauler(6_000, "0.100")
    steady = hauler(6_001, "0.990")
    tie = hauler(6_000, "0.500")
    assert ranked(location) == [tie, flaky, steady]  # price, then score


@pytest.mark.django_db
def test_a_paused_hauler_gets_no_quote_or_offer_but_may_answer_one_it_holds(location, run_on_commit):
    cheap = hauler(5_000, "0.950")
    other = hauler(7_000, "0.950")
    pickup = run_on_commit(services.book_quote, quote=quote(location), customer=location.customer)
    held = pickup.offers.get()
    assert held.hauler_id == cheap

    Hauler.objects.filter(pk=cheap).update(offers_paused_until=timezone.now() + dt.timedelta(hours=24))

    assert ranked(location) == [other]
    assert quote(location).payout_cents == 7_000
    owner = Hauler.objects.get(pk=cheap).memberships.get().user
    run_on_commit(dispatch.accept_offer, offer_id=held.pk, hauler=Hauler.objects.get(pk=cheap), by=owner)
    assert Offer.objects.get(pk=held.pk).status == Offer.Status.ACCEPTED
    Hauler.objects.filter(pk=cheap).update(offers_paused_until=timezone.now() - dt.timedelta(minutes=1))
    assert ranked(location)[0] == cheap  # a pause that ended is no pause
