"""What the money admins share: read-only inlines, the money-form mixin (refund, credit) and small helpers."""

from collections.abc import Callable

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin import ReadOnlyAdminMixin, dollars

MONEY_FORM_TEMPLATE = "admin/action_form.html"


def money(field: str, description: str) -> Callable:
    """A changelist column showing a *_cents field as dollars."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return dollars(getattr(obj, field))

    return column


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    max_num = 0
    can_delete = False


class MoneyFormMixin:
    """A page of its own for one money action on one object (a refund, a credit grant), in the admin's look."""

    def _object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404("No such object.")
        return obj

    def _render_money_form(self, request, obj, *, title: str, form, facts: list, submit: str, problem: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "facts": facts,
            "submit": submit,
            "problem": problem,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, MONEY_FORM_TEMPLATE, context)

    def _change_url(self, obj) -> str:
        opts = self.model._meta
        return reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
