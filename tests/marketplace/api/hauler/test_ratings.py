"""GET /api/v1/hauler/ratings/: the hauler's ratings, latest first, a page at a time by cursor like its other lists,
each with the business's name and nothing else of the customer; another hauler's never."""

import pytest
from django.utils import timezone

from marketplace import ratings
from marketplace.models import Rating
from tests import factories
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_schema import assert_matches_schema
from tests.marketplace.rating_cast import completed_visit

pytestmark = pytest.mark.django_db
RATINGS = "/api/v1/hauler/ratings/"


def rate(customer, by, hauler, count, **fields):
    made = []
    for n in range(count):
        visit = completed_visit(customer=customer, hauler=hauler)
        made.append(
            ratings.rate_pickup(
                pickup=visit, stars=fields.get("stars", 1 + n % 5), tags=fields.get("tags", []), comment=f"#{n}", by=by
            )
        )
    return made


def test_the_list_is_latest_first_with_the_business_name_only(hauler_api, hauler, customer, customer_owner, openapi):
    customer.name = "Congress Avenue Café"
    customer.save()
    first, second = rate(customer, customer_owner, hauler, 2)
    rival = factories.HaulerFactory(name="Rival Hauling")
    rate(customer, customer_owner, rival, 1)

    response = hauler_api.get(RATINGS)

    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [second.pk, first.pk]
    assert body["results"][0] == {
        "id": second.pk,
        "job": second.pickup_id,
        "service_date": second.pickup.service_date.isoformat(),
        "business": "Congress Avenue Café",
        "stars": second.stars,
        "tags": [],
        "comment": "#1",
        "rated_at": body["results"][0]["rated_at"],
    }
    assert_matches_schema(openapi, body, path=RATINGS, method="get", status=200)


def test_a_changed_rating_moves_to_the_top(hauler_api, hauler, customer, customer_owner):
    first, second = rate(customer, customer_owner, hauler, 2)
    ratings.rate_pickup(
        pickup=first.pickup, stars=5, tags=["great"], comment="Better on reflection.", by=customer_owner
    )

    rows = hauler_api.get(RATINGS).json()["results"]
    assert [row["id"] for row in rows] == [first.pk, second.pk]
    assert rows[0]["tags"] == ["great"]


def test_pages_by_cursor_visit_every_rating_once_with_a_pinned_query_count(
    hauler_api, hauler, customer, customer_owner, django_assert_max_num_queries
):
    made = rate(customer, customer_owner, hauler, 7)
    # many saved in the same instant: the order's tie-break on id keeps pages apart
    Rating.objects.filter(pk__in=[r.pk for r in made]).update(updated_at=timezone.now())
    seen, link = [], RATINGS + "?page_size=3"
    while link:
        with django_assert_max_num_queries(4):  # token and user, the hauler seat and hauler, the page
            page = hauler_api.get(link).json()
        seen += [row["id"] for row in page["results"]]
        link = page["next"]
    assert sorted(seen) == sorted(r.pk for r in made) and len(seen) == 7


def test_a_forged_cursor_is_a_404(hauler_api):
    assert hauler_api.get(RATINGS + "?cursor=forged").status_code == 404


def test_a_business_and_a_driver_are_refused(api, hauler):
    assert api.get(RATINGS).status_code == 403
    driver = factories.HaulerMembershipFactory(hauler=hauler, role="driver").user
    assert client_for(driver).get(RATINGS).status_code == 403


def test_the_schema_documents_the_list(openapi):
    operation = openapi["paths"][RATINGS]["get"]
    assert set(operation["responses"]) == {"200", "401", "403", "404"}
    assert {"cursor", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}
    row = openapi["components"]["schemas"]["HaulerRating"]["properties"]
    assert not {"customer", "rated_by", "email", "phone", "contact", "location", "street"} & set(row)
