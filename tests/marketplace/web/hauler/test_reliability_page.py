"""The hauler's "Your reliability" page: the score, each part in sentences with its numbers, how to raise it, a pause
in force, and the link to it in the portal's navigation."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from haulers import pauses
from marketplace import reliability
from tests import factories
from tests.marketplace.reliability_cast import season

pytestmark = pytest.mark.django_db
URL = reverse("hauler_reliability")


@pytest.fixture
def owner(in_area_hauler):
    return factories.HaulerMembershipFactory(hauler=in_area_hauler).user


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_page_says_each_part_with_its_numbers(
    client, owner, in_area_hauler, location, django_assert_max_num_queries
):
    season(location, in_area_hauler)
    reliability.update_reliability(hauler_id=in_area_hauler.pk)  # as the events' tasks would have
    client.force_login(owner)
    with django_assert_max_num_queries(14):
        page = client.get(URL)
    assert page.status_code == 200
    said = text(page)
    score = reliability.report_for(hauler=in_area_hauler).score
    assert f"Your score {round(score * 100)} out of 100" in said
    assert "it becomes" not in said  # the stored score is up to date
    assert (
        "Of 17 visits that came due, 14 were done inside the arrival window, 1 outside it (early or late) and 1 missed."
        in said
    )
    assert "A case found 1 could-not-service report untrue; each counts as two misses." in said
    assert "You kept 20 of the 22 jobs you accepted and gave 2 back, 1 of them within a day of the window." in said
    assert "Of 30 offers, you said yes to 22, declined 6 and let 2 expire." in said
    assert "Businesses rated 10 visits, 4.3 stars on average" in said
    assert said.count("To raise it:") == 4
    assert "40% of your score" in said and "25% of your score" in said
    assert "Every 10 points below 100 add 5% to your price" in said


def test_a_new_hauler_reads_that_it_starts_at_ninety(client, owner):
    client.force_login(owner)
    said = text(client.get(URL))
    assert "Your score 90 out of 100" in said
    assert "No visit of yours came due in the last 90 days." in said
    assert "No business has rated a visit of yours in the last 90 days." in said


def test_a_pause_in_force_says_why_and_until_when_in_the_depots_zone(client, owner, in_area_hauler):
    now = timezone.now()
    pauses.pause_offers(hauler_id=in_area_hauler.pk, reason="0 jobs given back and 4 offers let expire in 24 hours",
                        period=dt.timedelta(hours=24), now=now)  # fmt: skip
    client.force_login(owner)
    said = text(client.get(URL))
    assert "New offers are paused until" in said
    assert re.search(r"paused until \w{3}, \w{3} \d+, \d+:\d\d [AP]M C[SD]T\.", said)
    assert "4 offers let expire in 24 hours." in said


def test_the_portal_links_to_it_next_to_ratings(client, owner):
    client.force_login(owner)
    nav = client.get(reverse("hauler_offers")).content.decode()
    assert nav.index(reverse("hauler_ratings")) < nav.index(URL)


def test_a_driver_does_not_see_it(client, in_area_hauler):
    driver = factories.HaulerMembershipFactory(hauler=in_area_hauler, role="driver").user
    client.force_login(driver)
    assert client.get(URL).status_code == 403


def test_the_offers_page_says_offers_are_paused_and_links_here(client, owner, in_area_hauler):
    client.force_login(owner)
    assert "New offers are paused" not in text(client.get(reverse("hauler_offers")))
    pauses.pause_offers(hauler_id=in_area_hauler.pk, reason="4 offers let expire", period=dt.timedelta(hours=24),
                        now=timezone.now())  # fmt: skip
    page = client.get(reverse("hauler_offers")).content.decode()
    assert "New offers are paused for a day:" in page
    assert f'href="{URL}"' in page


def test_the_headline_is_the_stored_score_matching_reads_and_says_where_it_is_going(client, owner, in_area_hauler):
    type(in_area_hauler).objects.filter(pk=in_area_hauler.pk).update(reliability_score="0.750")
    client.force_login(owner)
    said = text(client.get(URL))
    assert "Your score 75 out of 100" in said
    assert "Counting your latest jobs and offers, it becomes 90 at its next update" in said
