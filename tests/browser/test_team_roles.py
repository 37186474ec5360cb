"""The team page in a browser: the roles explained, a role changed with its select, on a phone and a desktop,
under the Content-Security-Policy (no inline script or style)."""

import pytest
from django.urls import reverse

from customers.models import Membership
from tests import factories
from tests.browser.test_csp import visit, watch
from tests.browser.test_hauler_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_changes_a_role_on_the_team_page(page, live_server, width):
    owner = factories.CustomerMembershipFactory(
        customer__name="Cafe Uno", role="owner", user__email="owner@cafe.example"
    )
    owner.user.set_password("a-long-test-password")
    owner.user.save()
    factories.CustomerMembershipFactory(customer=owner.customer, role="manager", user__email="manager@cafe.example")
    member = factories.CustomerMembershipFactory(
        customer=owner.customer, role="member", user__email="a.member.with.a.long.address@cafe.example"
    )
    problems = watch(page)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "owner@cafe.example", "a-long-test-password")
    visit(page, problems, reverse("team"))
    page.snap(f"team-{width}")
    assert page.locator("dl.roles dt").all_inner_texts() == ["Owner", "Manager", "Member"]
    # Nothing wider than the screen: the table scrolls inside its own box rather than the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.select_option(f"#role-business-{member.pk}", "manager")
    page.locator(f"#role-business-{member.pk} ~ button").click()
    page.wait_for_load_state("networkidle")
    assert "is now manager." in page.content()
    page.snap(f"team-{width}-changed")
    assert Membership.objects.get(pk=member.pk).role == "manager"
    assert problems == []
