"""The hauler API's day on the road: each truck's planned route, the jobs no truck can take, and moving a job.

Routes are planned in the background whenever the day changes (marketplace.routes); reading them never
plans, so `planned_at` says how fresh they are.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from haulers.models import Hauler
from marketplace import routes
from marketplace.api.business.serializers import object_id
from marketplace.api.common import INVALID, NOT_JSON, EnumField, error_response
from marketplace.api.hauler.serializers import JobDetailSerializer, JobLocationSerializer
from marketplace.api.hauler.views import AUTHENTICATED, NOT_FOUND, HaulerView
from marketplace.models import RouteStop

# --- Shapes ---------------------------------------------------------------------------


class RouteFilterSerializer(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="The day, YYYY-MM-DD; today at your depot when not given.")


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RouteTruckSerializer(NamedSerializer):
    """The truck that drives the route."""


class RouteDisposalSiteSerializer(NamedSerializer):
    """The disposal site of a tipping trip."""


class RouteJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The job, at /api/v1/hauler/jobs/{id}/.")
    status = serializers.CharField(help_text="The job's status: scheduled, or completed once done.")
    business = serializers.CharField(source="customer.name", help_text="The customer's name.")
    location = JobLocationSerializer()
    waste_stream = serializers.CharField()
    container = serializers.CharField()
    quantity = serializers.IntegerField(help_text="How many containers.")
    window_start = serializers.TimeField(help_text="Local time at the location from which you may arrive.")
    window_end = serializers.TimeField(help_text="Local time at the location by which the pickup is done.")


class RouteStopSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="The stop's place on the route, from 0.")
    kind = EnumField(RouteStop.Kind, name="RouteStopKindEnum", help_text="A pickup, or a tipping trip.")
    arrives_at = serializers.DateTimeField()
    departs_at = serializers.DateTimeField()
    job = serializers.SerializerMethodField(help_text="The job done at a pickup stop; null on a tipping trip.")
    disposal_site = serializers.SerializerMethodField(help_text="Where a tipping trip tips; null at a pickup.")

    @extend_schema_field(RouteJobSerializer(allow_null=True))
    def get_job(self, stop):
        return RouteJobSerializer(stop.pickup).data if stop.pickup_id else None

    @extend_schema_field(RouteDisposalSiteSerializer(allow_null=True))
    def get_disposal_site(self, stop):
        return RouteDisposalSiteSerializer(stop.disposal_site).data if stop.disposal_site_id else None


class RouteSerializer(serializers.Serializer):
    truck = RouteTruckSerializer()
    starts_at = serializers.DateTimeField(help_text="Leaves the depot.")
    ends_at = serializers.DateTimeField(help_text="Back at the depot.")
    distance_km = serializers.SerializerMethodField(help_text="The whole route's driving distance, in km.")
    stops = RouteStopSerializer(many=True, source="stops.all")

    def get_distance_km(self, route) -> float:
        return round(route.distance_m / 1000, 1)


class UnroutableSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text="The job, at /api/v1/hauler/jobs/{job}/.")
    reason = serializers.CharField(help_text="Why no truck takes it, for people (or that it is not planned yet).")


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    planned_at = serializers.DateTimeField(
        allow_null=True, help_text="When the routes were last planned; null before the first plan of the day."
    )
    routes = RouteSerializer(many=True, help_text="One per truck that has stops, by truck name.")
    unroutable = UnroutableSerializer(many=True, help_text="The day's scheduled jobs on no route.")


class MoveSerializer(serializers.Serializer):
    job = object_id(help_text="One of your scheduled jobs.")
    truck = object_id(allow_null=True, help_text="One of your active trucks that serves the job; null: any truck.")


def _today(hauler: Hauler):
    return timezone.localtime(timezone=routes.zone_of(hauler)).date()


# --- Views ----------------------------------------------------------------------------


class RouteDayView(HaulerView):
    """Your trucks' routes for a day."""

    actions = {"GET": "dispatch"}

    @extend_schema(
        tags=["hauler routes"],
        summary="The day's routes, truck by truck",
        description=(
            "Each truck's stops in order, pickups and tipping trips, with planned arrival and departure times; "
            "then the jobs no truck can take, each with the reason. The routes are re-planned in the "
            "background whenever the day changes."
        ),
        parameters=[RouteFilterSerializer],
        responses={200: DaySerializer, 400: INVALID, **AUTHENTICATED},
    )
    def get(self, request):
        filters = RouteFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        hauler = self.hauler
        day = filters.validated_data.get("day") or _today(hauler)
        plan = routes.day_plan(hauler=hauler, day=day)
        unroutable = routes.unroutable_jobs(plan=plan, hauler=hauler, day=day)
        body = {
            "day": day,
            "planned_at": plan.planned_at if plan is not None else None,
            "routes": plan.routes.all() if plan is not None else [],  # prefetched, with their stops
            "unroutable": [{"job": job.pk, "reason": reason} for job, reason in unroutable],
        }
        return Response(DaySerializer(body).data)


class RouteMoveView(HaulerView):
    """Putting a job on a truck of your choice."""

    actions = {"POST": "dispatch"}

    @extend_schema(
        tags=["hauler routes"],
        summary="Move a job to a truck",
        description=(
            "The job stays on that truck when the day is re-planned (`truck: null` lets the router choose "
            "again). The answer is the job; its day is re-planned in the background."
        ),
        request=MoveSerializer,
        responses={
            200: JobDetailSerializer,
            400: INVALID,
            **AUTHENTICATED,
            404: NOT_FOUND,
            409: error_response("The job is not scheduled (completed, missed or cancelled) (`conflict`)."),
            415: NOT_JSON,
        },
    )
    def post(self, request):
        form = MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        pickup = routes.move_stop(
            hauler=self.hauler,
            pickup_id=form.validated_data["job"],
            truck_id=form.validated_data["truck"],
            by=request.user,
        )
        return self.job(pickup.pk)
