"""Routes: each truck's ordered stops for a day, planned by the router, with the stops no truck could take."""

from django.db import models
from django.db.models import Q


class DayPlan(models.Model):
    """One hauler's planned day: when it was last planned, from which inputs, and what could not be routed."""

    hauler = models.ForeignKey("haulers.Hauler", on_delete=models.CASCADE, related_name="day_plans")
    day = models.DateField()
    planned_at = models.DateTimeField(null=True, blank=True)
    # A digest of everything the plan was made from (jobs, windows, pins, trucks): a solve that finishes after
    # the day changed again is not saved, since the change has queued its own.
    inputs = models.CharField(max_length=64, blank=True)
    solver = models.CharField(max_length=40, blank=True)
    distance_m = models.PositiveIntegerField(default=0)
    unroutable = models.JSONField(default=dict, help_text="{pickup id: why no truck could take it}")

    class Meta:
        ordering = ["day", "hauler"]
        constraints = [models.UniqueConstraint(fields=["hauler", "day"], name="one_day_plan_per_hauler_day")]

    def __str__(self):
        return f"{self.hauler} on {self.day}"


class Route(models.Model):
    """One truck's route for the day: depot, stops and tipping trips in order, and back."""

    plan = models.ForeignKey(DayPlan, on_delete=models.CASCADE, related_name="routes")
    truck = models.ForeignKey("haulers.Truck", on_delete=models.CASCADE, related_name="routes")
    starts_at = models.DateTimeField(help_text="Leaves the depot.")
    ends_at = models.DateTimeField(help_text="Back at the depot.")
    distance_m = models.PositiveIntegerField()

    class Meta:
        ordering = ["plan", "truck__name", "truck_id"]
        constraints = [models.UniqueConstraint(fields=["plan", "truck"], name="one_route_per_truck_day")]

    def __str__(self):
        return f"{self.truck.name} on {self.plan.day}"


class RouteStop(models.Model):
    """A visit on a route: a pickup, or a tipping trip to a disposal site."""

    class Kind(models.TextChoices):
        PICKUP = "pickup", "Pickup"
        TIP = "tip", "Tipping trip"

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    pickup = models.ForeignKey("Pickup", null=True, blank=True, on_delete=models.CASCADE, related_name="route_stops")
    disposal_site = models.ForeignKey(
        "haulers.DisposalSite", null=True, blank=True, on_delete=models.CASCADE, related_name="route_stops"
    )
    arrives_at = models.DateTimeField()
    departs_at = models.DateTimeField()
    load_after = models.PositiveIntegerField(help_text="The truck's load on leaving, in its capacity's units.")

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="route_stop_sequence_unique"),
            models.CheckConstraint(
                condition=Q(kind="pickup", pickup__isnull=False, disposal_site__isnull=True)
                | Q(kind="tip", pickup__isnull=True, disposal_site__isnull=False),
                name="route_stop_is_pickup_or_tip",
            ),
            models.CheckConstraint(condition=Q(departs_at__gte=models.F("arrives_at")), name="route_stop_times"),
        ]

    def __str__(self):
        return f"{self.sequence}. {self.get_kind_display()}"
