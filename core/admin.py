"""Admin for users and the status-change log, plus helpers the other apps' admins share."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.contenttypes.admin import GenericTabularInline
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.models import StatusChange, User


def dollars(cents: int | None) -> str:
    """Format integer cents as "$1,234.56" for display; the *_cents fields stay the source of truth."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{fraction:02d}"


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")
        field_classes = {}


class UserChangingForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangingForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_active")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")


class ReadOnlyAdminMixin:
    """Rows written only by code: staff may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "content_type", "subject_link", "from_status", "to_status", "by", "reason")
    list_filter = ("content_type", "to_status")
    list_select_related = ("content_type", "by")
    search_fields = ("reason", "by__email")
    date_hierarchy = "at"
    ordering = ("-at", "-id")

    @admin.display(description="object id", ordering="object_id")
    def subject_link(self, change):
        # Reversing from the content type costs no query; loading each subject would cost one per row.
        content_type = change.content_type
        try:
            url = reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[change.object_id])
        except NoReverseMatch:
            return change.object_id
        return format_html('<a href="{}">{}</a>', url, change.object_id)


class StatusHistoryInline(ReadOnlyAdminMixin, GenericTabularInline):
    """An object's status changes, oldest first: add it to the inlines of any admin with a status."""

    model = StatusChange
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("at", "from_status", "to_status", "by", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "status change"
    verbose_name_plural = "status history"

    def has_view_permission(self, request, obj=None):
        # Shown only inside an admin page the user may already open; the history belongs to that object.
        return request.user.is_active and request.user.is_staff

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class MembershipAdminBase(admin.ModelAdmin):
    """A business's or a hauler's seats and invitations; subclasses name the organisation field."""

    organisation = ""  # "customer" or "hauler"
    list_filter = ("role",)
    raw_id_fields = ("user", "invited_by")
    readonly_fields = ("created_at",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.list_display = ("email", cls.organisation, "role", "accepted", "accepted_at", "created_at")
        cls.list_select_related = (cls.organisation,)
        cls.search_fields = ("email", f"{cls.organisation}__name")
        cls.autocomplete_fields = (cls.organisation,)

    @admin.display(description="accepted", boolean=True, ordering="accepted_at")
    def accepted(self, membership):
        """Accepted once a user holds the seat; pending while only an invitation."""
        return not membership.is_pending
