"""The kinds of event of trust: problem reports and their settlement, make-up visits, card disputes, offer pauses."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from core import geo
from haulers.models import OfferPause
from marketplace.models import Case, CaseMessage, Pickup
from marketplace.notifications.kinds import Kind, admin_page, members, office, pickup_page, staff


def pause_why(pause: OfferPause) -> str:
    """'4 jobs given back ... in 24 hours. New offers resume Wed, Dec 2, 10:41 PM CST.' in the depot's zone."""
    depot = geo.lookup(pause.hauler.depot_zip)
    until = pause.until.astimezone(ZoneInfo(depot.timezone if depot else settings.STAFF_TIME_ZONE))
    clock = f"{until:%I:%M %p}".lstrip("0")
    return f"{pause.reason}. New offers resume {until:%a, %b} {until.day}, {clock} {until.tzname()}."


KINDS: dict[str, Kind] = {
    "offers_paused": Kind(
        "Offers paused or resumed",
        OfferPause,
        "New offers paused for a day: too many jobs given back or offers let expire",
        lambda pause: members(pause.hauler),
        lambda pause: reverse("hauler_reliability"),
        why=lambda pause: pause_why(pause),
    ),
    "offers_resumed": Kind(
        "Offers paused or resumed",
        OfferPause,
        "Offers resume: staff lifted the pause",
        lambda pause: members(pause.hauler),
        lambda pause: reverse("hauler_reliability"),
    ),
    # Problem reports (marketplace/cases.py): the hauler and staff hear of a new case, each side of the other's words.
    "case_opened": Kind(
        "A business reported a problem with a job",
        Case,
        "Problem reported: {{ obj.pickup.service_date|date:DAY }} at ZIP {{ obj.pickup.location.zip_code }}",
        lambda case: office(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    "case_opened_staff": Kind(
        "A business reported a problem (staff)",
        Case,
        "Case {{ obj.pk }}: {{ obj.get_problem_display|lower }} ({{ obj.customer.name }})",
        lambda case: staff(),
        lambda case: admin_page("admin:marketplace_case_change", case.pk),
    ),
    "case_message_business": Kind(
        "Answers on your problem reports",
        CaseMessage,
        "New on your case: {{ obj.case.get_problem_display|default:obj.case.get_kind_display }}",
        lambda message: members(message.case.customer),
        lambda message: reverse("case_detail", args=[message.case_id]),
    ),
    "case_message_hauler": Kind(
        "New messages on a problem report about a job",
        CaseMessage,
        "New on case {{ obj.case_id }}: {{ obj.case.get_problem_display|lower }}",
        lambda message: office(message.case.hauler) if message.case.hauler_id else [],
        lambda message: reverse("hauler_case", args=[message.case_id]),
    ),
    # Settling a case and making up a visit (marketplace/resolutions.py, marketplace/makeups.py): each side told.
    "make_up_booked": Kind(
        "A make-up visit was booked",
        Pickup,
        "Make-up visit booked for {{ obj.service_date|date:DAY }}",
        lambda pickup: members(pickup.customer),
        pickup_page,
    ),
    "case_resolved": Kind(
        "Your problem reports are settled",
        Case,
        "Settled: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
    ),
    "case_resolved_hauler": Kind(
        "Problem reports about your jobs are settled",
        Case,
        "Case {{ obj.pk }} settled: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    "case_rejected": Kind(
        "Your problem reports are closed without action",
        Case,
        "We looked into your report: {{ obj.get_problem_display|default:obj.get_kind_display|lower }}",
        lambda case: members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
    ),
    "case_rejected_hauler": Kind(
        "Problem reports about your jobs are closed without action",
        Case,
        "Case {{ obj.pk }} closed with no action against you",
        lambda case: members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_case", args=[case.pk]),
    ),
    # Card disputes (marketplace/disputes.py): staff hear of a new one; both sides of how the bank decided it
    # (once per outcome: Stripe may reverse its decision).
    "dispute_opened_staff": Kind(
        "A card dispute needs its evidence sent (staff)",
        Case,
        "Card dispute: {{ obj.customer.name }}, evidence due {{ obj.respond_by|date:DAY }}",
        lambda case: staff(),
        lambda case: admin_page("admin:billing_dispute_change", case.dispute_id),
    ),
    "dispute_closed_business": Kind(
        "Card disputes are decided",
        Case,
        "Your bank decided the card dispute"
        "{% if obj.pickup %} on the {{ obj.pickup.service_date|date:DAY }} pickup{% endif %}",
        lambda case: members(case.customer),
        lambda case: reverse("case_detail", args=[case.pk]),
        occurrence=lambda case: case.status,
    ),
    "dispute_closed_hauler": Kind(
        "Card disputes about your jobs are decided",
        Case,
        "A card dispute on your {{ obj.pickup.service_date|date:DAY }} job is decided: your pay stands",
        lambda case: members(case.hauler) if case.hauler_id else [],
        lambda case: reverse("hauler_job", args=[case.pickup_id]) if case.pickup_id else "",
        occurrence=lambda case: case.status,
    ),
}
