"""Admin for the market's records: quotes, pickups and offers.

These rows are written by the market's services (quoting, booking, the dispatch cascade), so
staff see them here but change statuses, prices and assignments only through those services.
"""

from django.contrib import admin

from core.admin import StatusHistoryInline, dollars
from marketplace.models import Offer, Pickup, Quote


class MoneyColumns:
    @admin.display(description="price", ordering="price_cents")
    def price(self, obj):
        return dollars(obj.price_cents)

    @admin.display(description="payout", ordering="payout_cents")
    def payout(self, obj):
        return dollars(obj.payout_cents)


@admin.register(Quote)
class QuoteAdmin(MoneyColumns, admin.ModelAdmin):
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


class OfferInline(admin.TabularInline):
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


@admin.register(Pickup)
class PickupAdmin(MoneyColumns, admin.ModelAdmin):
    list_display = ("id", "customer", "location_zip", "service_date", "status", "hauler", "price", "payout")
    list_filter = ("status", "waste_stream", "container", "service_date")
    list_select_related = ("customer", "location", "hauler")
    search_fields = ("customer__name", "location__zip_code", "hauler__name")
    date_hierarchy = "service_date"
    inlines = (OfferInline, StatusHistoryInline)

    # Only the visit's timing is edited by hand. Status and hauler move through dispatch, which logs every
    # change; location, stream, container and quantity are what the snapshotted price was agreed for.
    editable_fields = ("service_date", "window_start", "window_end")

    def get_readonly_fields(self, request, obj=None):
        # Everything else, including fields added later, is read-only until someone decides otherwise.
        return [
            field.name
            for field in self.model._meta.fields
            if not field.primary_key and field.name not in self.editable_fields
        ]

    @admin.display(description="ZIP", ordering="location__zip_code")
    def location_zip(self, pickup):
        return pickup.location.zip_code

    # Booking prices the pickup and starts dispatch; a hand-made row would do neither.
    def has_add_permission(self, request):
        return False


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("id", "pickup", "hauler", "status", "payout", "answer_by", "responded_at")
    list_filter = ("status",)
    list_select_related = ("pickup", "hauler")
    search_fields = ("hauler__name", "pickup__customer__name")
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

    @admin.display(description="payout", ordering="payout_cents")
    def payout(self, offer):
        return dollars(offer.payout_cents)

    # Offers are made and answered by the dispatch cascade only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
