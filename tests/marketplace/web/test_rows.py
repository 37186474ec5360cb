"""The busiest pages' table cells, formatted in Python: the same text the template filters gave."""

import datetime as dt

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from marketplace.models import Pickup, ServicePlan
from marketplace.web.rows import Cells, label


def filtered(source: str, value) -> str:
    return engines["django"].from_string(source).render({"value": value})


DATES = [dt.date(2026, 12, 3), dt.date(2027, 1, 1), dt.date(2026, 2, 28), dt.date(2026, 7, 4)]
TIMES = [dt.time(7), dt.time(12), dt.time(0), dt.time(13, 30), dt.time(23, 59)]


@pytest.mark.parametrize("language", ["en-us", "de", "fr"])
def test_dates_and_times_read_as_the_filters_wrote_them_in_each_language(language):
    with translation.override(language):
        cells = Cells()
        for day in DATES:
            assert cells.date(day) == filtered('{{ value|date:"D, M j" }}', day)
            assert cells.date(day, "l, M j") == filtered('{{ value|date:"l, M j" }}', day)
        for moment in TIMES:
            assert cells.time(moment) == filtered('{{ value|time:"g A" }}', moment)
        source = "{{ value.get_waste_stream_display }}, {{ value.quantity }} \u00d7 {{ value.get_container_display }}"
        for stream, quantity, container in [("trash", 1, "dumpster_4yd"), ("recycling", 12, "cart_96gal")]:
            pickup = Pickup(waste_stream=stream, quantity=quantity, container=container)
            assert cells.what(stream, quantity, container) == filtered(source, pickup)


def test_a_remembered_date_is_remembered_per_language():
    day = dt.date(2026, 12, 3)
    with translation.override("en-us"):
        english = Cells().date(day)
    with translation.override("de"):
        german = Cells().date(day)
    assert (english, german) == ("Thu, Dec 3", "Do, Dez 3")


@pytest.mark.parametrize("name", ["pickup_detail", "plan_detail", "hauler_job"])
def test_links_are_what_reverse_gives(name):
    cells = Cells()
    for pk in (1, 7, 10, 987, 987_654_320, 2**40):
        assert cells.link(name, pk) == reverse(name, args=[pk])


def test_choice_labels_are_what_get_display_shows():
    for status in Pickup.Status:
        assert label(Pickup, "status", status.value) == Pickup(status=status.value).get_status_display()
    for frequency in ("weekly", "biweekly", "monthly"):
        assert label(ServicePlan, "frequency", frequency) == ServicePlan(frequency=frequency).get_frequency_display()
    # a value that is not a choice (a status since retired, say) shows as itself, as get_FOO_display does
    assert label(Pickup, "status", "retired") == Pickup(status="retired").get_status_display() == "retired"
