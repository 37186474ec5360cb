"""Two people of a business reporting the same problem with one visit at the same instant, on PostgreSQL: one case
opens and the other report is added to it (the pickup's row lock orders them; the partial unique constraint is
the backstop), never two open cases nor an IntegrityError."""

import pytest

from marketplace import cases
from marketplace.models import Case, CaseMessage
from tests import factories
from tests.marketplace.cases.cast import done_visit
from tests.services.threads import at_once

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_reports_at_once_make_one_open_case(postgres):
    for round_ in range(5):  # a race won once could be luck; five times is a lock
        first = factories.CustomerMembershipFactory(role="owner")
        second = factories.CustomerMembershipFactory(customer=first.customer, role="member")
        factories.LocationFactory(customer=first.customer)
        visit = done_visit(customer=first.customer, hauler=factories.HaulerFactory(), proof=False)

        def report(person, words, visit=visit):
            return lambda: cases.open_problem(pickup=visit, problem="missed", description=words, by=person.user).pk

        outcomes = at_once(report(first, f"Nobody came ({round_})"), report(second, f"Still full ({round_})"))

        assert all(isinstance(outcome, int) for outcome in outcomes), outcomes
        assert len(set(outcomes)) == 1, outcomes
        case = Case.objects.get(pickup=visit)
        assert case.status == Case.Status.OPEN
        said = set(CaseMessage.objects.filter(case=case).values_list("body", flat=True))
        assert said == {f"Nobody came ({round_})", f"Still full ({round_})"}
