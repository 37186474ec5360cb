"""The hauler portal's "Your reliability" page: the score matching ranks by, each part in sentences with its
numbers, and what raises it. The numbers come from marketplace.reliability.report_for; this module only says them."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import geo
from core.views import hauler_required, role_required
from haulers.pauses import current_pause
from marketplace import reliability
from marketplace.web.hauler.views import counted

TITLES = {
    "on_time": "Visits done on time",
    "follow_through": "Jobs kept after accepting",
    "answering": "Offers answered yes",
    "ratings": "Businesses' ratings",
}
ADVICE = {
    "on_time": "Arrive inside the window the business booked. If a truck cannot make it, give the job back early "
    "so another hauler can; report a blocked or missing container only when it was, with a photo.",
    "follow_through": "Accept only what your trucks can do that day. If you must give a job back, do it as early "
    "as you can: inside a day of its window it counts twice.",
    "answering": "Answer every offer before its deadline, and keep your service area, rate card and trucks current "
    "so the offers you get are jobs you want. Offers let expire also count toward a pause.",
    "ratings": "Put bins back where they were, leave nothing behind, and message the business when something "
    "stops you. Businesses rate each visit for two weeks after it.",
}


def points(value: Decimal) -> int:
    """0.874 -> 87: a score read out of 100."""
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Line:
    key: str
    title: str
    weight_percent: int
    points: int
    sentence: str
    advice: str


def _sentence(key: str, c: reliability.Counts) -> str:
    if key == "on_time":
        due = c.completed + c.missed + c.overturned
        if not due:
            return "No visit of yours came due in the last 90 days."
        text = f"Of {counted(due, 'visit')} that came due, {c.on_time} {'was' if c.on_time == 1 else 'were'} done "
        text += f"inside the arrival window, {c.outside_window} outside it (early or late) and {c.missed} missed."
        if c.overturned:
            claims = counted(c.overturned, "could-not-service report")
            text += f" A case found {claims} untrue; each counts as two misses."
        return text
    if key == "follow_through":
        if not c.taken:
            return "You accepted no jobs in the last 90 days."
        text = f"You kept {c.kept} of the {counted(c.taken, 'job')} you accepted"
        if not c.given_back:
            return text + " and gave none back."
        late = f", {c.late} of them within a day of the window" if c.late else ""
        return text + f" and gave {c.given_back} back{late}."
    if key == "answering":
        offered = c.taken + c.declined + c.expired
        if not offered:
            return "You had no offers in the last 90 days."
        return (
            f"Of {counted(offered, 'offer')}, you said yes to {c.taken}, declined {c.declined} "
            f"and let {c.expired} expire."
        )
    if not c.ratings:
        return "No business has rated a visit of yours in the last 90 days."
    average = Decimal(c.stars_total) / c.ratings
    return f"Businesses rated {counted(c.ratings, 'visit')}, {average:.1f} stars on average (5 stars counts as 100)."


def _lines(report: reliability.Report) -> list[Line]:
    return [
        Line(key, TITLES[key], points(part.weight), points(part.rate), _sentence(key, report.counts), ADVICE[key])
        for key, part in report.parts.items()
    ]


@hauler_required
@role_required("see")
@require_GET
def hauler_reliability(request, hauler):
    """The score, its four parts with their numbers, how matching uses it, and a pause in force."""
    report = reliability.report_for(hauler=hauler)
    lines = _lines(report)
    # the part where the score loses most: a weak part that weighs little costs less than a fair one that weighs much
    weakest = max(lines, key=lambda line: ((100 - line.points) * line.weight_percent, line.weight_percent))
    depot = geo.lookup(hauler.depot_zip)
    context = {
        "hauler": hauler,
        # the stored score is the one matching reads; the parts are counted now, so they may be ahead of it
        "score": points(report.stored),
        "next_score": points(report.score),
        "minimum": points(report.minimum),
        "lines": lines,
        "weakest": weakest,
        "pause": current_pause(hauler=hauler) if report.paused_until else None,
        "paused_until": report.paused_until,
        "weight_per_ten": points(settings.MATCH_RELIABILITY_WEIGHT * Decimal("0.1")),
        "lockout_max": settings.LOCKOUT_MAX_GIVE_BACKS,
        "lockout_hours": int(settings.LOCKOUT_PERIOD.total_seconds() // 3600),
        "prior": points(reliability.PRIOR),
        "tz": depot.timezone if depot else "America/New_York",
    }
    return render(request, "haulers/reliability.html", context)
