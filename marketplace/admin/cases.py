"""Admin for cases: the queue of open cases by their deadline with the clock shown, each case's evidence and thread,
and the pages that settle one (marketplace.resolutions: a make-up, a refund, a credit, or a rejection).

Cases are written by the market's services (a business's report, Stripe's disputes); staff never edit one as a
form, they settle it through the same services the rest of the product uses.
"""

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin import DollarsField, DollarsMixin, dollars
from core.admin_site import staff_time_zone
from core.errors import Conflict
from marketplace import cases, resolutions
from marketplace.models import Case, Pickup

SETTLE_TEMPLATE = "admin/action_form.html"


def sla_clock(case: Case, *, now: dt.datetime | None = None) -> str:
    """How long staff have left to settle an open case ("due in 5 h", "overdue by 2 h"), or how it ended."""
    if case.status != Case.Status.OPEN:
        return case.get_status_display()
    left = case.respond_by - (now or timezone.now())
    span = _span(abs(left))
    return f"due in {span}" if left >= dt.timedelta(0) else f"overdue by {span}"


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def _staff_moment(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    local = at.astimezone(staff_time_zone())
    return f"{local:%a %b %-d, %-I:%M %p} {local.tzname()}"


class QueueFilter(admin.SimpleListFilter):
    """Open cases unless asked otherwise: the queue is the work still to do."""

    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Open and overdue"), ("settled", "Settled"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "open"
        for value, label in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "open"
        if value == "open":
            return queryset.filter(status=Case.Status.OPEN)
        if value == "overdue":
            return queryset.filter(status=Case.Status.OPEN, respond_by__lt=timezone.now())
        if value == "settled":
            return queryset.exclude(status=Case.Status.OPEN)
        return queryset


class AnsweredFilter(admin.SimpleListFilter):
    title = "hauler's answer"
    parameter_name = "answered"

    def lookups(self, request, model_admin):
        return [("yes", "Answered"), ("no", "Not yet")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(hauler_answered_at__isnull=self.value() == "no")
        return queryset


class ResolveForm(forms.Form):
    make_up = forms.BooleanField(
        label="Book a make-up visit", required=False, help_text="Within 24 hours; offered to the same hauler first."
    )
    refund_cents = DollarsField(label="Refund to the card ($)", required=False)
    credit_cents = DollarsField(label="Credit to the account ($)", required=False)
    claim_overturned = forms.BooleanField(
        label="Overturn the hauler's could-not-service report",
        required=False,
        help_text="The evidence shows the visit could have been done; it counts against the hauler's reliability.",
    )
    note = forms.CharField(
        label="Note to both sides",
        required=False,
        max_length=resolutions.MAX_NOTE,
        widget=forms.Textarea({"rows": 3}),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Why it is rejected",
        max_length=resolutions.MAX_NOTE,
        widget=forms.Textarea({"rows": 3}),
        help_text="Both the business and the hauler read this.",
    )


@admin.register(Case)
class CaseAdmin(DollarsMixin, admin.ModelAdmin):
    list_display = ("id", "about", "customer", "hauler", "status", "clock", "deadline", "answered")
    list_display_links = ("id", "about")
    list_filter = (QueueFilter, "kind", "problem", AnsweredFilter, "status")
    list_select_related = ("customer", "hauler")
    search_fields = ("id", "customer__name", "hauler__name", "description")
    ordering = ("respond_by", "id")
    fields = (
        "kind", "problem", "status", "customer", "pickup", "hauler", "payment", "dispute", "description",
        "respond_by", "hauler_answered_at", "make_up", "refund_cents", "credit_cents", "claim_overturned",
        "resolution_note", "opened_by", "resolved_by", "resolved_at", "created_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="case", ordering="problem")
    def about(self, case):
        return case.get_problem_display() if case.problem else case.get_kind_display()

    @admin.display(description="SLA clock", ordering="respond_by")
    def clock(self, case):
        return sla_clock(case)

    @admin.display(description="respond by", ordering="respond_by")
    def deadline(self, case):
        return _staff_moment(case.respond_by)

    @admin.display(description="hauler answered", boolean=True)
    def answered(self, case):
        return case.hauler_answered_at is not None if case.hauler_id else None

    def has_add_permission(self, request):
        return False  # a case is opened by a business's report or by Stripe

    def has_change_permission(self, request, obj=None):
        return False  # settled through the pages below, never edited as a form

    def has_delete_permission(self, request, obj=None):
        return False

    def has_settle_permission(self, request) -> bool:
        return request.user.has_perm("marketplace.change_case")

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            path("<int:case_id>/resolve/", self.admin_site.admin_view(self.resolve_view), name=f"{prefix}_resolve"),
            path("<int:case_id>/reject/", self.admin_site.admin_view(self.reject_view), name=f"{prefix}_reject"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra = {}
        if case is not None:
            extra = {
                "evidence": cases.evidence(case=case),
                "clock": sla_clock(case),
                "deadline": _staff_moment(case.respond_by),
                "can_settle": self.has_settle_permission(request)
                and case.status == Case.Status.OPEN
                and case.kind == Case.Kind.PROBLEM,
            }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _case(self, request, case_id: int) -> Case:
        if not self.has_settle_permission(request):
            raise PermissionDenied
        case = Case.objects.select_related("customer", "hauler", "pickup__location").filter(pk=case_id).first()
        if case is None:
            raise Http404("No such case.")
        return case

    def _change_url(self, case: Case) -> str:
        return reverse(f"{self.admin_site.name}:marketplace_case_change", args=[case.pk])

    def resolve_view(self, request, case_id: int):
        """Settle the case with a make-up, a refund, a credit, any of them together (marketplace.resolutions)."""
        case = self._case(request, case_id)
        form = ResolveForm(request.POST or None)
        problem = ""
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                resolutions.resolve(
                    case=case,
                    by=request.user,
                    make_up=data["make_up"],
                    refund_cents=data["refund_cents"] or 0,
                    credit_cents=data["credit_cents"] or 0,
                    note=data["note"],
                    claim_overturned=data["claim_overturned"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            except Conflict as error:
                problem = str(error)
            else:
                self.message_user(request, f"Case {case.pk} is settled; both sides have been told.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(case))
        refundable = resolutions.refundable_cents(case=case) if case.pickup_id else 0
        facts = [
            *self._facts(case),
            ("Can be refunded to the card", dollars(refundable) if refundable else "Nothing (not paid by card yet)"),
        ]
        return self._settle_page(request, case, form, title=f"Settle case {case.pk}", facts=facts, submit="Settle",
                                 problem=problem)  # fmt: skip

    def reject_view(self, request, case_id: int):
        """Close the case with no action and a reason both sides read."""
        case = self._case(request, case_id)
        form = RejectForm(request.POST or None)
        problem = ""
        if request.method == "POST" and form.is_valid():
            try:
                resolutions.reject(case=case, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                _add_errors(form, error)
            except Conflict as error:
                problem = str(error)
            else:
                self.message_user(request, f"Case {case.pk} is rejected; both sides have been told.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(case))
        return self._settle_page(request, case, form, title=f"Reject case {case.pk}", facts=self._facts(case),
                                 submit="Reject", problem=problem)  # fmt: skip

    def _facts(self, case: Case) -> list[tuple[str, str]]:
        pickup: Pickup | None = case.pickup
        facts = [
            ("Case", f"{self.about(case)}: {case.description or 'no description'}"),
            ("Business", str(case.customer)),
            ("Hauler", case.hauler.name if case.hauler_id else "None"),
            ("Deadline", f"{_staff_moment(case.respond_by)} ({sla_clock(case)})"),
        ]
        if pickup is not None:
            facts.append(("Visit", f"{pickup.service_date:%a %b %-d}, {pickup.get_status_display().lower()}, "
                                   f"{dollars(pickup.price_cents)}"))  # fmt: skip
        return facts

    def _settle_page(self, request, case, form, *, title, facts, submit, problem):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": case,
            "form": form,
            "facts": facts,
            "submit": submit,
            "problem": problem or _not_settleable(case),
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, SETTLE_TEMPLATE, context)


def _not_settleable(case: Case) -> str:
    if case.kind != Case.Kind.PROBLEM:
        return "A card dispute is decided by the card network; submit the evidence from the dispute's page."
    if case.status != Case.Status.OPEN:
        return f"This case is already {case.get_status_display().lower()}."
    return ""


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    """The service's field errors on the form's fields (an unknown field's on the form as a whole)."""
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
