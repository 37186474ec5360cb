"""The staff site: Django's admin in the market's time zone, with the platform's internals kept to superusers.

Staff run a local market, so every time they read or type in the admin is the market's wall clock
(the STAFF_TIME_ZONE setting), named once in the header. The zone is active for the whole
request, parsing forms and rendering the page alike: a date typed into a form means what it says.
"""

from functools import update_wrapper
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin
from django.forms.utils import pretty_name
from django.utils import timezone

# Plumbing no one runs the market with: beat's schedules, API tokens and permission groups. A superuser
# still manages them; other staff neither see them on the index nor open their pages.
SUPERUSER_ONLY_APPS = frozenset({"django_celery_beat"})
SUPERUSER_ONLY_MODELS = frozenset({"authtoken.token", "authtoken.tokenproxy", "auth.group"})


def staff_time_zone() -> ZoneInfo:
    return ZoneInfo(settings.STAFF_TIME_ZONE)


def is_superuser_only(model) -> bool:
    opts = model._meta
    return opts.app_label in SUPERUSER_ONLY_APPS or opts.label_lower in SUPERUSER_ONLY_MODELS


class SuperuserOnly:
    """Mixed into a registered ModelAdmin: a non-superuser has no permission on it at all (so a 403)."""

    def has_module_permission(self, request):
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, *args, **kwargs):
        return request.user.is_superuser and super().has_view_permission(request, *args, **kwargs)

    def has_add_permission(self, request, *args, **kwargs):
        return request.user.is_superuser and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, *args, **kwargs):
        return request.user.is_superuser and super().has_change_permission(request, *args, **kwargs)

    def has_delete_permission(self, request, *args, **kwargs):
        return request.user.is_superuser and super().has_delete_permission(request, *args, **kwargs)


def _label_widgets(form_class, *, each_input: bool) -> None:
    """Give inputs that have no <label> of their own an accessible name (WCAG 4.1.2; axe's label, select-name).

    A tabular inline's inputs sit under a column heading with no label; a date-and-time field's two boxes share
    one label that can point at neither. The form class is made afresh per request, so its widgets are ours.
    """
    for name, field in form_class.base_fields.items():
        label = str(field.label or pretty_name(name))
        widget = getattr(field.widget, "widget", field.widget)  # inside a related-object wrapper
        if isinstance(widget, forms.MultiWidget):
            parts = ("date", "time") if isinstance(widget, forms.SplitDateTimeWidget) else None
            for number, part in enumerate(widget.widgets):
                part.attrs.setdefault("aria-label", f"{label} ({parts[number] if parts else number + 1})")
        elif each_input and not isinstance(widget, forms.HiddenInput):
            widget.attrs.setdefault("aria-label", label)


class LabelledInputs:
    """Mixed into every registered ModelAdmin, ours and the libraries' alike: every input has a name."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        _label_widgets(form, each_input=False)
        return form

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            _label_widgets(formset.form, each_input=True)

            class Labelled(formset):
                def add_fields(self, form, index):
                    super().add_fields(form, index)
                    if "DELETE" in form.fields:
                        form.fields["DELETE"].widget.attrs.setdefault("aria-label", "Delete this row")

            Labelled.__name__ = formset.__name__
            yield Labelled, inline


class StaffAdminSite(admin.AdminSite):
    site_header = "HaulMatch administration"
    site_title = "HaulMatch admin"
    index_title = "Run the market"
    index_template = "admin/index.html"
    # The list of every model beside every page halves a change list's width at 1280 px and leaves its last
    # columns (a pickup's hauler, price and payout) scrolled out of sight; the index and breadcrumbs lead there.
    enable_nav_sidebar = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_providers = []

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, admin_class, **options)
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            if model not in self._registry:  # a swapped-out model (auth.User) is skipped by Django
                continue
            registered = type(self._registry[model])
            mixins = (SuperuserOnly, LabelledInputs) if is_superuser_only(model) else (LabelledInputs,)
            self._registry[model] = type(registered.__name__, (*mixins, registered), {})(model, self)

    def add_to_index(self, provider) -> None:
        """provider(request) -> dict, merged into the index page's context (the market's queues)."""
        self._index_providers.append(provider)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def in_market_zone(request, *args, **kwargs):
            with timezone.override(staff_time_zone()):
                response = inner(request, *args, **kwargs)
                # A TemplateResponse renders after the view returns: render it while the zone is active.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response.render()
                return response

        return update_wrapper(in_market_zone, inner)

    def each_context(self, request):
        zone = timezone.get_current_timezone()
        return {
            **super().each_context(request),
            "staff_zone_name": str(zone),
            "staff_zone_abbreviation": timezone.localtime(timezone.now(), zone).tzname(),
        }

    def index(self, request, extra_context=None):
        extra = {}
        for provider in self._index_providers:
            extra.update(provider(request))
        return super().index(request, {**extra, **(extra_context or {})})
