"""The business API's quotes read back, and the arrival windows a quote may ask for."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.errors import NotFound
from marketplace.api.business import serializers as s
from marketplace.api.business.views import AUTHENTICATED, NOT_FOUND, BusinessView
from marketplace.models import Quote


class QuoteDetailSerializer(s.QuoteSerializer):
    pickup = serializers.SerializerMethodField(help_text="The pickup booked from it, if any.")
    plan = serializers.SerializerMethodField(help_text="The plan booked from it, if any (a recurring quote).")

    def get_pickup(self, quote) -> int | None:
        pickup = getattr(quote, "pickup", None)
        return pickup.pk if pickup is not None else None

    def get_plan(self, quote) -> int | None:
        plan = getattr(quote, "plan", None)
        return plan.pk if plan is not None else None


class ArrivalWindowSerializer(serializers.Serializer):
    window_start = serializers.TimeField(help_text="Local time at the location from which the hauler may arrive.")
    window_end = serializers.TimeField(help_text="Local time at the location by which the pickup is done.")
    label = serializers.CharField(help_text='For people, e.g. "07:00-11:00".')
    default = serializers.BooleanField(help_text="The window a quote gets when it names none.")


class QuoteDetailView(BusinessView):
    """One of your quotes, as priced."""

    @extend_schema(
        tags=["quotes"],
        summary="One of your quotes",
        description="As priced, with the pickup or plan booked from it.",
        responses={200: QuoteDetailSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        quote = Quote.objects.filter(customer=self.customer, pk=id).select_related("pickup", "plan").first()
        if quote is None:
            raise NotFound("No such quote.")
        return Response(QuoteDetailSerializer(quote).data)


class ArrivalWindowListView(BusinessView):
    """The arrival windows offered."""

    @extend_schema(
        tags=["quotes"],
        summary="The arrival windows a quote may ask for",
        description="Give one as a quote's `window_start` and `window_end`, local time at the location.",
        responses={200: ArrivalWindowSerializer(many=True), **AUTHENTICATED},
    )
    def get(self, request):
        windows = [
            {"window_start": start, "window_end": end, "label": f"{start:%H:%M}-{end:%H:%M}", "default": index == 0}
            for index, (start, end) in enumerate(settings.ARRIVAL_WINDOWS)
        ]
        return Response(ArrivalWindowSerializer(windows, many=True).data)
