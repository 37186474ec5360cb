"""The business's rating of a visit on its pickup page: the form while the window is open, the saved rating after,
a change that replaces it, the errors on the form, and nothing for a visit not done or another business's."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from marketplace import notifications, ratings
from marketplace.models import Pickup, Rating
from marketplace.web.business import ratings as rating_pages
from tests import factories
from tests.marketplace.rating_cast import completed_visit
from tests.marketplace.web.business.test_arrival import PICKUP_MAX_QUERIES

pytestmark = pytest.mark.django_db
# The pickup page's pin is for a scheduled visit, which reads no rating; a completed one reads its rating, once.
COMPLETED_PICKUP_MAX_QUERIES = PICKUP_MAX_QUERIES + 1


@pytest.fixture
def visit(customer, in_area_hauler):
    return completed_visit(customer=customer, hauler=in_area_hauler)


def page_of(client, pickup) -> str:
    response = client.get(reverse("pickup_detail", args=[pickup.pk]))
    assert response.status_code == 200
    return response.content.decode()


def rate(client, pickup, **form):
    return client.post(reverse("pickup_rating", args=[pickup.pk]), form)


def test_a_completed_visit_shows_the_form_with_the_stars_as_one_labelled_radio_group(
    owner_client, visit, django_assert_max_num_queries
):
    with django_assert_max_num_queries(COMPLETED_PICKUP_MAX_QUERIES):
        page = page_of(owner_client, visit)

    assert "Rate this visit" in page and "How did Downtown Disposal do?" in page
    assert re.search(r"You can rate it until \w{3}, \w{3} \d+, \d+:\d\d [AP]M C[SD]T", page)
    form = page[page.index('class="rating-form"') : page.index("</form>", page.index('class="rating-form"'))]
    assert form.count('type="radio" name="stars"') == 5 and form.count("required") >= 5
    assert "<legend><strong>How was this visit?</strong></legend>" in form
    for value, label in Rating.Tag.choices:
        assert f'value="{value}"' in form and label in form
    assert 'for="rating_stars_0"' in form and 'id="rating_stars_0"' in form  # each radio has its label
    assert 'name="comment"' in form and 'maxlength="500"' in form


def test_the_panel_reads_one_row_for_a_completed_visit_and_none_for_another(visit, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert rating_pages.panel(visit).open
    visit.status = Pickup.Status.SCHEDULED
    with django_assert_num_queries(0):
        assert rating_pages.panel(visit) is None


def test_rating_saves_it_and_the_page_then_shows_it_with_the_date_it_can_be_changed_until(owner_client, visit):
    response = rate(owner_client, visit, stars="4", tags=["on_time", "great"], comment="Swift.")

    assert response.status_code == 302
    assert response["Location"] == reverse("pickup_detail", args=[visit.pk]) + "#rating"
    assert Rating.objects.values_list("stars", "tags", "comment").get() == (4, ["on_time", "great"], "Swift.")
    page = page_of(owner_client, visit)
    assert "Thank you: your rating is saved" in page
    assert "Your rating" in page and "4 out of 5" in page
    assert "<li>On time</li>" in page and "<li>Great service</li>" in page and "Swift." in page
    assert re.search(r"You can change it until \w{3}, \w{3} \d+, \d+:\d\d [AP]M C[SD]T\.", page)
    assert "Change your rating" in page
    assert re.search(r'name="stars" value="4"[^>]*checked', page)  # the change form starts from the saved rating


def test_a_second_rating_replaces_the_first(owner_client, visit):
    rate(owner_client, visit, stars="2", tags=["late"], comment="Noon, not nine.")
    rate(owner_client, visit, stars="5", comment="")

    assert Rating.objects.values_list("stars", "tags", "comment").get() == (5, [], "")
    assert "5 out of 5" in page_of(owner_client, visit)


def test_errors_show_on_the_form_and_save_nothing(owner_client, visit):
    response = rate(owner_client, visit, stars="9", tags=["on_time", "late", "nope"], comment="x" * 501)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Please check the form." in page
    assert "Select a valid choice. 9 is not one of the available choices." in page
    assert "nope is not one of the available choices" in page
    assert "at most 500 characters" in page
    assert not Rating.objects.exists()


def test_ticking_on_time_and_late_is_refused_by_the_service_on_the_form(owner_client, visit):
    response = rate(owner_client, visit, stars="3", tags=["on_time", "late"])

    assert response.status_code == 400
    assert "A visit cannot be both late and on time." in response.content.decode()
    assert not Rating.objects.exists()


def test_after_the_window_the_saved_rating_is_final_and_a_late_post_is_refused(owner_client, visit, customer_owner):
    ratings.rate_pickup(pickup=visit, stars=3, tags=[], comment="Fine.", by=customer_owner)
    with time_machine.travel(visit.completed_at + dt.timedelta(days=15)):
        owner_client.force_login(customer_owner)  # the session of two weeks ago has expired
        page = page_of(owner_client, visit)
        response = rate(owner_client, visit, stars="1")
        after = page_of(owner_client, visit)

    assert "Your rating" in page and "this one is final" in page and "Change your rating" not in page
    assert 'name="stars"' not in page
    assert response.status_code == 302
    assert "A visit can be rated for 14 days after it was done" in after
    assert Rating.objects.get().stars == 3


def test_an_unrated_visit_past_its_window_shows_nothing(owner_client, visit, customer_owner):
    with time_machine.travel(visit.completed_at + dt.timedelta(days=15)):
        owner_client.force_login(customer_owner)
        page = page_of(owner_client, visit)
    assert 'id="rating"' not in page


@pytest.mark.parametrize("status", [Pickup.Status.SCHEDULED, Pickup.Status.MISSED, Pickup.Status.CANCELLED])
def test_a_visit_not_done_has_no_rating_form_and_cannot_be_rated(owner_client, visit, status):
    Pickup.objects.filter(pk=visit.pk).update(status=status)

    assert 'id="rating"' not in page_of(owner_client, visit)
    response = rate(owner_client, visit, stars="5")
    assert response.status_code == 302 and not Rating.objects.exists()
    assert "Only a completed visit can be rated" in page_of(owner_client, visit)


def test_another_business_cannot_see_or_rate_the_visit(client, visit):
    client.force_login(factories.CustomerMembershipFactory().user)

    assert client.get(reverse("pickup_rating", args=[visit.pk])).status_code == 404
    assert rate(client, visit, stars="1").status_code == 404
    assert not Rating.objects.exists()


def test_the_rating_page_of_its_own_shows_the_form(owner_client, visit):
    page = owner_client.get(reverse("pickup_rating", args=[visit.pk])).content.decode()
    assert "Rate pickup #" in page and 'name="stars"' in page and "Back to the pickup" in page


def test_the_completed_email_asks_for_a_rating_on_the_pickup_page(visit, mailoutbox):
    notifications.send("pickup_completed", visit.pk)

    line = next(line for line in mailoutbox[-1].body.splitlines() if line.startswith("How did it go?"))
    assert line.startswith("How did it go? Rate the visit: http")
    assert line.endswith(reverse("pickup_detail", args=[visit.pk]) + "#rating")
