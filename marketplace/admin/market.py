"""Admin for the market's records: quotes, pickups, offers and unmet demand.

These rows are written by the market's services (quoting, booking, the dispatch cascade), so
staff see them here but change statuses, prices and assignments only through those services:
the actions below call marketplace.dispatch exactly as the hauler portal and the beat tasks do.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from core.admin import DollarsField, DollarsMixin, ReadOnlyAdminMixin, StatusHistoryInline, dollars
from core.errors import Conflict, NotFound
from customers.models import ServiceLocation
from haulers.models import Hauler
from marketplace import dispatch, matching, pricing, staff_console, webhooks
from marketplace.models import (
    Notification,
    Offer,
    Pickup,
    Quote,
    ServiceProof,
    UnmetDemand,
    WebhookDelivery,
    WebhookEndpoint,
)

ASSIGN_TEMPLATE = "admin/marketplace/pickup/assign_hauler.html"
# Marks the POST from the assign page, as against the changelist's POST that opens it.
ASSIGN_CONFIRMED = "assign"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class MoneyColumns:
    @admin.display(description="price", ordering="price_cents")
    def price(self, obj):
        return dollars(obj.price_cents)

    @admin.display(description="payout", ordering="payout_cents")
    def payout(self, obj):
        return dollars(obj.payout_cents)


class DispatchPermission:
    """Running the cascade by hand moves pickups, so it takes the permission to change pickups.

    Checked against the user's permissions rather than has_change_permission, which the offer
    admin denies to everyone (offers are never edited as forms).
    """

    def has_dispatch_permission(self, request):
        opts = Pickup._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


@admin.register(Quote)
class QuoteAdmin(DollarsMixin, MoneyColumns, admin.ModelAdmin):
    list_display = (
        "id",
        "customer",
        "location",
        "waste_stream",
        "container",
        "quantity",
        "service_date",
        "price",
        "payout",
        "expires_at",
    )
    list_filter = ("waste_stream", "container", "service_date")
    list_select_related = ("customer", "location")
    search_fields = ("customer__name", "location__zip_code")
    date_hierarchy = "created_at"

    # A quote is a snapshot of what was offered: never written by hand.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProofInline(ReadOnlyAdminMixin, admin.StackedInline):
    model = ServiceProof
    fields = ("serviced_at", "weight_kg", "notes", "photo", "recorded_by", "created_at")
    readonly_fields = fields
    extra = 0


class OfferInline(DollarsMixin, admin.TabularInline):
    model = Offer
    fields = ("hauler", "status", "payout_cents", "answer_by", "responded_at", "decline_reason", "created_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("hauler")


class NeedsAttentionFilter(admin.SimpleListFilter):
    """The staff queue: pickups the cascade could not finish on its own (counted on the admin's index)."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return (
            ("any", "Any reason"),
            ("unmatched", "No hauler found"),
            ("stuck", "Waiting over 30 minutes for dispatch"),
            ("missed", "Missed"),
            ("overdue", "Offers past answer-by"),
        )

    def queryset(self, request, queryset):
        reasons = staff_console.pickup_reasons(now=timezone.now())
        if self.value() == "any":
            any_reason = Q()
            for reason in reasons.values():
                any_reason |= reason
            return queryset.filter(any_reason)
        if self.value() in reasons:
            return queryset.filter(reasons[self.value()])
        return queryset


class HaulerFilter(admin.RelatedFieldListFilter):
    """By hauler: the active ones, by name, from the haulers table (never a scan of every pickup for its haulers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = "No hauler yet"

    def field_choices(self, field, request, model_admin):
        active = Hauler.objects.filter(status=Hauler.Status.ACTIVE).order_by("name")
        return list(active.values_list("pk", "name"))


class MarketFilter(admin.SimpleListFilter):
    """By market: the city of the service location, listed from the locations (not from every pickup)."""

    title = "market"
    parameter_name = "market"

    def lookups(self, request, model_admin):
        cities = ServiceLocation.objects.order_by("city").values_list("city", "state").distinct()
        return [(f"{city}|{state}", f"{city}, {state}") for city, state in cities]

    def queryset(self, request, queryset):
        if not self.value() or "|" not in self.value():
            return queryset
        city, state = self.value().split("|", 1)
        return queryset.filter(location__city=city, location__state=state)


class HaulerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, hauler):
        return f"{hauler.name} (depot {hauler.depot_zip})"


class AssignHaulerForm(forms.Form):
    hauler = HaulerChoiceField(queryset=Hauler.objects.filter(status=Hauler.Status.ACTIVE), help_text="Active haulers.")
    payout_cents = DollarsField(
        label="Payout ($)",
        required=False,
        help_text="Leave empty to keep each pickup's payout. At most the price less the floor margin.",
    )

    def clean_payout_cents(self):
        cents = self.cleaned_data["payout_cents"]
        if cents is not None and cents < 0:
            raise forms.ValidationError("A payout cannot be negative.")
        return cents


@admin.register(Pickup)
class PickupAdmin(DollarsMixin, DispatchPermission, MoneyColumns, admin.ModelAdmin):
    list_display = ("id", "customer", "location_zip", "service_date", "status", "hauler", "price", "payout")
    list_filter = (
        NeedsAttentionFilter,
        "status",
        "service_date",
        ("hauler", HaulerFilter),
        MarketFilter,
        "waste_stream",
        "container",
    )
    list_select_related = ("customer", "location", "hauler")
    search_fields = ("customer__name", "location__zip_code", "hauler__name")
    date_hierarchy = "service_date"
    inlines = (ProofInline, OfferInline, StatusHistoryInline)
    actions = ("redispatch_selected", "assign_hauler")

    # Only the visit's timing is edited by hand, and a new date goes through dispatch.reschedule. Status and
    # hauler move through dispatch, which logs every change; location, stream, container and quantity are what
    # the snapshotted price was agreed for.
    editable_fields = ("service_date", "window_start", "window_end")

    # A pickup is history (status log, offers, money): it is cancelled, never deleted.
    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        new_date = obj.service_date
        if change and "service_date" in form.changed_data:
            obj.service_date = form.initial["service_date"]
            obj.save(update_fields=["window_start", "window_end", "updated_at"])
            dispatch.reschedule(pickup=obj, service_date=new_date, by=request.user, reason="Date changed by staff")
        else:
            super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request, obj=None):
        # Everything else, including fields added later, is read-only until someone decides otherwise.
        return [
            self._shown_as(field.name)
            for field in self.model._meta.fields
            if not field.primary_key and field.name not in self.editable_fields
        ]

    @admin.display(description="ZIP", ordering="location__zip_code")
    def location_zip(self, pickup):
        return pickup.location.zip_code

    # Booking prices the pickup and starts dispatch; a hand-made row would do neither.
    def has_add_permission(self, request):
        return False

    def _each(self, request, pickups, apply: Callable[[Pickup], object], *, done: Callable[[str], str]) -> None:
        """Apply to each pickup on its own: one pickup's conflict neither stops nor undoes the others."""
        succeeded = 0
        for pickup in pickups:
            try:
                apply(pickup)
            except (Conflict, NotFound) as error:
                self.message_user(request, f"Pickup {pickup.pk}: {error}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done(_count(succeeded, "pickup")), messages.SUCCESS)

    @admin.action(description="Re-dispatch selected pickups", permissions=["dispatch"])
    def redispatch_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda pickup: dispatch.redispatch(pickup=pickup, by=request.user),
            done=lambda pickups: f"Re-dispatched {pickups}.",
        )

    @admin.action(description="Assign to a hauler by hand", permissions=["dispatch"])
    def assign_hauler(self, request, queryset):
        form = AssignHaulerForm(request.POST if ASSIGN_CONFIRMED in request.POST else None)
        if not form.is_valid():
            return self._assign_page(request, queryset, form)
        hauler, payout = form.cleaned_data["hauler"], form.cleaned_data["payout_cents"]

        def assign(pickup):
            # Staff may overrule matching (a phone call settled it), but should know when they do.
            eligible = matching.is_eligible(matching.Request.for_pickup(pickup), hauler_id=hauler.pk, pickup=pickup)
            dispatch.assign_by_hand(pickup=pickup, hauler=hauler, by=request.user, payout_cents=payout)
            if not eligible:
                self.message_user(
                    request,
                    f"Pickup {pickup.pk}: {hauler.name} does not meet the matching rules for it (area, rate, "
                    "credentials, capacity or an earlier no); assigned anyway.",
                    messages.WARNING,
                )

        self._each(request, queryset, assign, done=lambda pickups: f"Assigned {pickups} to {hauler.name}.")
        return None

    def _assign_page(self, request, queryset, form):
        rows = [
            {
                "pickup": pickup,
                "url": reverse(f"{self.admin_site.name}:marketplace_pickup_change", args=[pickup.pk]),
                "price": dollars(pickup.price_cents),
                "payout": dollars(pickup.payout_cents),
                "max_payout": dollars(pricing.max_payout_cents(pickup.price_cents)),
            }
            for pickup in queryset
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Assign to a hauler by hand",
            "opts": self.model._meta,
            "form": form,
            "rows": rows,
            "selected_ids": [row["pickup"].pk for row in rows],
            "action": "assign_hauler",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_name": ASSIGN_CONFIRMED,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, ASSIGN_TEMPLATE, context)


class OverdueOfferFilter(admin.SimpleListFilter):
    title = "answer-by"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "Pending, past answer-by"),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(staff_console.overdue_offers(now=timezone.now()))
        return queryset


@admin.register(Offer)
class OfferAdmin(DollarsMixin, DispatchPermission, admin.ModelAdmin):
    list_display = ("id", "pickup", "hauler", "status", "payout", "answer_by", "responded_at", "decline_reason")
    list_filter = (OverdueOfferFilter, "status", "answer_by", ("hauler", HaulerFilter))
    list_select_related = ("pickup", "hauler")
    search_fields = ("hauler__name", "pickup__customer__name", "=pickup__id")
    date_hierarchy = "answer_by"
    readonly_fields = (
        "pickup",
        "hauler",
        "status",
        "payout_cents",
        "answer_by",
        "decline_reason",
        "created_at",
        "responded_at",
    )
    inlines = (StatusHistoryInline,)
    actions = ("expire_overdue",)

    @admin.display(description="payout", ordering="payout_cents")
    def payout(self, offer):
        return dollars(offer.payout_cents)

    # Offers are made and answered by the dispatch cascade only, and kept as the record of who was asked.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Expire overdue offers now", permissions=["dispatch"])
    def expire_overdue(self, request, queryset):
        expired = not_due = 0
        for offer_id in queryset.values_list("pk", flat=True):
            try:
                if dispatch.expire_offer(offer_id=offer_id):
                    expired += 1
                else:
                    not_due += 1
            except (Conflict, NotFound) as error:
                self.message_user(request, f"Offer {offer_id}: {error}", messages.ERROR)
        if expired:
            moved_on = f"Expired {_count(expired, 'offer')}; the cascade moves on to the next hauler."
            self.message_user(request, moved_on, messages.SUCCESS)
        if not_due:
            self.message_user(
                request,
                f"Left {_count(not_due, 'offer')} as {'it was' if not_due == 1 else 'they were'}: "
                "not pending past the answer-by time.",
                messages.WARNING,
            )


@admin.register(UnmetDemand)
class UnmetDemandAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Requests no hauler could serve, written when quoting finds no one: where to recruit next."""

    list_display = ("zip_code", "customer", "waste_stream", "container", "service_date", "created_at")
    list_filter = ("waste_stream", "container", "service_date")
    list_select_related = ("customer",)
    search_fields = ("zip_code", "customer__name")
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What people were told, and whether it was emailed: the trail for "I never got an email"."""

    list_display = ("created_at", "user", "kind", "title", "emailed", "read_at")
    list_filter = ("kind", "emailed")
    list_select_related = ("user",)
    search_fields = ("user__email", "title")
    date_hierarchy = "created_at"


# --- Outbound webhooks: looked at, not edited (owners manage their endpoints); staff may turn one off or resend ---


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Where businesses and haulers receive events. The secrets are never shown here."""

    list_display = ("url", "customer", "hauler", "active", "created_at")
    list_filter = ("active",)
    list_select_related = ("customer", "hauler")
    search_fields = ("url", "customer__name", "hauler__name")
    fields = ("customer", "hauler", "url", "description", "events", "active", "previous_secret_expires_at")
    readonly_fields = tuple(name for name in fields if name != "active")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each event sent to each endpoint: attempts, the receiver's last answer, what is next."""

    list_display = ("created_at", "event_type", "endpoint", "status", "attempts", "response_code", "next_attempt_at")
    list_filter = ("status", "event_type")
    list_select_related = ("endpoint",)
    search_fields = ("event_id", "endpoint__url")
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    @admin.action(description="Retry now (one more attempt, even after giving up)")
    def retry_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        for delivery_id in ids:
            webhooks.retry_now(delivery_id=delivery_id)
        self.message_user(request, f"Sending {_count(len(ids), 'delivery')} again.", messages.SUCCESS)


def _console(request) -> dict:
    return {"staff_queues": staff_console.queues(request, site=admin.site)}


# The index's queues (templates/admin/index.html); a plain AdminSite has no such hook and shows the stock index.
if hasattr(admin.site, "add_to_index"):
    admin.site.add_to_index(_console)
