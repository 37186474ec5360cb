"""The hauler portal's Ratings page: the last 90 days' average, count and tags, then each rating with the business's
name and no one's personal details; only the hauler's own, to its office."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace import ratings
from tests import factories
from tests.marketplace.rating_cast import completed_visit

pytestmark = pytest.mark.django_db
# The session and the user (its hauler seat and hauler joined), the last 90 days' stars and tags, the page's count
# and its rows (each with its visit and business joined); one to spare. Measured: 4.
RATINGS_MAX_QUERIES = 6


@pytest.fixture
def office(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler, role="dispatcher").user)
    return client


def rate_visits(customer, by, hauler, rated):
    for stars, tags, comment in rated:
        visit = completed_visit(customer=customer, hauler=hauler)
        ratings.rate_pickup(pickup=visit, stars=stars, tags=tags, comment=comment, by=by)


def test_the_page_shows_the_average_count_tags_and_each_rating(
    office, customer, customer_owner, in_area_hauler, django_assert_max_num_queries
):
    customer.name = "Congress Avenue Café"
    customer.save()
    customer_owner.full_name = "Pat Owner"
    customer_owner.save()
    rate_visits(
        customer,
        customer_owner,
        in_area_hauler,
        [(5, ["on_time", "great"], "Spotless."), (4, ["on_time"], ""), (2, ["late", "mess_left"], "Cardboard left.")],
    )
    rival = factories.HaulerFactory(name="Rival Hauling")
    rate_visits(customer, customer_owner, rival, [(1, ["late"], "Not ours to see.")])

    with django_assert_max_num_queries(RATINGS_MAX_QUERIES):
        response = office.get(reverse("hauler_ratings"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "3.7 <small>out of 5</small>" in page
    assert '<p class="price">3</p>' in page
    assert "<tr><td>On time</td><td>2</td></tr>" in page
    assert "Congress Avenue Café" in page and "Spotless." in page and "Cardboard left." in page
    assert "Late, Mess left behind" in page
    assert "Not ours to see." not in page
    # the business's name, never who at it rated or how to reach them
    assert customer_owner.email not in page and "Pat Owner" not in page
    assert customer.locations.first().street not in page
    assert 'aria-current="page">Ratings</a>' in page


def test_the_query_count_does_not_grow_with_the_ratings(office, customer, customer_owner, in_area_hauler):
    rate_visits(customer, customer_owner, in_area_hauler, [(4, ["great"], "ok")] * 25)
    with CaptureQueriesContext(connection) as queries:
        page = office.get(reverse("hauler_ratings")).content.decode()
    assert len(queries) <= RATINGS_MAX_QUERIES
    assert "Page 1 of 2" in page and "?page=2" in page


def test_with_no_ratings_it_says_how_they_come(office):
    page = office.get(reverse("hauler_ratings")).content.decode()
    assert "No ratings yet. A business can rate a visit for 14 days after you complete it." in page
    assert "No ratings in the last 90 days." in page


def test_a_driver_is_refused(client, in_area_hauler):
    client.force_login(factories.HaulerMembershipFactory(hauler=in_area_hauler, role="driver").user)
    assert client.get(reverse("hauler_ratings")).status_code == 403
