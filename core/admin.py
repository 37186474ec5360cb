"""Admin for users and the status-change log, plus helpers the other apps' admins share."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import FieldDoesNotExist, ValidationError
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


CENTS = "_cents"


def _money_column(field):
    """A read-only display of an integer-cents model field as dollars, labelled without "cents"."""
    label = str(field.verbose_name)
    label = label.removesuffix(" cents").removesuffix(" (cents)")

    def column(obj):
        return dollars(getattr(obj, field.name))

    column.short_description = label
    column.admin_order_field = field.name
    return column


class DollarsField(forms.Field):
    """A form field for an integer-cents amount that staff type in dollars: "82.20" or "$82.20" -> 8220."""

    default_error_messages = {"invalid": "Enter an amount in dollars, such as 82.20."}

    def prepare_value(self, value):
        # The stored cents shown as dollars; what was typed (a failed POST) is shown back as typed.
        return f"{value / 100:.2f}" if isinstance(value, int) else value

    def to_python(self, value):
        text = str(value or "").strip().replace(",", "").removeprefix("$")
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(amount * 100)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "size": 10}


class DollarsMixin:
    """Where staff read money, they read dollars: a *_cents field shown read-only becomes "$82.20" under its name
    without "cents" (amount_cents -> "amount"); a column of the same name on the admin wins. An editable cents
    field is typed in dollars (DollarsField) and stored in cents."""

    def _cents_field(self, name):
        if not isinstance(name, str) or not name.endswith(CENTS):
            return None
        try:
            return self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return None

    def _shown_as(self, name):
        return name.removesuffix(CENTS) if self._cents_field(name) is not None else name

    def __getattr__(self, name):
        # Only reached for names the class does not define: "amount" where the model has amount_cents.
        if name.startswith("_") or name in ("model", "opts"):
            raise AttributeError(name)
        field = self._cents_field(name + CENTS)
        if field is None:
            raise AttributeError(name)
        return _money_column(field)

    def get_readonly_fields(self, request, obj=None):
        return [self._shown_as(name) for name in super().get_readonly_fields(request, obj)]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        readonly = set(self.get_readonly_fields(request, obj))
        view_only = not self.has_change_permission(request, obj)
        shown = []
        for name in fields:
            money = self._shown_as(name)
            name = money if money != name and (view_only or money in readonly) else name
            if name not in shown:
                shown.append(name)
        return shown

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name.endswith(CENTS) and isinstance(formfield, forms.IntegerField):
            # Typed in dollars, stored in cents: the model field's own validators still check the cents.
            label = str(db_field.verbose_name).removesuffix(" cents").removesuffix(" (cents)")
            formfield = DollarsField(
                label=f"{label.capitalize()} ($)",
                required=formfield.required,
                help_text=db_field.help_text,
                initial=formfield.initial,
            )
        return formfield


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


class ReadOnlyAdminMixin(DollarsMixin):
    """Rows written only by code: staff may look, never add, change or delete (and read their money in dollars)."""

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
