"""The Rating admin: a read-only list of what businesses said, with stars, tags, hauler, business and date, filters."""

import pytest
from django.urls import reverse

from marketplace import ratings
from marketplace.models import Rating
from tests import factories
from tests.marketplace.rating_cast import completed_visit

pytestmark = pytest.mark.django_db
LIST = reverse("admin:marketplace_rating_changelist")


@pytest.fixture
def rated(customer, customer_owner, in_area_hauler):
    other = factories.HaulerFactory(name="Eastside Hauling")
    rows = [(in_area_hauler, 5, ["on_time", "great"], "Spotless."), (other, 2, ["late"], "Two hours late.")]
    for hauler, stars, tags, comment in rows:
        visit = completed_visit(customer=customer, hauler=hauler)
        ratings.rate_pickup(pickup=visit, stars=stars, tags=tags, comment=comment, by=customer_owner)
    return Rating.objects.order_by("stars")


def test_the_list_shows_stars_tags_hauler_business_and_visit(staff_client, rated, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        page = staff_client.get(LIST).content.decode()

    assert "★★★★★" in page and "★★☆☆☆" in page
    assert "On time, Great service" in page and "Downtown Disposal" in page and "Eastside Hauling" in page
    assert rated[0].customer.name in page
    assert reverse("admin:marketplace_pickup_change", args=[rated[0].pickup_id]) in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?tag=late", "Two hours late.", "Spotless."),
        ("?tag=great", "Spotless.", "Two hours late."),
        ("?stars=low", "Two hours late.", "Spotless."),
        ("?stars=5", "Spotless.", "Two hours late."),
        ("?q=Eastside", "Two hours late.", "Spotless."),
    ],
)
def test_the_filters(staff_client, rated, query, shown, hidden):
    page = staff_client.get(LIST + query).content.decode()
    assert shown in page and hidden not in page


def test_it_is_read_only(staff_client, rated):
    rating = rated[0]
    change = staff_client.get(reverse("admin:marketplace_rating_change", args=[rating.pk])).content.decode()
    assert 'name="stars"' not in change and "Two hours late." in change
    assert staff_client.get(reverse("admin:marketplace_rating_add")).status_code == 403
    staff_client.post(reverse("admin:marketplace_rating_delete", args=[rating.pk]), {"post": "yes"})
    assert Rating.objects.filter(pk=rating.pk).exists()
