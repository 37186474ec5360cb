"""Admin for bin sensors (rules editable, tokens never shown but rotatable) and their readings (read-only)."""

from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin
from sensors import alarms, device_models, integrations, services
from sensors.models import Alarm, Device, Integration, Reading

RULES = ("collect_at_percent", "skip_below_percent", "auto_book", "use_forecast", "active")
NETWORK = ("external_id", "model")
HARDWARE = ("kind", "capacity_multiplier", "compactions_when_full", "reporting_interval_minutes")
IDENTITY = ("serial", "location", "waste_stream", "container")
# What ingest and the forecast keep on the row: shown, never edited.
STATE = ("last_reading_at", "last_fill_percent", "full_at", "battery_empty_at")


class DeviceAdminForm(forms.ModelForm):
    model = forms.ChoiceField(choices=device_models.choices, help_text="How the device's uplink bytes are decoded.")

    class Meta:
        model = Device
        fields = (*RULES, *NETWORK, *HARDWARE)

    def clean(self):
        cleaned = super().clean()
        checks = [lambda: services.validate_rules(
            collect_at_percent=cleaned["collect_at_percent"], skip_below_percent=cleaned["skip_below_percent"]
        )]  # fmt: skip
        if self.instance.pk is not None:  # a new device's network and hardware are set once it exists
            checks.append(lambda: services.validate_network_identity(
                device=self.instance, external_id=cleaned["external_id"], model=cleaned["model"]
            ))  # fmt: skip
            checks.append(lambda: services.validate_hardware(**{name: cleaned[name] for name in HARDWARE}))
        for check in checks if not self.errors else ():
            try:
                check()
            except ValidationError as error:
                for name, problems in error.message_dict.items():
                    self.add_error(name, problems)
        return cleaned


class DeviceAddForm(DeviceAdminForm):
    model = None

    class Meta:
        model = Device
        fields = (*IDENTITY, *RULES)


ADD_FIELDS = (*IDENTITY, *RULES)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    form = DeviceAdminForm
    list_display = (
        "serial",
        "location",
        "waste_stream",
        "container",
        "active",
        "auto_book",
        "collect_at_percent",
        "skip_below_percent",
        "last_reading_at",
    )
    list_filter = ("active", "auto_book", "waste_stream", "container")
    list_select_related = ("location",)
    search_fields = ("serial", "location__name", "location__customer__name")
    readonly_fields = (*IDENTITY, "token_hint", "created_at", *STATE)
    fields = (*IDENTITY, *RULES, *NETWORK, *HARDWARE, "token_hint", "created_at", *STATE)
    raw_id_fields = ("location",)
    actions = ["rotate_tokens"]

    # Registering goes through the same service as the business's page; the token is shown once, in a message.
    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = DeviceAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ADD_FIELDS if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        rules = {name: form.cleaned_data[name] for name in RULES}
        if change:
            # One transaction: a network id taken by another sensor leaves the rules unsaved too.
            with transaction.atomic():
                services.update_rules(device=obj, **rules)
                services.set_network_identity(
                    device=obj, external_id=form.cleaned_data["external_id"], model=form.cleaned_data["model"]
                )
                services.describe_hardware(device=obj, **{name: form.cleaned_data[name] for name in HARDWARE})
            return
        active = rules.pop("active")
        device, token = services.register_device(
            location=form.cleaned_data["location"],
            serial=form.cleaned_data["serial"],
            waste_stream=form.cleaned_data["waste_stream"],
            container=form.cleaned_data["container"],
            **rules,
            by=None,  # staff act as the platform
        )
        if not active:
            services.update_rules(device=device, active=False, **rules)
        obj.__dict__.update(device.__dict__)  # the admin goes on with the registered row (its pk, its log entry)
        self.message_user(request, f"Device token (shown only this once): {token}", messages.WARNING)

    @admin.action(description="Rotate token")
    def rotate_tokens(self, request, queryset):
        tokens = [
            (device.serial, services.rotate_token(device=device, by=None)) for device in queryset.order_by("serial")
        ]
        listing = "; ".join(f"{serial}: {token}" for serial, token in tokens)
        self.message_user(
            request,
            f"New tokens (shown only this once; the old ones no longer work): {listing}",
            messages.WARNING,
        )


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("device", "fill_percent", "measured_at", "battery_percent", "temperature_c", "received_at")
    list_filter = ("device__waste_stream", "device__container", "device__active")
    list_select_related = ("device",)
    search_fields = ("device__serial",)
    date_hierarchy = "measured_at"
    ordering = ("-measured_at", "-id")
    # Readings pile up by the million; counting them all for the "of N" line is not worth a full scan.
    show_full_result_count = False


class AlarmStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open"), ("closed", "Closed"))

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


class AcknowledgedFilter(admin.SimpleListFilter):
    title = "acknowledged"
    parameter_name = "acknowledged"

    def lookups(self, request, model_admin):
        return (("yes", "Acknowledged"), ("no", "Not yet"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset


def _admin_link(name: str, pk, text) -> str:
    try:
        return format_html('<a href="{}">{}</a>', reverse(name, args=[pk]), text)
    except NoReverseMatch:  # that side's admin is not installed
        return str(text)


# Context keys that name a row elsewhere (by admin URL name, so this leaf imports nothing of the market).
CONTEXT_LINKS = {"pickup": ("admin:marketplace_pickup_change", "Pickup #{}")}


@admin.register(Alarm)
class AlarmAdmin(admin.ModelAdmin):
    """The staff's alarm queue: open alarms first, newest first; staff acknowledge what they took in hand."""

    list_display = ("kind", "device_link", "location_link", "detail", "opened", "state")
    list_filter = ("kind", AlarmStateFilter, AcknowledgedFilter, "device__waste_stream")
    list_select_related = ("device", "device__location", "device__location__customer", "acknowledged_by")
    search_fields = ("device__serial", "device__location__name", "device__location__customer__name", "detail")
    # Open (no closed_at) first, then the most recently closed; newest first within each.
    ordering = (F("closed_at").desc(nulls_first=True), "-opened_at", "-id")
    date_hierarchy = "opened_at"
    fields = (
        "kind",
        "device_link",
        "location_link",
        "detail",
        "about",
        "opened_at",
        "closed_at",
        "acknowledged_at",
        "acknowledged_by",
    )
    readonly_fields = fields
    actions = ["acknowledge"]

    # Alarms are opened and closed by their rules; staff only acknowledge them.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="device", ordering="device__serial")
    def device_link(self, alarm):
        return _admin_link("admin:sensors_device_change", alarm.device_id, alarm.device.serial)

    @admin.display(description="location", ordering="device__location__name")
    def location_link(self, alarm):
        location = alarm.device.location
        link = _admin_link("admin:customers_servicelocation_change", location.pk, location.name)
        return format_html("{}<br><small>{}</small>", link, location.customer.name)

    @admin.display(description="opened (local time)", ordering="opened_at")
    def opened(self, alarm):
        # In the bin's own zone, as its detail sentence is: staff call the business about its morning, not UTC's.
        return dateformat.format(
            alarm.opened_at.astimezone(ZoneInfo(alarm.device.location.timezone)), "D, M j, g:i a T"
        )

    @admin.display(description="state", ordering="closed_at")
    def state(self, alarm):
        # Who acknowledged it and when are on the alarm's page; the list keeps to what sorts the queue.
        if alarm.closed_at is not None:
            return "Closed, acknowledged" if alarm.acknowledged_at else "Closed"
        return "Open, acknowledged" if alarm.acknowledged_at else "Open, not acknowledged"

    @admin.display(description="about")
    def about(self, alarm):
        links = [
            _admin_link(CONTEXT_LINKS[key][0], value, CONTEXT_LINKS[key][1].format(value))
            for key, value in (alarm.context or {}).items()
            if key in CONTEXT_LINKS and value is not None
        ]
        return format_html(", ".join(["{}"] * len(links)), *links) if links else "—"

    @admin.action(description="Acknowledge (I am on it)", permissions=["change"])
    def acknowledge(self, request, queryset):
        count = alarms.acknowledge(alarms=queryset, user=request.user)
        self.message_user(
            request,
            f"Acknowledged {count} alarm{'s' if count != 1 else ''}; those already acknowledged keep who and when.",
            messages.SUCCESS,
        )


class IntegrationAddForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = ("name", "customer", "readings_per_minute", "active")


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """Network servers and vendor clouds: staff make one and see its key once; keys are rotatable, never shown."""

    list_display = ("name", "scope", "key", "readings_per_minute", "active", "last_used_at", "created_at")
    list_filter = ("active",)
    list_select_related = ("customer",)
    search_fields = ("name", "customer__name", "key_hint")
    fields = ("name", "customer", "readings_per_minute", "active", "key", "created_at", "last_used_at")
    readonly_fields = ("key", "created_at", "last_used_at")
    raw_id_fields = ("customer",)
    actions = ["rotate_keys"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = IntegrationAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return IntegrationAddForm.Meta.fields if obj is None else self.fields

    @admin.display(description="reaches")
    def scope(self, integration):
        return integration.customer.name if integration.customer_id else "Every device, by external id"

    @admin.display(description="key", ordering="key_hint")
    def key(self, integration):
        return f"…{integration.key_hint}" if integration.key_hint else "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        integration, key = integrations.create_integration(
            name=form.cleaned_data["name"],
            customer=form.cleaned_data["customer"],
            readings_per_minute=form.cleaned_data["readings_per_minute"],
            active=form.cleaned_data["active"],
        )
        obj.__dict__.update(integration.__dict__)  # the admin goes on with the created row (its pk, its log entry)
        self.message_user(
            request,
            f"Integration key (shown only this once; send it as X-Integration-Key or Authorization: Bearer): {key}",
            messages.WARNING,
        )

    @admin.action(description="Rotate key")
    def rotate_keys(self, request, queryset):
        keys = [(item.name, integrations.rotate_key(integration=item)) for item in queryset.order_by("name", "pk")]
        listing = "; ".join(f"{name}: {key}" for name, key in keys)
        self.message_user(
            request, f"New keys (shown only this once; the old ones no longer work): {listing}", messages.WARNING
        )
