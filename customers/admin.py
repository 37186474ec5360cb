"""Admin for businesses, their people and their service locations."""

from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.admin import MembershipAdminBase
from customers.models import Customer, Membership, ServiceLocation


def _count(model) -> Coalesce:
    """How many rows of `model` belong to each customer in the outer query."""
    rows = model.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
    return Coalesce(Subquery(rows.annotate(total=Count("pk")).values("total")), 0)


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ("email", "user", "role", "invited_by", "accepted_at", "created_at")
    readonly_fields = ("accepted_at", "created_at")
    raw_id_fields = ("user", "invited_by")
    extra = 0


class ServiceLocationInline(admin.TabularInline):
    model = ServiceLocation
    fields = ("name", "street", "city", "state", "zip_code", "latitude", "longitude", "timezone", "archived_at")
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "phone", "billing_email", "members", "locations", "created_at")
    list_filter = ("created_at",)
    search_fields = ("name", "phone", "billing_email", "locations__zip_code", "locations__city")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = (MembershipInline, ServiceLocationInline)

    def get_queryset(self, request):
        # Counted in the list's one query rather than one query per row and column; subqueries, not joins,
        # so members and locations do not multiply each other and the list's counts stay plain.
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=_count(Membership), location_count=_count(ServiceLocation))
        )

    @admin.display(description="members", ordering="member_count")
    def members(self, customer):
        return customer.member_count

    @admin.display(description="locations", ordering="location_count")
    def locations(self, customer):
        return customer.location_count


class ArchivedFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return (("yes", "Archived"), ("no", "In use"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        return queryset


@admin.register(ServiceLocation)
class ServiceLocationAdmin(admin.ModelAdmin):
    list_display = ("name", "customer", "city", "state", "zip_code", "timezone", "archived")
    list_filter = ("state", "city", "timezone", ArchivedFilter)
    list_select_related = ("customer",)
    search_fields = ("name", "street", "city", "zip_code", "customer__name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at",)

    @admin.display(description="archived", boolean=True, ordering="archived_at")
    def archived(self, location):
        return location.archived_at is not None


@admin.register(Membership)
class MembershipAdmin(MembershipAdminBase):
    organisation = "customer"
