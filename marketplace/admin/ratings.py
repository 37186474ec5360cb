"""Admin for ratings: what businesses said about each visit, read-only (a rating is the business's own words; staff
who doubt one settle it through a case, not by editing it)."""

from django.contrib import admin
from django.db.models import TextField
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from marketplace.models import Rating


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return Rating.Tag.choices

    def queryset(self, request, queryset):
        if self.value() not in Rating.Tag.values:
            return queryset
        # The JSON list read as its text: JSONField's `contains` has no SQLite form, and the tags are fixed words.
        return queryset.alias(tags_text=Cast("tags", TextField())).filter(tags_text__contains=f'"{self.value()}"')


class StarsFilter(admin.SimpleListFilter):
    title = "stars"
    parameter_name = "stars"

    def lookups(self, request, model_admin):
        return [(str(n), f"{n} ★") for n in range(5, 0, -1)] + [("low", "1-2 ★ (poor)")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(stars__lte=2)
        if self.value() in {"1", "2", "3", "4", "5"}:
            return queryset.filter(stars=int(self.value()))
        return queryset


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("updated_at", "shown_stars", "shown_tags", "hauler", "customer", "visit", "short_comment")
    list_filter = (StarsFilter, TagFilter, ("hauler", admin.RelatedOnlyFieldListFilter), "updated_at")
    list_select_related = ("hauler", "customer", "pickup")
    search_fields = ("hauler__name", "customer__name", "comment", "=pickup__id")
    date_hierarchy = "updated_at"
    ordering = ("-updated_at", "-id")
    fields = ("pickup", "customer", "hauler", "stars", "tags", "comment", "rated_by", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description="stars", ordering="stars")
    def shown_stars(self, rating):
        return format_html(
            '<span title="{} out of 5">{}</span>', rating.stars, "★" * rating.stars + "☆" * (5 - rating.stars)
        )

    @admin.display(description="tags")
    def shown_tags(self, rating):
        labels = dict(Rating.Tag.choices)
        return ", ".join(str(labels[tag]) for tag in rating.tags if tag in labels) or "-"

    @admin.display(description="visit", ordering="pickup__service_date")
    def visit(self, rating):
        url = reverse("admin:marketplace_pickup_change", args=[rating.pickup_id])
        return format_html('<a href="{}">#{} on {}</a>', url, rating.pickup_id, rating.pickup.service_date)

    @admin.display(description="comment")
    def short_comment(self, rating):
        return rating.comment if len(rating.comment) <= 80 else rating.comment[:79] + "…"
