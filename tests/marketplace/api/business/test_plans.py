"""Recurring plans over the API: quote with a frequency, book, read, skip, pause, resume, change weekdays, end."""

import datetime as dt

import pytest
import time_machine

from marketplace import dispatch
from marketplace.models import ServicePlan
from tests import factories
from tests.marketplace.api.conftest import client_for

FRIDAY = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # the week before Thanksgiving (Thu 26 Nov 2026)
PLANS = "/api/v1/plans/"


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def hauler(location, clock):
    hauler = factories.HaulerFactory(name="Weekly Waste", zips=["78701"], working_days=0b0011111)  # Mon-Fri
    factories.RateFactory(hauler=hauler, price_cents=6_000)
    factories.HaulerMembershipFactory(hauler=hauler)
    return hauler


def weekly_quote(api, location, **overrides) -> dict:
    body = {
        "location": location.pk,
        "waste_stream": "trash",
        "container": "dumpster_4yd",
        "quantity": 1,
        "service_date": "2026-11-23",
        "frequency": "weekly",
        "weekdays": ["monday", "thursday"],
        "window_start": "07:00",
        "window_end": "11:00",
        **overrides,
    }
    return api.post("/api/v1/quotes/", body, format="json")


@pytest.fixture
def booked(api, location, hauler, run_on_commit):
    """A weekly plan (Mondays and Thursdays from Nov 23) booked over the API and taken by the hauler."""
    quote = weekly_quote(api, location).json()
    response = run_on_commit(api.post, PLANS, {"quote": quote["id"]}, format="json")
    plan = ServicePlan.objects.get(pk=response.json()["id"])
    run_on_commit(dispatch.accept_offer, offer_id=plan.visits.get().offers.get().pk, hauler=hauler)
    return plan


def post(run_on_commit, api, url, body=None):
    return run_on_commit(api.post, url, body or {}, format="json")


@pytest.mark.django_db
def test_a_recurring_quote_books_a_plan_once(api, location, hauler, run_on_commit):
    quote = weekly_quote(api, location)
    assert quote.status_code == 201
    body = quote.json()
    assert (body["frequency"], body["weekdays"], body["start_date"], body["price_cents"]) == (
        "weekly",
        ["monday", "thursday"],
        "2026-11-23",
        7_200,
    )
    assert (body["window_start"], body["window_end"]) == ("07:00:00", "11:00:00")

    first = post(run_on_commit, api, PLANS, {"quote": body["id"]})
    again = post(run_on_commit, api, PLANS, {"quote": body["id"]})

    assert (first.status_code, again.status_code) == (201, 200)
    plan = first.json()
    assert again.json()["id"] == plan["id"]
    assert (plan["status"], plan["status_display"], plan["quote"], plan["weekdays"]) == (
        "pending",
        "Finding a hauler",
        body["id"],
        ["monday", "thursday"],
    )
    assert [(visit["plan_date"], visit["status"]) for visit in plan["visits"]] == [("2026-11-23", "requested")]
    read = api.get(f"{PLANS}{plan['id']}/").json()  # the first visit is offered once the booking commits
    assert [(visit["plan_date"], visit["status"]) for visit in read["visits"]] == [("2026-11-23", "offered")]
    assert ServicePlan.objects.filter(customer=location.customer).count() == 1
    assert api.get("/api/v1/quotes/{}/".format(body["id"])).json()["plan"] == plan["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"weekdays": ["someday"]}, "weekdays"),
        ({"weekdays": "monday"}, "weekdays"),
        ({"weekdays": []}, "weekdays"),
        ({"frequency": "monthly", "weekdays": []}, "day_of_month"),
        ({"frequency": "hourly"}, "frequency"),
        ({"frequency": "once", "weekdays": ["monday"]}, "weekdays"),
        ({"day_of_month": 32, "frequency": "monthly"}, "day_of_month"),
    ],
)
def test_an_incomplete_recurrence_is_a_field_error(api, location, hauler, overrides, field):
    response = weekly_quote(api, location, **overrides)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.django_db
def test_a_one_time_quote_is_not_a_plan(api, location, hauler, quote_body, run_on_commit):
    quote = api.post("/api/v1/quotes/", quote_body(service_date="2026-11-24"), format="json").json()
    response = post(run_on_commit, api, PLANS, {"quote": quote["id"]})
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert not ServicePlan.objects.exists()


@pytest.mark.django_db
def test_skip_pause_resume_and_end(api, booked, run_on_commit, clock):
    url = f"{PLANS}{booked.pk}/"
    assert api.get(url).json()["status"] == "active"

    skipped = post(run_on_commit, api, f"{url}skip/", {"date": "2026-11-30"})
    assert skipped.status_code == 200
    visits = {visit["plan_date"]: visit["status"] for visit in skipped.json()["visits"]}
    assert visits["2026-11-30"] == "skipped" and visits["2026-12-03"] == "scheduled"
    not_a_visit = post(run_on_commit, api, f"{url}skip/", {"date": "2026-12-01"})
    assert (not_a_visit.status_code, list(not_a_visit.json())) == (400, ["date"])

    paused = post(run_on_commit, api, f"{url}pause/", {"start_date": "2026-12-07", "end_date": "2026-12-20"})
    assert [(p["start_date"], p["end_date"]) for p in paused.json()["pauses"]] == [
        ("2026-11-30", "2026-11-30"),
        ("2026-12-07", "2026-12-20"),
    ]
    backwards = post(run_on_commit, api, f"{url}pause/", {"start_date": "2026-12-07", "end_date": "2026-12-01"})
    assert (backwards.status_code, list(backwards.json())) == (400, ["end_date"])

    clock.shift(dt.timedelta(days=7))  # Nov 27: Dec 7 and 10 would be in the horizon, but paused
    resumed = post(run_on_commit, api, f"{url}resume/", {"from_date": "2026-12-10"})
    assert resumed.status_code == 200
    assert [(p["start_date"], p["end_date"]) for p in resumed.json()["pauses"]][-1] == ("2026-12-07", "2026-12-09")
    visits = {visit["plan_date"]: visit["status"] for visit in api.get(url).json()["visits"]}  # made after commit
    assert "2026-12-07" not in visits and visits["2026-12-10"] == "scheduled"
    again = post(run_on_commit, api, f"{url}resume/", {"from_date": "2026-12-10"})
    assert (again.status_code, again.json()["code"]) == (409, "conflict")

    ended = post(run_on_commit, api, f"{url}end/", {"last_day": "2026-12-05"})
    assert ended.status_code == 200 and ended.json()["end_date"] == "2026-12-05"
    visits = {visit["plan_date"]: visit["status"] for visit in ended.json()["visits"]}
    assert visits["2026-12-10"] == "skipped" and visits["2026-12-03"] == "scheduled"


@pytest.mark.django_db
def test_changing_weekdays_continues_in_a_new_plan(api, booked, run_on_commit):
    response = post(
        run_on_commit, api, f"{PLANS}{booked.pk}/weekdays/", {"weekdays": ["friday"], "from_date": "2026-11-28"}
    )

    assert response.status_code == 200
    successor = response.json()
    assert (successor["replaces"], successor["weekdays"], successor["status"]) == (booked.pk, ["friday"], "active")
    read = api.get(f"{PLANS}{successor['id']}/").json()  # its visits are made once the change commits
    assert [visit["plan_date"] for visit in read["visits"]] == ["2026-12-04"]
    assert api.get(f"{PLANS}{booked.pk}/").json()["end_date"] == "2026-11-27"
    today = post(
        run_on_commit, api, f"{PLANS}{successor['id']}/weekdays/", {"weekdays": ["monday"], "from_date": "2026-11-20"}
    )
    assert (today.status_code, list(today.json())) == (400, ["from_date"])
    none = post(run_on_commit, api, f"{PLANS}{successor['id']}/weekdays/", {"weekdays": [], "from_date": "2026-12-01"})
    assert (none.status_code, list(none.json())) == (400, ["weekdays"])


@pytest.mark.django_db
def test_a_pending_plan_cannot_change_weekdays_and_an_ended_one_cannot_change_at_all(
    api, location, hauler, run_on_commit
):
    quote = weekly_quote(api, location).json()
    plan = post(run_on_commit, api, PLANS, {"quote": quote["id"]}).json()
    url = f"{PLANS}{plan['id']}/"

    pending = post(run_on_commit, api, f"{url}weekdays/", {"weekdays": ["friday"], "from_date": "2026-11-28"})
    assert (pending.status_code, pending.json()["code"]) == (409, "conflict")
    cancelled = post(run_on_commit, api, f"{url}end/", {"last_day": "2026-11-22"})
    assert cancelled.json()["status"] == "cancelled"
    for action, body in [("skip", {"date": "2026-11-30"}), ("end", {"last_day": "2026-12-01"}), ("resume", {})]:
        response = post(run_on_commit, api, f"{url}{action}/", body)
        assert (action, response.status_code) == (action, 409)


@pytest.mark.django_db
def test_another_business_cannot_see_or_change_a_plan(booked, other_customer, run_on_commit, hauler):
    rival = client_for(other_customer.memberships.get().user)
    url = f"{PLANS}{booked.pk}/"

    assert rival.get(PLANS).json()["results"] == []
    assert rival.get(url).status_code == 404
    changes = [
        ("skip", {"date": "2026-11-30"}),
        ("pause", {"start_date": "2026-11-30", "end_date": "2026-11-30"}),
        ("resume", {}),
        ("weekdays", {"weekdays": ["friday"], "from_date": "2026-11-28"}),
        ("end", {"last_day": "2026-12-01"}),
    ]
    for action, body in changes:
        response = post(run_on_commit, rival, f"{url}{action}/", body)
        assert (action, response.status_code, response.json()["code"]) == (action, 404, "not_found")
    quote_id = booked.quote_id
    assert rival.get(f"/api/v1/quotes/{quote_id}/").status_code == 404
    assert post(run_on_commit, rival, PLANS, {"quote": quote_id}).status_code == 404
    assert ServicePlan.objects.count() == 1


@pytest.mark.django_db
def test_the_plan_list_costs_the_same_queries_at_any_length(
    api, location, hauler, run_on_commit, django_assert_max_num_queries
):
    for start in ("2026-11-23", "2026-11-30", "2026-12-07"):
        quote = weekly_quote(api, location, service_date=start).json()
        post(run_on_commit, api, PLANS, {"quote": quote["id"]})
    with django_assert_max_num_queries(5):
        response = api.get(PLANS)
    assert len(response.json()["results"]) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_dates_off_the_calendar_plans_use_are_field_errors_not_500s(api, location, booked, run_on_commit, day):
    assert list(weekly_quote(api, location, service_date=day).json()) == ["service_date"]
    assert list(weekly_quote(api, location, end_date=day).json()) == ["end_date"]
    changes = [
        ("skip", {"date": day}, ["date"]),
        ("pause", {"start_date": "2026-11-30", "end_date": day}, ["end_date"]),
        ("resume", {"from_date": day}, ["from_date"]),
        ("weekdays", {"weekdays": ["friday"], "from_date": day}, ["from_date"]),
        ("end", {"last_day": day}, ["last_day"]),
    ]
    for action, body, fields in changes:
        response = post(run_on_commit, api, f"{PLANS}{booked.pk}/{action}/", body)
        assert (action, response.status_code, list(response.json())) == (action, 400, fields)
    booked.refresh_from_db()
    assert (booked.status, booked.end_date, booked.pauses.count()) == (ServicePlan.Status.ACTIVE, None, 0)


@pytest.mark.django_db
def test_a_plan_reads_in_the_same_queries_with_more_pauses_and_visits(
    api, booked, run_on_commit, django_assert_max_num_queries
):
    for day in ("2026-11-30", "2026-12-03"):
        post(run_on_commit, api, f"{PLANS}{booked.pk}/skip/", {"date": day})
    with django_assert_max_num_queries(6):  # token, membership, the plan, its pauses, its visits
        response = api.get(f"{PLANS}{booked.pk}/")
    assert len(response.json()["pauses"]) == 2 and len(response.json()["visits"]) == 4
