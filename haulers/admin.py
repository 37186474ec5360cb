"""Admin for haulers: verification and suspension, credentials, service area, rates, people."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import DollarsMixin, MembershipAdminBase, StatusHistoryInline, dollars
from core.errors import Conflict
from core.transitions import TransitionNotAllowed
from haulers import pauses, services
from haulers.models import Credential, DisposalSite, Hauler, Membership, OfferPause, Rate, ServiceZip, Truck

SUSPENDED_IN_ADMIN = "Suspended by staff in admin"
LIFT_TEMPLATE = "admin/haulers/hauler/lift_pause.html"
LIFT_CONFIRMED = "lift_confirmed"


def _latest_expiry(kind: str) -> Subquery:
    """The last day covered by any of the hauler's credentials of this kind."""
    latest = Credential.objects.filter(hauler=OuterRef("pk"), kind=kind).order_by("-expires_on")
    return Subquery(latest.values("expires_on")[:1])


class DocumentLink:
    """Documents are private (no public media URL): staff open them through the permission-checked view."""

    @admin.display(description="document")
    def document_file(self, credential):
        if not credential.pk or not credential.document:
            return "none uploaded"
        return format_html('<a href="{}">Open</a>', reverse("hauler_credential_document", args=[credential.pk]))


class CredentialInline(DocumentLink, admin.TabularInline):
    model = Credential
    fields = ("kind", "number", "issuer", "valid_from", "expires_on", "document_file", "verified_at", "verified_by")
    # Verification is recorded by the "Mark verified" action, which stamps who and when.
    readonly_fields = ("document_file", "verified_at", "verified_by")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("verified_by")


class ServiceZipInline(admin.TabularInline):
    model = ServiceZip
    fields = ("zip_code",)
    extra = 0


class RateInline(DollarsMixin, admin.TabularInline):
    model = Rate
    fields = ("waste_stream", "container", "price_cents", "extra_container_cents")
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("email", "user", "role", "invited_by", "accepted_at", "created_at")
    readonly_fields = ("accepted_at", "created_at")
    raw_id_fields = ("user", "invited_by")
    extra = 0


class TruckInline(admin.StackedInline):
    model = Truck
    extra = 0
    # Checkboxes rather than the two-box filter: a hauler has a few sites, and each checkbox has its own label.
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}
    fields = (
        ("name", "kind", "active"),
        "containers",
        ("capacity_per_trip", "stops_per_shift"),
        ("shift_start", "shift_end"),
        ("depot_latitude", "depot_longitude"),
        "disposal_sites",
    )


class DisposalSiteInline(admin.TabularInline):
    model = DisposalSite
    extra = 0
    fields = (
        "name",
        "kind",
        "zip_code",
        "latitude",
        "longitude",
        "opens_at",
        "closes_at",
        "open_days",
        "waste_streams",
    )


class OfferPauseInline(admin.TabularInline):
    """The lockouts: why each started, until when, and who lifted it early and why (the lift action writes them)."""

    model = OfferPause
    fields = ("started_at", "until", "reason", "lifted_at", "lifted_by", "lift_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "offer pause"

    def has_add_permission(self, request, obj=None):
        return False


class OffersPausedFilter(admin.SimpleListFilter):
    """Haulers whose new offers are paused now (a lockout), for staff deciding whether to lift one."""

    title = "offers"
    parameter_name = "offers"

    def lookups(self, request, model_admin):
        return (("paused", "Paused now"),)

    def queryset(self, request, queryset):
        if self.value() == "paused":
            return queryset.filter(offers_paused_until__gt=timezone.now())
        return queryset


class LiftPauseForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the pause and sent to the hauler.",
    )


@admin.register(Hauler)
class HaulerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "status",
        "depot_zip",
        "reliability_score",
        "offers_paused_until",
        "verified_at",
        "licence_expires",
        "insurance_expires",
    )
    list_filter = ("status", "verified_at", OffersPausedFilter)
    search_fields = ("name", "phone", "depot_zip")
    # Status moves only through the actions below, which check the transition table and log the change.
    # A pause is lifted by its action, with a reason the record keeps, not by editing the date.
    readonly_fields = ("status", "verified_at", "verified_by", "created_at", "updated_at", "offers_paused_until")
    fieldsets = (
        (None, {"fields": ("name", "phone", "status", "verified_at", "verified_by")}),
        ("Depot", {"fields": ("depot_zip", "depot_latitude", "depot_longitude")}),
        ("Ranking", {"fields": ("reliability_score", "offers_paused_until")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (
        CredentialInline,
        ServiceZipInline,
        RateInline,
        TruckInline,
        DisposalSiteInline,
        MembershipInline,
        OfferPauseInline,
        StatusHistoryInline,
    )
    actions = ("verify_selected", "suspend_selected", "lift_offer_pause")

    def get_queryset(self, request):
        # Correlated subqueries rather than Max over a join: one list query with no per-row lookups, and the
        # list's counts stay a plain COUNT over haulers (they drop unused non-aggregate annotations).
        return (
            super()
            .get_queryset(request)
            .annotate(
                licence_expires_on=_latest_expiry(Credential.Kind.LICENCE),
                insurance_expires_on=_latest_expiry(Credential.Kind.INSURANCE),
            )
        )

    @admin.display(description="licence expires", ordering="licence_expires_on", empty_value="none")
    def licence_expires(self, hauler):
        return hauler.licence_expires_on

    @admin.display(description="insurance expires", ordering="insurance_expires_on", empty_value="none")
    def insurance_expires(self, hauler):
        return hauler.insurance_expires_on

    def _apply(self, request, queryset, change, done: str):
        succeeded = 0
        for hauler in queryset:
            try:
                change(hauler)
            except TransitionNotAllowed as error:
                self.message_user(request, f"{hauler.name}: {error}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            noun = "hauler" if succeeded == 1 else "haulers"
            self.message_user(request, f"{done} {succeeded} {noun}.", messages.SUCCESS)

    @admin.action(description="Verify selected haulers")
    def verify_selected(self, request, queryset):
        self._apply(
            request, queryset, lambda hauler: services.verify_hauler(hauler=hauler, by=request.user), "Verified"
        )

    @admin.action(description="Suspend selected haulers")
    def suspend_selected(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda hauler: services.suspend_hauler(hauler=hauler, by=request.user, reason=SUSPENDED_IN_ADMIN),
            "Suspended",
        )

    @admin.action(description="Lift the offer pause (with a reason)")
    def lift_offer_pause(self, request, queryset):
        form = LiftPauseForm(request.POST if LIFT_CONFIRMED in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Lift the offer pause",
                "opts": self.model._meta,
                "form": form,
                "haulers": list(queryset),
                "selected_ids": [hauler.pk for hauler in queryset],
                "action": "lift_offer_pause",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "confirm_name": LIFT_CONFIRMED,
            }
            request.current_app = self.admin_site.name
            return TemplateResponse(request, LIFT_TEMPLATE, context)
        lifted = 0
        for hauler in queryset:
            try:
                pauses.lift_offer_pause(hauler=hauler, by=request.user, reason=form.cleaned_data["reason"])
            except (Conflict, ValidationError) as error:
                self.message_user(request, f"{hauler.name}: {_message(error)}", messages.WARNING)
            else:
                lifted += 1
        if lifted:
            noun = "hauler" if lifted == 1 else "haulers"
            self.message_user(request, f"Lifted the offer pause of {lifted} {noun}; each was told.", messages.SUCCESS)
        return None


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


class VerificationFilter(admin.SimpleListFilter):
    """The verification queue: current credentials no one on staff has checked yet (counted on the admin index)."""

    title = "verification"
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return (("awaiting", "Awaiting verification"), ("verified", "Verified"), ("expired", "Expired"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "awaiting":
            return queryset.filter(verified_at__isnull=True, expires_on__gte=today)
        if self.value() == "verified":
            return queryset.filter(verified_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        return queryset


@admin.register(Credential)
class CredentialAdmin(DocumentLink, admin.ModelAdmin):
    list_display = ("hauler", "kind", "number", "issuer", "valid_from", "expires_on", "verified")
    exclude = ("document",)
    list_filter = (VerificationFilter, "kind", "expires_on")
    list_select_related = ("hauler",)
    search_fields = ("number", "issuer", "hauler__name")
    date_hierarchy = "expires_on"
    autocomplete_fields = ("hauler",)
    readonly_fields = ("document_file", "verified_at", "verified_by", "created_at")
    actions = ("mark_verified",)

    @admin.display(description="verified", boolean=True, ordering="verified_at")
    def verified(self, credential):
        return credential.verified_at is not None

    @admin.action(description="Mark verified")
    def mark_verified(self, request, queryset):
        count = 0
        for credential in queryset:
            services.verify_credential(credential=credential, by=request.user)
            count += 1
        noun = "credential" if count == 1 else "credentials"
        self.message_user(request, f"Marked {count} {noun} verified.", messages.SUCCESS)


@admin.register(Rate)
class RateAdmin(DollarsMixin, admin.ModelAdmin):
    list_display = ("hauler", "waste_stream", "container", "price", "extra_container")
    list_filter = ("waste_stream", "container")
    list_select_related = ("hauler",)
    search_fields = ("hauler__name",)
    autocomplete_fields = ("hauler",)

    @admin.display(description="price", ordering="price_cents")
    def price(self, rate):
        return dollars(rate.price_cents)

    @admin.display(description="each extra container", ordering="extra_container_cents")
    def extra_container(self, rate):
        return dollars(rate.extra_container_cents)


@admin.register(ServiceZip)
class ServiceZipAdmin(admin.ModelAdmin):
    list_display = ("zip_code", "hauler")
    list_select_related = ("hauler",)
    search_fields = ("zip_code", "hauler__name")
    autocomplete_fields = ("hauler",)


@admin.register(Membership)
class MembershipAdmin(MembershipAdminBase):
    organisation = "hauler"
