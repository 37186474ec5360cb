"""A business's whole month through the API alone, against the Stripe stand-in (only the card is saved outside it,
as Stripe.js would): a token, a location, a one-time pickup in a chosen window, a recurring plan with a skipped
visit and a change of weekdays, a hauler taking and doing the work through the hauler API, the pickup's payment,
the payments and the monthly invoice, and the invoice as a PDF."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from marketplace import tasks as market_tasks
from tests import factories
from tests.marketplace.api.conftest import client_for
from tests.services.billing_support import PNG, save_card

pytestmark = [pytest.mark.services, pytest.mark.django_db]

# Wednesday Feb 10 2027, 8 am in Austin. Monday Feb 15 is Presidents' Day, so the plan runs Tuesdays and Thursdays.
START = dt.datetime(2027, 2, 10, 14, 0, tzinfo=dt.UTC)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response["Content-Type"].startswith("application/json") else response


def take_the_offer_of(hauler_api, run_on_commit, pickup_id: int) -> None:
    offers = ok(hauler_api.get("/api/v1/hauler/offers/"))["results"]
    offer = next(offer for offer in offers if offer["pickup"] == pickup_id)
    ok(run_on_commit(hauler_api.post, f"/api/v1/hauler/offers/{offer['id']}/accept/"))


def complete(hauler_api, run_on_commit, pickup_id: int) -> dict:
    photo = SimpleUploadedFile("bins.png", PNG, content_type="image/png")
    url = f"/api/v1/hauler/jobs/{pickup_id}/complete/"
    return ok(run_on_commit(hauler_api.post, url, {"photo": photo, "weight": "120"}, format="multipart"))


def test_a_business_month_through_the_api(stripe_on, in_area_hauler, run_on_commit):
    owner = factories.CustomerMembershipFactory(customer__name="Congress Ave Deli")
    save_card(owner.customer)  # Stripe.js on the website, in production
    hauler_api = client_for(factories.HaulerMembershipFactory(hauler=in_area_hauler).user)

    with time_machine.travel(START, tick=False) as clock:
        # A token for the script, then everything with it.
        anonymous = APIClient()
        token = ok(
            anonymous.post(
                "/api/v1/auth/token/", {"email": owner.user.email, "password": factories.PASSWORD}, format="json"
            )
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")

        location = ok(
            api.post(
                "/api/v1/locations/",
                {"name": "Deli", "street": "600 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701"},
                format="json",
            ),
            201,
        )

        # A one-time pickup on Friday in the morning window.
        windows = ok(api.get("/api/v1/arrival-windows/"))
        morning = next(window for window in windows if window["label"] == "07:00-11:00")
        request = {"location": location["id"], "waste_stream": "trash", "container": "dumpster_4yd", "quantity": 1}
        quote = ok(
            api.post(
                "/api/v1/quotes/",
                {**request, "service_date": "2027-02-12", "window_start": morning["window_start"][:5],
                 "window_end": morning["window_end"][:5]},
                format="json",
            ),
            201,
        )  # fmt: skip
        assert ok(api.get(f"/api/v1/quotes/{quote['id']}/"))["window_start"] == "07:00:00"
        pickup = ok(run_on_commit(api.post, "/api/v1/pickups/", {"quote": quote["id"]}, format="json"), 201)
        assert (pickup["window_start"], pickup["window_end"]) == ("07:00:00", "11:00:00")
        assert pickup["payment"]["status"] == "not_billed"

        # A plan: Tuesdays and Thursdays from Feb 16.
        weekly = {**request, "service_date": "2027-02-16", "frequency": "weekly", "weekdays": ["tuesday", "thursday"]}
        plan_quote = ok(api.post("/api/v1/quotes/", weekly, format="json"), 201)
        plan = ok(run_on_commit(api.post, "/api/v1/plans/", {"quote": plan_quote["id"]}, format="json"), 201)

        # The hauler takes both through its API: the plan's first visit takes the plan.
        take_the_offer_of(hauler_api, run_on_commit, pickup["id"])
        first_visit = ok(api.get(f"/api/v1/plans/{plan['id']}/"))["visits"][0]
        take_the_offer_of(hauler_api, run_on_commit, first_visit["id"])
        plan = ok(api.get(f"/api/v1/plans/{plan['id']}/"))
        assert (plan["status"], plan["hauler"]) == ("active", in_area_hauler.name)
        assert [visit["plan_date"] for visit in plan["visits"]] == ["2027-02-16", "2027-02-18", "2027-02-23"]

        # Skip Thursday's visit; from Monday the 22nd, Wednesdays only.
        skipped = ok(
            run_on_commit(api.post, f"/api/v1/plans/{plan['id']}/skip/", {"date": "2027-02-18"}, format="json")
        )
        assert {v["plan_date"]: v["status"] for v in skipped["visits"]}["2027-02-18"] == "skipped"
        change = {"weekdays": ["wednesday"], "from_date": "2027-02-22"}
        successor = ok(run_on_commit(api.post, f"/api/v1/plans/{plan['id']}/weekdays/", change, format="json"))
        successor = ok(api.get(f"/api/v1/plans/{successor['id']}/"))
        assert (successor["replaces"], successor["weekdays"]) == (plan["id"], ["wednesday"])
        wednesday = next(visit for visit in successor["visits"] if visit["plan_date"] == "2027-02-24")

        # Friday: the one-time pickup is done and charged to the card.
        clock.move_to(dt.datetime(2027, 2, 12, 15, 0, tzinfo=dt.UTC))
        assert complete(hauler_api, run_on_commit, pickup["id"])["status"] == "completed"
        paid = ok(api.get(f"/api/v1/pickups/{pickup['id']}/"))["payment"]
        assert (paid["status"], paid["status_display"], paid["charged_cents"]) == (
            "succeeded",
            "Paid",
            quote["price_cents"],
        )
        assert paid["paid_at"] and paid["refunded_cents"] == 0

        # The plan's visits of the month are done.
        clock.move_to(dt.datetime(2027, 2, 16, 15, 0, tzinfo=dt.UTC))
        complete(hauler_api, run_on_commit, first_visit["id"])
        clock.move_to(dt.datetime(2027, 2, 24, 15, 0, tzinfo=dt.UTC))
        complete(hauler_api, run_on_commit, wednesday["id"])

        # March 3: February is invoiced and charged.
        clock.move_to(dt.datetime(2027, 3, 3, 12, 0, tzinfo=dt.UTC))
        assert run_on_commit(market_tasks.issue_invoices) == 1

        invoices = ok(api.get("/api/v1/invoices/"))["results"]
        assert [(invoice["month"], invoice["status"]) for invoice in invoices] == [("2027-02-01", "paid")]
        invoice = ok(api.get(f"/api/v1/invoices/{invoices[0]['id']}/"))
        assert [line["pickup"] for line in invoice["lines"]] == [first_visit["id"], wednesday["id"]]
        assert invoice["total_cents"] == 2 * plan_quote["price_cents"]
        payments = ok(api.get("/api/v1/payments/"))["results"]
        assert [(row["invoice"], row["pickup"], row["status"]) for row in payments] == [
            (invoice["id"], None, "succeeded"),
            (None, pickup["id"], "succeeded"),
        ]
        visit_payment = ok(api.get(f"/api/v1/pickups/{wednesday['id']}/"))["payment"]
        assert (visit_payment["status"], visit_payment["invoice"]) == ("succeeded", invoice["id"])

        document = api.get(invoice["pdf"])
        assert (document.status_code, document["Content-Type"]) == (200, "application/pdf")
        assert document.content.startswith(b"%PDF-")
        receipt = api.get(payments[1]["receipt_pdf"])
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF-")
