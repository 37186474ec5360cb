"""The hauler portal: company, credentials, service area, rate card, offers, jobs and earnings."""

import datetime as dt
import os
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Min
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.views import allows_stripe_onboarding
from core import geo
from core.permissions import may
from core.transitions import history
from core.uploads import sniff
from core.views import apply_errors, hauler_required, role_required
from haulers import services as hauler_services
from haulers.models import Credential, Hauler
from marketplace import dispatch, fleet, scheduling, selectors, services
from marketplace.models import ExceptionReason
from marketplace.web import rows
from marketplace.web.hauler.forms import (
    CompanyForm,
    CompleteForm,
    CredentialForm,
    DeclineForm,
    ExceptionForm,
    RateCardForm,
    rate_key,
)

EXPIRING_WITHIN_DAYS = 30
CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}


def _timezone_of(hauler: Hauler) -> str:
    """The depot's timezone: what 'today' means to the hauler's dispatcher."""
    depot = geo.lookup(hauler.depot_zip)
    return depot.timezone if depot else "America/New_York"


def _today(hauler: Hauler) -> dt.date:
    return scheduling.local_today(_timezone_of(hauler))


# --- Company ------------------------------------------------------------------------------


def counted(number: int, noun: str) -> str:
    """'1 ZIP code', '3 ZIP codes'."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _checklist(hauler: Hauler, today: dt.date) -> list[dict]:
    """What a hauler needs before it can be matched, and whether it has it."""
    current = hauler.credentials.filter(valid_from__lte=today, expires_on__gte=today)
    valid = set(current.values_list("kind", flat=True))
    zips, rates, trucks = hauler.service_zips.count(), hauler.rates.count(), hauler.trucks.filter(active=True).count()
    truck_text = f"Trucks in service: {trucks}" if trucks else "Add your first truck to get offers"
    return [
        {"done": Credential.Kind.LICENCE in valid, "text": "A current hauling licence", "url": "hauler_credentials"},
        {"done": Credential.Kind.INSURANCE in valid, "text": "Current insurance", "url": "hauler_credentials"},
        {"done": zips > 0, "text": f"A service area ({counted(zips, 'ZIP code')})", "url": "hauler_area"},
        {"done": rates > 0, "text": f"A rate card ({counted(rates, 'service')} priced)", "url": "hauler_rates"},
        {"done": trucks > 0, "text": truck_text, "url": "hauler_trucks"},
    ]


@hauler_required
@role_required("see", post="company")
@require_http_methods(["GET", "POST"])
def company(request, hauler):
    """The company's details and operations, its verification status and what is left to set up."""
    form = CompanyForm.for_hauler(hauler, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            fleet.update_operations(hauler=hauler, by=request.user, **form.operations())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Saved your company details.")
            return redirect("hauler_company")
    context = {"form": form, "hauler": hauler, "checklist": _checklist(hauler, _today(hauler))}
    context["may_edit"] = may(user=request.user, organisation=hauler, action="company")
    return render(request, "haulers/company.html", context, status=400 if form.errors else 200)


# --- Credentials --------------------------------------------------------------------------


def _credential_rows(hauler: Hauler, today: dt.date) -> list[dict]:
    rows = []
    for credential in hauler.credentials.order_by("kind", "-expires_on", "-id"):
        days_left = (credential.expires_on - today).days
        if days_left < 0:
            state = "expired"
        elif days_left <= EXPIRING_WITHIN_DAYS:
            state = "expiring"
        else:
            state = "valid"
        rows.append({"credential": credential, "state": state, "days_left": days_left})
    return rows


@hauler_required
@role_required("see", post="company")
@require_http_methods(["GET", "POST"])
def credentials(request, hauler):
    """The hauler's licences and insurance certificates, with a form to add one."""
    form = CredentialForm(request.POST, request.FILES) if request.method == "POST" else CredentialForm()
    if request.method == "POST" and form.is_valid():
        try:
            credential = hauler_services.add_credential(hauler=hauler, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"Added your {credential.get_kind_display().lower()}. We'll check it shortly.")
            return redirect("hauler_credentials")
    context = {"form": form, "rows": _credential_rows(hauler, _today(hauler)), "hauler": hauler}
    context["may_edit"] = may(user=request.user, organisation=hauler, action="company")
    return render(request, "haulers/credentials.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def credential_document(request, credential_id: int):
    """The credential's file, to the hauler's own people and to staff only (it is never at a public URL)."""
    credential = Credential.objects.filter(pk=credential_id).first()
    membership = getattr(request.user, "hauler_membership", None)
    own = (
        membership is not None
        and credential is not None
        and membership.hauler_id == credential.hauler_id
        and may(user=request.user, organisation=membership.hauler, action="see")
    )
    if credential is None or not (own or request.user.is_staff) or not credential.document:
        raise Http404("No such document.")
    try:
        handle = credential.document.open("rb")
    except FileNotFoundError:
        raise Http404("The document's file is missing.") from None
    # Served as what its content is (checked on upload), as a download: never rendered in our origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=os.path.basename(credential.document.name),
        content_type=CONTENT_TYPES.get(sniff(handle), "application/octet-stream"),
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Rate card ----------------------------------------------------------------------------


@hauler_required
@role_required("see", post="commercial")
@require_http_methods(["GET", "POST"])
def rates(request, hauler):
    """The price of one pickup, and of each extra container, per waste stream and container."""
    form = RateCardForm(request.POST if request.method == "POST" else None, rates=hauler.rates.all())
    if request.method == "POST" and form.is_valid():
        rows = form.rows()
        try:
            saved = hauler_services.set_rate_card(hauler=hauler, by=request.user, rows=rows)
        except ValidationError as error:
            for key, problems in error.message_dict.items():
                index = key.removeprefix("rows.")
                row = rows[int(index)] if index.isdigit() and int(index) < len(rows) else None
                field = f"price_{rate_key(row['waste_stream'], row['container'])}" if row else None
                form.add_error(field, problems)
        else:
            messages.success(request, f"Saved your rate card: {counted(len(saved), 'service')} priced.")
            return redirect("hauler_rates")
    context = {"form": form, "grid": form.grid(), "hauler": hauler}
    context["may_edit"] = may(user=request.user, organisation=hauler, action="commercial")
    return render(request, "haulers/rates.html", context, status=400 if form.errors else 200)


# --- Offers -------------------------------------------------------------------------------


def time_left(delta: dt.timedelta) -> str:
    """'1 h 12 min left', '3 min left', 'less than a minute left'."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute left"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes and not days)
    return " ".join(parts) + " left"


def _offers_context(hauler: Hauler) -> dict:
    now = timezone.now()
    # An offer past its answer-by time waits only for the sweep: it can no longer be accepted.
    offers = list(selectors.offers_for(hauler=hauler).filter(answer_by__gt=now).select_related("pickup__plan"))
    for offer in offers:
        offer.time_left = time_left(offer.answer_by - now)
        offer.decline_form = DeclineForm(auto_id=f"id_decline_{offer.pk}_%s")
    return {"offers": offers, "hauler": hauler, "tz": _timezone_of(hauler), "now": now}


@hauler_required
@role_required("offers")
@require_GET
def offers(request, hauler):
    """Pending offers, each with what the hauler needs to decide (not who the customer is)."""
    return render(request, "haulers/offers.html", _offers_context(hauler))


@hauler_required
@role_required("offers")
@require_GET
def offer_list(request, hauler):
    """htmx: just the list, polled so it stays current."""
    return render(request, "haulers/_offer_list.html", _offers_context(hauler))


@hauler_required
@role_required("offers")
@require_POST
def offer_accept(request, hauler, offer_id: int):
    pickup = dispatch.accept_offer(offer_id=offer_id, hauler=hauler, by=request.user)
    messages.success(request, "It's yours: the job is on your schedule.")
    return redirect("hauler_job", pickup_id=pickup.pk)


@hauler_required
@role_required("offers")
@require_POST
def offer_decline(request, hauler, offer_id: int):
    selectors.offer_for(hauler=hauler, offer_id=offer_id)  # another hauler's offer is a 404, whatever was posted
    form = DeclineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why you are declining.")
        return redirect("hauler_offers")
    dispatch.decline_offer(offer_id=offer_id, hauler=hauler, reason=form.reason_text(), by=request.user)
    messages.success(request, "Declined. We'll offer the job to another hauler.")
    return redirect("hauler_offers")


# --- Jobs ---------------------------------------------------------------------------------


def _week_from(value: str | None, today: dt.date) -> dt.date:
    """The first day of the week shown: ?from=YYYY-MM-DD, never before today (earlier days show as still open)."""
    try:
        return max(dt.date.fromisoformat(value or ""), today)
    except ValueError:
        return today


def _later(hauler: Hauler, after: dt.date) -> dict:
    """How many jobs come after the week shown, and the first one's date, where the link goes: one query."""
    later = selectors.jobs_of(hauler=hauler, date_from=after + dt.timedelta(days=1)).order_by()
    return later.aggregate(count=Count("pk"), first=Min("service_date"))


@hauler_required
@role_required("dispatch")
@require_GET
def jobs(request, hauler):
    """Scheduled jobs: any left open from past days, today's, and the rest of the week; or a later week
    (?from=), which the "more jobs after" link opens at the next job's date."""
    order = "zip" if request.GET.get("order") == "zip" else "date"
    today = _today(hauler)
    start = _week_from(request.GET.get("from"), today)
    week_end = start + dt.timedelta(days=6)
    scheduled = rows.jobs(hauler=hauler, date_to=week_end, by_zip=order == "zip")
    later = _later(hauler, week_end)
    this_week = start == today
    context = {
        "hauler": hauler,
        "order": order,
        "today": today,
        "start": start,
        "this_week": this_week,
        "week_end": week_end,
        "from_query": "" if this_week else f"from={start.isoformat()}&",
        "overdue": [job for job in scheduled if job["service_date"] < today] if this_week else [],
        "today_jobs": [job for job in scheduled if job["service_date"] == today],
        "week_jobs": [job for job in scheduled if job["service_date"] > today and job["service_date"] >= start],
        "later_count": later["count"],
        "later_url": f"{reverse('hauler_jobs')}?from={later['first'].isoformat()}" if later["first"] else "",
        "later_first": later["first"],
    }
    return render(request, "haulers/jobs.html", context)


def opens_later(job) -> str:
    """What completing the job now must answer, while its window has not opened: when it opens; else ''."""
    return services.early_message(job) if timezone.now() < job.window()[0] else ""


def _early_reason(job) -> str:
    """Why a completed job was done before its window, as the history keeps it (what the customer was told)."""
    if job.status != job.Status.COMPLETED:
        return ""
    said = history(job).filter(to_status=job.Status.COMPLETED).order_by("-pk").values_list("reason", flat=True)
    reason = said.first() or ""
    return reason.removeprefix(services.COMPLETED_EARLY) if reason.startswith(services.COMPLETED_EARLY) else ""


def _render_job(request, hauler, job, *, complete_form=None, exception_form=None, status=200):
    now_there = timezone.localtime(timezone.now(), ZoneInfo(job.location.timezone))
    initial = {"serviced_at": now_there.replace(tzinfo=None, second=0, microsecond=0)}
    opens = opens_later(job)
    context = {
        "opens": opens,
        "job": job,
        "proof": getattr(job, "proof", None) if job.status == job.Status.COMPLETED else None,
        "complete_form": complete_form or CompleteForm(initial=initial, opens=opens),
        "exception_form": exception_form or ExceptionForm(),
        "exception_label": ExceptionReason(job.exception_reason).label if job.exception_reason else "",
        "is_office": may(user=request.user, organisation=hauler, action="dispatch"),
        "early_reason": _early_reason(job),
    }
    return render(request, "haulers/job_detail.html", context, status=status)


@hauler_required
@require_GET
def job_detail(request, hauler, pickup_id: int):
    """A job the hauler holds: where, who to call, how to get in, and closing it with proof."""
    return _render_job(request, hauler, selectors.job_of(hauler=hauler, pickup_id=pickup_id))


@hauler_required
@require_POST
def job_complete(request, hauler, pickup_id: int):
    job = selectors.job_of(hauler=hauler, pickup_id=pickup_id)
    # The time typed is the location's wall-clock time.
    with timezone.override(ZoneInfo(job.location.timezone)):
        form = CompleteForm(request.POST, request.FILES, opens=opens_later(job))
        valid = form.is_valid()
    if valid:
        try:
            services.complete_pickup(pickup_id=job.pk, hauler=hauler, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            if "early_reason" in error.message_dict and "early_reason" not in form.fields:
                form.ask_why_early(services.early_message(job))  # the time typed is before the window
            apply_errors(form, error)
        else:
            messages.success(request, "Job done: proof of service recorded. Thank you!")
            return redirect("hauler_job", pickup_id=job.pk)
    return _render_job(request, hauler, job, complete_form=form, status=400)


@hauler_required
@require_POST
def job_exception(request, hauler, pickup_id: int):
    job = selectors.job_of(hauler=hauler, pickup_id=pickup_id)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.report_exception(pickup_id=job.pk, hauler=hauler, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Recorded. We've told the customer why the pickup could not be done.")
            return redirect("hauler_job", pickup_id=job.pk)
    return _render_job(request, hauler, job, exception_form=form, status=400)


# --- Earnings -----------------------------------------------------------------------------


@allows_stripe_onboarding  # its "Set up payouts" form goes on to Stripe
@hauler_required
@role_required("see")
@require_GET
def earnings(request, hauler):
    """Completed jobs and what they earned; the payout account, what is not yet paid out, and payouts."""
    context = {
        "hauler": hauler,
        "can_set_up_payouts": may(user=request.user, organisation=hauler, action="payouts"),
        "tz": _timezone_of(hauler),  # a payout's date is the depot's
        **selectors.earnings_of(hauler=hauler),
    }
    return render(request, "haulers/earnings.html", context)
