"""The hauler API's fleet: trucks (what each serves, carries and works) and the disposal sites they tip at.

The serializers check types; haulers.fleet checks the rules (a capacity of at least one, a shift that
ends after it starts, a roll-off truck for roll-off boxes only) and saves all of a change or none of it.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.catalog import Container, WasteStream
from core.errors import NotFound
from haulers.fleet import MAX_CAPACITY_PER_TRIP, MAX_STOPS_PER_SHIFT
from haulers.models import DisposalSite, Hauler, Truck
from marketplace import fleet
from marketplace.api.business.serializers import CoordinateField, object_id
from marketplace.api.common import INVALID, NOT_JSON, ClockField, EnumField, FlatListField, Pages
from marketplace.api.hauler.views import AUTHENTICATED, NOT_FOUND, HaulerView

MAX_LIST = 100  # containers or disposal sites named in one request: more is not a fleet, it is a mistake
CLOCK = 'Local time at the depot, "HH:MM".'


# --- Trucks ---------------------------------------------------------------------------


class TruckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = EnumField(Truck.Kind, name="TruckKindEnum")
    containers = serializers.ListField(
        child=EnumField(Container, name="ContainerEnum", shared=True), help_text="The containers it can serve."
    )
    capacity_per_trip = serializers.IntegerField(
        help_text="Cubic yards it collects before it must tip (a roll-off truck: the boxes it carries)."
    )
    stops_per_shift = serializers.IntegerField(help_text="The most stops it does in one shift.")
    shift_start = serializers.TimeField(help_text="Local time at the depot.")
    shift_end = serializers.TimeField(help_text="Local time at the depot.")
    depot_latitude = CoordinateField(limit=90, help_text="Where it starts and ends the day: your depot.")
    depot_longitude = CoordinateField(limit=180)
    disposal_sites = serializers.SerializerMethodField(help_text="The ids of the disposal sites it tips at.")
    active = serializers.BooleanField(help_text="An inactive (retired) truck takes no new work.")
    created_at = serializers.DateTimeField()

    def get_disposal_sites(self, truck) -> list[int]:
        return sorted(site.pk for site in truck.disposal_sites.all())  # prefetched


class TruckCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Unique among your trucks, e.g. its number.")
    kind = EnumField(Truck.Kind, name="TruckKindEnum")
    containers = FlatListField(
        child=EnumField(Container, name="ContainerEnum", shared=True),
        max_length=MAX_LIST,
        help_text="What it can serve: roll-off boxes for a roll-off truck, carts and dumpsters for the others.",
    )
    # The service's range, here too so the schema states it (and with the service's sentence).
    capacity_per_trip = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CAPACITY_PER_TRIP,
        error_messages=dict.fromkeys(
            ("min_value", "max_value"), f"Capacity per trip must be between 1 and {MAX_CAPACITY_PER_TRIP}."
        ),
        help_text=f"Cubic yards it collects before it must tip (a roll-off truck: boxes), "
        f"1 to {MAX_CAPACITY_PER_TRIP}.",
    )
    stops_per_shift = serializers.IntegerField(
        min_value=1,
        max_value=MAX_STOPS_PER_SHIFT,
        error_messages=dict.fromkeys(
            ("min_value", "max_value"), f"Stops per shift must be between 1 and {MAX_STOPS_PER_SHIFT}."
        ),
        help_text=f"The most stops in one shift, 1 to {MAX_STOPS_PER_SHIFT}.",
    )
    shift_start = ClockField(help_text=CLOCK)
    shift_end = ClockField(help_text=f"{CLOCK} After `shift_start`, on the same day.")
    disposal_sites = FlatListField(
        child=object_id(),
        max_length=MAX_LIST,
        required=False,
        default=list,
        help_text="The ids of your disposal sites it tips at.",
    )


class TruckUpdateSerializer(TruckCreateSerializer):
    active = serializers.BooleanField(
        required=False, default=True, help_text="`false` retires the truck: it takes no new work."
    )


def _trucks(hauler: Hauler):
    return hauler.trucks.prefetch_related("disposal_sites").order_by("name", "pk")


def _truck_of(hauler: Hauler, truck_id: int) -> Truck:
    truck = _trucks(hauler).filter(pk=truck_id).first()
    if truck is None:
        raise NotFound("No such truck.")
    return truck


def _truck(hauler: Hauler, truck: Truck, *, code: int = status.HTTP_200_OK) -> Response:
    truck = _truck_of(hauler, truck.pk)  # with its disposal sites as saved
    return Response(TruckSerializer(truck).data, status=code)


def _truck_fields(values: dict) -> dict:
    values = dict(values)
    values["disposal_site_ids"] = values.pop("disposal_sites")
    return values


class TruckListView(HaulerView):
    """Your trucks: list them, or add one."""

    actions = {"GET": "see", "POST": "fleet"}

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=["hauler fleet"],
        summary="List your trucks, by name",
        description="Retired (inactive) trucks included.",
        responses={200: TruckSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(_trucks(self.hauler), TruckSerializer)

    @extend_schema(
        tags=["hauler fleet"],
        summary="Add a truck",
        description="It starts and ends its day at your depot, and tips at the disposal sites named.",
        request=TruckCreateSerializer,
        responses={201: TruckSerializer, 400: INVALID, **AUTHENTICATED, 415: NOT_JSON},
    )
    def post(self, request):
        form = TruckCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        truck = fleet.add_truck(hauler=self.hauler, by=request.user, **_truck_fields(form.validated_data))
        return _truck(self.hauler, truck, code=status.HTTP_201_CREATED)


class TruckDetailView(HaulerView):
    """One of your trucks."""

    actions = {"GET": "see", "PUT": "fleet"}

    @extend_schema(
        tags=["hauler fleet"],
        summary="One of your trucks",
        responses={200: TruckSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(TruckSerializer(_truck_of(self.hauler, id)).data)

    @extend_schema(
        tags=["hauler fleet"],
        summary="Replace a truck's details, or retire it",
        description=(
            "The whole truck: a field left out takes its default (`disposal_sites` none, `active` true). "
            "`active: false` retires it; its jobs already planned stay planned until the day is re-planned."
        ),
        request=TruckUpdateSerializer,
        responses={200: TruckSerializer, 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def put(self, request, id: int):
        truck = _truck_of(self.hauler, id)
        form = TruckUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        truck = fleet.update_truck(truck=truck, by=request.user, **_truck_fields(form.validated_data))
        return _truck(self.hauler, truck)


# --- Disposal sites -------------------------------------------------------------------


class DisposalSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = EnumField(DisposalSite.Kind, name="DisposalSiteKindEnum")
    address = serializers.CharField(allow_blank=True)
    zip_code = serializers.CharField()
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    opens_at = serializers.TimeField(help_text="Local time the gate opens.")
    closes_at = serializers.TimeField(help_text="Local time the gate closes.")
    open_days = serializers.IntegerField(help_text="The days it is open, a bitmask: Monday 1, Tuesday 2 ... Sunday 64.")
    waste_streams = serializers.ListField(
        child=EnumField(WasteStream, name="WasteStreamEnum", shared=True), help_text="What it accepts; empty means all."
    )


class DisposalSiteInputSerializer(serializers.Serializer):
    """A disposal site, whole: the same for adding one and for replacing one."""

    name = serializers.CharField(max_length=200)
    kind = EnumField(DisposalSite.Kind, name="DisposalSiteKindEnum")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    zip_code = serializers.CharField(max_length=10, help_text="A 5-digit US ZIP code.")
    latitude = CoordinateField(
        limit=90, required=False, help_text="Give both coordinates or neither (the ZIP code's centre)."
    )
    longitude = CoordinateField(limit=180, required=False)
    opens_at = ClockField(help_text='Local time the gate opens, "HH:MM".')
    closes_at = ClockField(help_text='Local time the gate closes, "HH:MM"; after `opens_at`.')
    open_days = serializers.IntegerField(
        min_value=0, max_value=127, help_text="The days it is open, a bitmask: Monday 1, Tuesday 2 ... Sunday 64."
    )
    waste_streams = FlatListField(
        child=EnumField(WasteStream, name="WasteStreamEnum", shared=True),
        max_length=MAX_LIST,
        required=False,
        default=list,
        help_text="What it accepts; empty (the default) means all.",
    )

    def validate(self, attrs):
        if ("latitude" in attrs) != ("longitude" in attrs):
            missing = "longitude" if "latitude" in attrs else "latitude"
            raise serializers.ValidationError({missing: ["Give latitude and longitude together."]})
        return attrs


def _site_of(hauler: Hauler, site_id: int) -> DisposalSite:
    site = hauler.disposal_sites.filter(pk=site_id).first()
    if site is None:
        raise NotFound("No such disposal site.")
    return site


class DisposalSiteListView(HaulerView):
    """The landfills, transfer stations and recycling facilities your trucks tip at."""

    actions = {"GET": "see", "POST": "fleet"}

    pagination_class = Pages  # read by the schema generator

    @extend_schema(
        tags=["hauler fleet"],
        summary="List your disposal sites, by name",
        responses={200: DisposalSiteSerializer(many=True), **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request):
        return self.page(self.hauler.disposal_sites.order_by("name", "pk"), DisposalSiteSerializer)

    @extend_schema(
        tags=["hauler fleet"],
        summary="Add a disposal site",
        description="Placed at its ZIP code's centre unless coordinates are given.",
        request=DisposalSiteInputSerializer,
        responses={201: DisposalSiteSerializer, 400: INVALID, **AUTHENTICATED, 415: NOT_JSON},
    )
    def post(self, request):
        form = DisposalSiteInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        site = fleet.add_disposal_site(hauler=self.hauler, by=request.user, **form.validated_data)
        return Response(DisposalSiteSerializer(site).data, status=status.HTTP_201_CREATED)


class DisposalSiteDetailView(HaulerView):
    """One of the disposal sites your trucks tip at."""

    actions = {"GET": "see", "PUT": "fleet"}

    @extend_schema(
        tags=["hauler fleet"],
        summary="One of your disposal sites",
        responses={200: DisposalSiteSerializer, **AUTHENTICATED, 404: NOT_FOUND},
    )
    def get(self, request, id: int):
        return Response(DisposalSiteSerializer(_site_of(self.hauler, id)).data)

    @extend_schema(
        tags=["hauler fleet"],
        summary="Replace a disposal site's details",
        description=(
            "The whole site: a field left out takes its default. Without coordinates it stays where it was, "
            "unless the ZIP code changes: then it moves to the new ZIP code's centre."
        ),
        request=DisposalSiteInputSerializer,
        responses={200: DisposalSiteSerializer, 400: INVALID, **AUTHENTICATED, 404: NOT_FOUND, 415: NOT_JSON},
    )
    def put(self, request, id: int):
        site = _site_of(self.hauler, id)
        form = DisposalSiteInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        site = fleet.update_disposal_site(site=site, by=request.user, **form.validated_data)
        return Response(DisposalSiteSerializer(site).data)
