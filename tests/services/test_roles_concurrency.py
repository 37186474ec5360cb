"""Two owners each demoting (or removing) the other at the same instant, on PostgreSQL: one of them wins, and the
business is never left without an owner (the owner rows are locked before the last-owner check)."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import Forbidden
from customers import services
from customers.models import Membership
from tests import factories
from tests.services.threads import at_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
LAST_OWNER = "An organisation needs at least one owner; make someone else owner first."


def outcome(call):
    """`call` as a race's entry: "done", or the sentence it was refused with."""

    def run():
        try:
            call()
        except ValidationError as error:
            return " ".join(error.messages)
        except Forbidden:
            return "Forbidden: only an owner may"
        return "done"

    return run


@pytest.mark.parametrize("how", ["demote", "remove"])
def test_two_owners_at_once_leave_one_owner(postgres, how):
    for _ in range(5):  # a race lost once could be luck; five times is a lock
        first = factories.CustomerMembershipFactory(role="owner")
        second = factories.CustomerMembershipFactory(customer=first.customer, role="owner")

        def act(seat, by):
            if how == "demote":
                return lambda: services.change_role(membership=seat, role="manager", by=by.user)
            return lambda: services.remove_member(membership=seat, by=by.user)

        outcomes = at_once(outcome(act(second, first)), outcome(act(first, second)))
        # The loser is refused: its target is the last owner, or (demoted a moment ago) it is no owner any more.
        assert outcomes.count("done") == 1
        assert {outcome for outcome in outcomes if outcome != "done"} <= {LAST_OWNER, "Forbidden: only an owner may"}
        assert Membership.objects.filter(customer=first.customer, role="owner").count() == 1
