"""API shapes for recurring service: the recurrence a quote asks for, plans, and the changes made to them.

Weekdays are names (`monday` ... `sunday`) in the API; the models keep them as a bitmask.
"""

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.catalog import Container, WasteStream
from haulers.models import WEEKDAY_NAMES
from marketplace import plans
from marketplace.models import Frequency, ServicePlan

WEEKDAYS = [name.lower() for name in WEEKDAY_NAMES]
# Plans add days and weeks to their dates: far from today, that arithmetic leaves the calendar (a 500). No plan
# needs dates outside these years.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2999, 12, 31)
OUT_OF_RANGE = "Enter a date in the years 2000 to 2999."
MAX_ID = 2**63 - 1  # a larger id must be a 404, not an overflow


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": WEEKDAYS}, "maxItems": 7})
class WeekdaysField(serializers.Field):
    """Weekday names, as the bitmask the services take; `required_days` refuses an empty list."""

    def __init__(self, *, required_days: bool = False, **kwargs):
        self.required_days = required_days
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or len(data) > 7:
            raise serializers.ValidationError('Give a list of weekday names, e.g. ["monday", "thursday"].')
        unknown = [str(day) for day in data if not isinstance(day, str) or day not in WEEKDAYS]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown weekday {', '.join(unknown)}; choose from {', '.join(WEEKDAYS)}."
            )
        if self.required_days and not data:
            raise serializers.ValidationError("Choose at least one weekday.")
        return plans.weekday_mask(WEEKDAYS.index(day) for day in data)

    def to_representation(self, mask):
        return [WEEKDAYS[day] for day in sorted(plans.weekday_set(mask))]


class PlanDateField(serializers.DateField):
    """A date within the years plans use, else a field error."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not EARLIEST <= day <= LATEST:
            raise serializers.ValidationError(OUT_OF_RANGE)
        return day


class RecurrenceRequestFields(serializers.Serializer):
    """What a quote for recurring service adds: how often, on which days, until when."""

    frequency = serializers.ChoiceField(
        choices=Frequency.choices,
        required=False,
        default=Frequency.ONCE,
        help_text="`once` (the default) for one pickup; otherwise the quote is for a plan, priced per visit, "
        "and `service_date` is the day the plan starts.",
    )
    weekdays = WeekdaysField(required=False, help_text="Weekly and biweekly plans: the days of the visits.")
    day_of_month = serializers.IntegerField(
        min_value=1, max_value=31, required=False, help_text="Monthly plans: the day (the month's last if shorter)."
    )
    end_date = PlanDateField(required=False, help_text="A plan's last day of service, if it has one.")

    def validate(self, attrs):
        # The services check the recurrence is complete (field errors under weekdays / day_of_month / end_date).
        if attrs.get("frequency", Frequency.ONCE) == Frequency.ONCE:
            extra = [name for name in ("weekdays", "day_of_month", "end_date") if name in attrs]
            if extra:
                raise serializers.ValidationError({name: ["Only a recurring quote has this."] for name in extra})
        else:
            attrs.setdefault("weekdays", 0)
            if "service_date" in attrs and not EARLIEST <= attrs["service_date"] <= LATEST:
                raise serializers.ValidationError({"service_date": [OUT_OF_RANGE]})
        return attrs


class RecurrenceFields(serializers.Serializer):
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    weekdays = WeekdaysField(help_text="Weekly and biweekly: the days of the visits (empty for monthly).")
    day_of_month = serializers.IntegerField(allow_null=True, help_text="Monthly: the day of the visits.")
    start_date = serializers.DateField(
        allow_null=True, help_text="A recurring quote's first day (null for one pickup)."
    )
    end_date = serializers.DateField(allow_null=True, help_text="The last day of service, if any.")


class PlanBookingSerializer(serializers.Serializer):
    quote = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="An unexpired recurring quote of yours.")


class PlanSerializer(RecurrenceFields):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ServicePlan.Status.choices, help_text="For programs.")
    status_display = serializers.CharField(source="get_status_display", help_text="For people.")
    location = serializers.IntegerField(source="location_id")
    quote = serializers.IntegerField(source="quote_id", allow_null=True)
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="The plan this one continues (after a change of weekdays)."
    )
    waste_stream = serializers.ChoiceField(choices=WasteStream.choices)
    container = serializers.ChoiceField(choices=Container.choices)
    quantity = serializers.IntegerField()
    window_start = serializers.TimeField(help_text="Every visit's arrival window, local time at the location.")
    window_end = serializers.TimeField()
    price_cents = serializers.IntegerField(help_text="Per visit.")
    currency = serializers.CharField()
    hauler = serializers.SerializerMethodField(help_text="The hauler's company name once one has taken the plan.")
    created_at = serializers.DateTimeField()

    def get_hauler(self, plan) -> str | None:
        return plan.hauler.name if plan.hauler_id is not None else None


class PauseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)


class VisitSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The pickup (see /api/v1/pickups/{id}/).")
    plan_date = serializers.DateField(help_text="The plan's date for it, before any holiday shift.")
    service_date = serializers.DateField()
    status = serializers.CharField(help_text="A pickup `status`.")


class PlanDetailSerializer(PlanSerializer):
    """A plan with its pauses and its visits from a week ago on; the view passes the visits in the context."""

    pauses = PauseSerializer(many=True, source="pauses.all")
    visits = serializers.SerializerMethodField(help_text="Its visits from a week ago on, soonest first (30 at most).")

    def get_visits(self, plan) -> list[dict]:
        return VisitSerializer(self.context["visits"], many=True).data


class SkipSerializer(serializers.Serializer):
    date = PlanDateField(help_text="The plan's date of the visit to skip (its `plan_date`).")


class PauseRequestSerializer(serializers.Serializer):
    start_date = PlanDateField()
    end_date = PlanDateField(help_text="The last day without visits (on or after start_date).")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ResumeSerializer(serializers.Serializer):
    from_date = PlanDateField(
        required=False, help_text="Visits come again from this day (today at the location when not given)."
    )


class WeekdaysChangeSerializer(serializers.Serializer):
    weekdays = WeekdaysField(required_days=True)
    from_date = PlanDateField(help_text="The first day on the new weekdays (after today).")


class EndSerializer(serializers.Serializer):
    last_day = PlanDateField(help_text="The last day of service; before the start, the plan is cancelled.")
