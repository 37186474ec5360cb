"""The case queue in the staff admin: soonest deadline first with the clock in words, a case's evidence and thread,
and settling it with a make-up and a credit from its page; readable on a phone and a desktop, nothing serious for
axe-core."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Case, CaseMessage, Pickup
from tests import factories
from tests.browser.test_staff_console import problems, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def reported(location, hauler, *, problem, due_in, description):
    pickup = factories.PickupFactory(
        location=location, hauler=hauler, status=Pickup.Status.COMPLETED, container="dumpster_4yd",
        price_cents=10_200, payout_cents=8_500, service_date=timezone.localdate() - dt.timedelta(days=1),
    )  # fmt: skip
    case = Case.objects.create(
        customer=location.customer, pickup=pickup, hauler=hauler, problem=problem, description=description,
        respond_by=timezone.now() + due_in,
    )  # fmt: skip
    CaseMessage.objects.create(case=case, side=CaseMessage.Side.BUSINESS, body=description)
    CaseMessage.objects.create(case=case, side=CaseMessage.Side.HAULER, body="The bin was blocked by a van.")
    return case


@pytest.mark.parametrize("width", [390, 1280])
def test_staff_work_the_case_queue_and_settle_a_case(page, staff_user, location, in_area_hauler, width):
    later = reported(
        location, in_area_hauler, problem="not_emptied", due_in=dt.timedelta(hours=5, minutes=30),
        description="Half the dumpster is still full.",
    )  # fmt: skip
    reported(location, in_area_hauler, problem="damage", due_in=-dt.timedelta(hours=2, minutes=10),
             description="The lid is cracked.")  # fmt: skip
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, staff_user)

    page.goto(reverse("admin:marketplace_case_changelist"))
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert "overdue by 2 h" in rows.nth(0).inner_text()
    assert "due in 5 h" in rows.nth(1).inner_text()
    page.snap(f"queue-{width}")
    assert problems(page) == []

    page.goto(reverse("admin:marketplace_case_change", args=[later.pk]))
    content = page.locator("#content").inner_text()
    assert "Due in 5 h" in content and "The bin was blocked by a van." in content and "Offers and answers" in content
    page.snap(f"case-{width}")
    assert problems(page) == []

    page.get_by_role("link", name="Settle").click()
    page.get_by_label("Book a make-up visit").check()
    page.get_by_label("Credit to the account ($)").fill("15.00")
    page.get_by_label("Note to both sides").fill("Sorry: we are sending the truck back.")
    page.snap(f"settle-{width}")
    assert problems(page) == []
    page.get_by_role("button", name="Settle").click()
    page.wait_for_url(f"**/admin/marketplace/case/{later.pk}/change/")
    assert "is settled; both sides have been told" in page.locator(".messagelist").inner_text()
    page.snap(f"settled-{width}")
    later.refresh_from_db()
    assert (later.status, later.credit_cents) == (Case.Status.RESOLVED, 1_500) and later.make_up is not None
