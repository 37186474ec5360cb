"""PUT/GET /api/v1/pickups/{id}/rating/: a business rates its completed visit, changes it, reads it back; bad input
is a 400 naming the field, a visit not ratable a 409, another business's a 404, and never a 500 or a half-saved row."""

import datetime as dt

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marketplace.models import Pickup, Rating
from tests.marketplace.api.conftest import client_for
from tests.marketplace.api.test_schema import assert_matches_schema
from tests.marketplace.rating_cast import completed_visit

pytestmark = pytest.mark.django_db
PATH = "/api/v1/pickups/{id}/rating/"


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def visit(customer, in_area_hauler):
    return completed_visit(customer=customer, hauler=in_area_hauler)


def url(pickup) -> str:
    return PATH.format(id=pickup.pk)


def test_put_rates_the_visit_and_get_reads_it_back(api, visit, openapi):
    response = api.put(url(visit), {"stars": 4, "tags": ["great", "on_time"], "comment": " Tidy. "}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("pickup", "stars", "tags", "comment")} == {
        "pickup": visit.pk,
        "stars": 4,
        "tags": ["on_time", "great"],
        "comment": "Tidy.",
    }
    until = dt.datetime.fromisoformat(body["changeable_until"])
    assert until == visit.completed_at + dt.timedelta(days=14)
    assert_matches_schema(openapi, body, path=PATH, method="put", status=200)
    read = api.get(url(visit))
    assert read.status_code == 200 and read.json() == body
    assert_matches_schema(openapi, read.json(), path=PATH, method="get", status=200)


def test_a_second_put_replaces_the_first_and_leaving_out_tags_and_comment_clears_them(api, visit):
    api.put(url(visit), {"stars": 2, "tags": ["late"], "comment": "Noon."}, format="json")
    response = api.put(url(visit), {"stars": 5}, format="json")

    assert response.status_code == 200
    assert Rating.objects.values_list("stars", "tags", "comment").get() == (5, [], "")


def test_get_before_any_rating_is_a_404_that_says_so(api, visit):
    response = api.get(url(visit))
    assert response.status_code == 404
    assert response.json() == {"detail": "You have not rated this pickup yet.", "code": "not_found"}


def test_another_business_gets_404_for_the_pickup_and_saves_nothing(visit, other_customer):
    rival = client_for(other_customer.memberships.get().user)

    assert rival.put(url(visit), {"stars": 1}, format="json").status_code == 404
    assert rival.get(url(visit)).status_code == 404
    assert not Rating.objects.exists()


def test_a_hauler_is_refused(visit, hauler_user):
    assert client_for(hauler_user).put(url(visit), {"stars": 1}, format="json").status_code == 403


@pytest.mark.parametrize("status", [Pickup.Status.SCHEDULED, Pickup.Status.MISSED, Pickup.Status.CANCELLED])
def test_a_visit_not_completed_is_a_409(api, visit, status):
    Pickup.objects.filter(pk=visit.pk).update(status=status)

    response = api.put(url(visit), {"stars": 5}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"].startswith("Only a completed visit can be rated")
    assert not Rating.objects.exists()


def test_after_the_window_a_put_is_a_409_and_the_rating_stays(api, visit):
    api.put(url(visit), {"stars": 3}, format="json")
    with time_machine.travel(visit.completed_at + dt.timedelta(days=14, seconds=1)):
        response = api.put(url(visit), {"stars": 1}, format="json")

    assert response.status_code == 409
    assert "rated for 14 days" in response.json()["detail"]
    assert Rating.objects.get().stars == 3


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"stars"}),
        ({"stars": 0}, {"stars"}),
        ({"stars": 6}, {"stars"}),
        ({"stars": -1}, {"stars"}),
        ({"stars": 2**63}, {"stars"}),
        ({"stars": 4.5}, {"stars"}),
        ({"stars": "five"}, {"stars"}),
        ({"stars": None}, {"stars"}),
        ({"stars": True}, {"stars"}),
        ({"stars": [5]}, {"stars"}),
        ({"stars": {"value": 5}}, {"stars"}),
        ({"stars": 5, "tags": "on_time"}, {"tags"}),
        ({"stars": 5, "tags": ["fast"]}, {"tags"}),
        ({"stars": 5, "tags": [None]}, {"tags"}),
        ({"stars": 5, "tags": [["on_time"]]}, {"tags"}),
        ({"stars": 5, "tags": {"on_time": True}}, {"tags"}),
        ({"stars": 5, "tags": ["on_time"] * 50}, {"tags"}),
        ({"stars": 5, "tags": ["on_time", "late"]}, {"tags"}),
        ({"stars": 5, "comment": "x" * 501}, {"comment"}),
        ({"stars": 5, "comment": "a\x00b"}, {"comment"}),
        ({"stars": 5, "comment": None}, {"comment"}),
        ({"stars": 5, "comment": ["text"]}, {"comment"}),
        ({"stars": 9, "tags": ["nope"], "comment": "x" * 600}, {"stars", "tags", "comment"}),
    ],
)
def test_bad_bodies_are_400s_naming_each_field(api, visit, body, fields):
    response = api.put(url(visit), body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == fields
    assert all(isinstance(messages, list) and all(isinstance(m, str) for m in messages) for messages in errors.values())
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"5"', "application/json", 400),
        ("null", "application/json", 400),
        ('{"stars": Infinity}', "application/json", 400),
        ('{"stars": NaN, "tags": ["on_time"]}', "application/json", 400),
        ('{"stars": 5, "stars": 0}', "application/json", 400),
        ("stars=5", "application/x-www-form-urlencoded", 415),
        ("<rating stars='5'/>", "application/xml", 415),
    ],
)
def test_bodies_that_are_not_a_json_object_are_refused_cleanly(api, visit, content, content_type, status):
    response = api.generic("PUT", url(visit), content, content_type=content_type)

    assert response.status_code == status, response.content
    assert "detail" in response.json() or response.json()
    assert not Rating.objects.exists()


def test_unknown_ids_are_404s(api):
    assert api.put("/api/v1/pickups/987654/rating/", {"stars": 5}, format="json").status_code == 404
    assert api.get("/api/v1/pickups/abc/rating/").status_code == 404


def test_the_schema_documents_both_methods_and_their_errors(openapi):
    operations = openapi["paths"][PATH]
    assert set(operations["put"]["responses"]) == {"200", "400", "401", "403", "404", "409", "415"}
    assert set(operations["get"]["responses"]) == {"200", "401", "403", "404"}
    body = openapi["components"]["schemas"]["RatingInput"]
    assert body["required"] == ["stars"]
    assert body["properties"]["stars"]["minimum"] == 1 and body["properties"]["stars"]["maximum"] == 5
    tags = openapi["components"]["schemas"]["RatingTagEnum"]
    assert tags["enum"] == [tag.value for tag in Rating.Tag]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=600),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
TAGS = st.lists(st.sampled_from([*Rating.Tag.values, "fast", "", "ON_TIME"]), max_size=8) | JSON


@hypothesis_settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.fixed_dictionaries({}, optional={"stars": st.integers(-3, 8) | JSON, "tags": TAGS, "comment": JSON}))
def test_any_json_body_is_a_200_or_a_400_and_never_a_half_saved_rating(api, visit, body):
    before = list(Rating.objects.values_list("stars", "tags", "comment"))

    response = api.put(url(visit), body, format="json")

    assert response.status_code in (200, 400), (body, response.content)
    after = list(Rating.objects.values_list("stars", "tags", "comment"))
    if response.status_code == 400:
        assert after == before and isinstance(response.json(), dict)
    else:
        saved = response.json()
        assert after == [(saved["stars"], saved["tags"], saved["comment"])]
