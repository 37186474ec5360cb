"""The hauler's side of problem reports: the cases about its jobs, and a case's page where it answers with its own
words and photos. The office's work (owners and dispatchers), like the jobs list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from core.views import apply_errors, hauler_required, role_required
from marketplace import cases
from marketplace.models import Case, CaseMessage
from marketplace.web.case_pages import MessageForm, evidence_view, status_sentence

CASES_SHOWN = 50


@hauler_required
@role_required("dispatch")
@require_GET
def hauler_cases(request, hauler):
    """Problem reports about the hauler's jobs: those waiting for its answer first, then the newest."""
    found = cases.cases_for_hauler(hauler=hauler)
    unanswered = Q(status=Case.Status.OPEN, hauler_answered_at__isnull=True)
    waiting = list(found.filter(unanswered).order_by("respond_by", "id"))
    rest = list(found.exclude(unanswered)[:CASES_SHOWN])
    rows = [{"case": case, "status": status_sentence(case, side="hauler")} for case in [*waiting, *rest]]
    return render(request, "haulers/cases.html", {"rows": rows, "waiting": len(waiting)})


@hauler_required
@role_required("dispatch")
@require_http_methods(["GET", "POST"])
def hauler_case(request, hauler, case_id: int):
    """A case about one of the hauler's jobs: what the business said, the evidence, and the hauler's answer."""
    case = cases.case_for_hauler(hauler=hauler, case_id=case_id)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            cases.add_message(case=case, side=CaseMessage.Side.HAULER, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Sent. The business and HaulMatch staff can read it now.")
            return redirect("hauler_case", case_id=case.pk)
    context = {
        "case": case,
        "status": status_sentence(case, side="hauler"),
        "form": form,
        **evidence_view(case, side="hauler"),
    }
    return render(request, "haulers/case.html", context, status=400 if request.method == "POST" else 200)
