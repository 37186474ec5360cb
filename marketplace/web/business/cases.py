"""The business's problem reports: reporting one from a pickup, its cases, and a case's page with its thread."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import Conflict
from core.views import apply_errors, business_required
from marketplace import cases, selectors
from marketplace.models import Case, CaseMessage, Pickup
from marketplace.web.case_pages import MessageForm, ReportForm, evidence_view, status_sentence

CASES_SHOWN = 50


def pickup_panel(pickup: Pickup) -> dict:
    """The pickup page's problem-report panel: its cases, and whether (or why not) it can be reported now."""
    rows = []
    for case in pickup.cases.select_related("hauler", "make_up").order_by("-created_at", "-id"):
        case.pickup = pickup  # the page's own row, with its place: no query per case
        rows.append({"case": case, "status": status_sentence(case, side="business")})
    return {"pickup_cases": rows, "report_refusal": cases.report_refusal(pickup)}


@business_required
@require_http_methods(["GET", "POST"])
def case_report(request, customer, pickup_id: int):
    """Report a problem with a visit: what went wrong, what happened, photos."""
    pickup = selectors.pickup_of(customer=customer, pickup_id=pickup_id)
    refusal = cases.report_refusal(pickup)
    initial = {"problem": Case.Problem.MISSED} if pickup.status == Pickup.Status.MISSED else {}
    form = ReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and refusal is not None:
        raise Conflict(refusal)  # the visit's state forbids it: a 409 page that says why
    if request.method == "POST" and form.is_valid():
        started = timezone.now()
        try:
            case = cases.open_problem(pickup=pickup, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if case.created_at < started:
                messages.success(request, "Added to your open report of this problem.")
            else:
                who = pickup.hauler.name if pickup.hauler_id else "the hauler"
                messages.success(request, f"Reported. We've asked {who} for its side; HaulMatch staff will decide.")
            return redirect("case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"pickup": pickup, "form": form, "refusal": refusal}
    return render(request, "marketplace/cases/report.html", context, status=status)


@business_required
@require_GET
def case_list(request, customer):
    """The business's problem reports and card disputes, newest first."""
    rows = cases.cases_for_customer(customer=customer)[:CASES_SHOWN]
    listed = [{"case": case, "status": status_sentence(case, side="business")} for case in rows]
    return render(request, "marketplace/cases/list.html", {"rows": listed})


@business_required
@require_http_methods(["GET", "POST"])
def case_detail(request, customer, case_id: int):
    """A case: where it stands, the thread, the evidence, and adding words or a photo."""
    case = cases.case_for_customer(customer=customer, case_id=case_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            cases.add_message(case=case, side=CaseMessage.Side.BUSINESS, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Added to the case.")
            return redirect("case_detail", case_id=case.pk)
    context = {
        "case": case,
        "status": status_sentence(case, side="business"),
        "form": form,
        **evidence_view(case, side="business"),
    }
    return render(request, "marketplace/cases/detail.html", context, status=400 if request.method == "POST" else 200)
