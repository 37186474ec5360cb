"""Licensed, insured haulers: who they are, where they serve, what they charge."""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.catalog import Container, WasteStream
from core.models import MembershipBase
from core.permissions import rule

zip_code_format = RegexValidator(r"^\d{5}$", "Enter a 5-digit ZIP code.")

# A pickup priced above this is a typo, not a rate: $10,000.
MAX_RATE_CENTS = 1_000_000
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_MONDAY_TO_FRIDAY = 0b0011111


def weekday_bit(weekday: int) -> int:
    """The working_days bit of a date.weekday() (Monday is 0)."""
    return 1 << weekday


class Hauler(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending verification"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.SUSPENDED},
        Status.ACTIVE: {Status.SUSPENDED},
        Status.SUSPENDED: {Status.ACTIVE},
    }

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    phone = models.CharField(max_length=30, blank=True)
    depot_zip = models.CharField("depot ZIP code", max_length=5, validators=[zip_code_format])
    depot_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    depot_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    reliability_score = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.900"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text="0 to 1 over the last 90 days (marketplace/reliability.py); matching weighs prices by it.",
    )
    working_days = models.PositiveSmallIntegerField(
        default=WEEKDAYS_MONDAY_TO_FRIDAY,
        help_text="Days the trucks run, as a bitmask: Monday is 1, Tuesday 2, Wednesday 4 ... Sunday 64.",
    )
    offers_paused_until = models.DateTimeField(
        null=True, blank=True, help_text="No new offers before this: too many give-backs or lapsed offers lately."
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(working_days__gte=1, working_days__lte=127), name="hauler_works_some_day"
            ),
            models.CheckConstraint(
                condition=Q(reliability_score__gte=0, reliability_score__lte=1), name="hauler_reliability_0_to_1"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "active", "suspended"]), name="hauler_status_valid"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def offers_paused(self) -> bool:
        """A lockout is in force now: no new offers (marketplace/lockouts.py)."""
        return self.offers_paused_until is not None and self.offers_paused_until > timezone.now()

    def works_on(self, weekday: int) -> bool:
        return bool(self.working_days & weekday_bit(weekday))

    @property
    def working_day_names(self) -> list[str]:
        return [name for day, name in enumerate(WEEKDAY_NAMES) if self.works_on(day)]


class OfferPause(models.Model):
    """A lockout: no new offers for the hauler until `until`, for the reason given; staff may lift it early."""

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="offer_pauses")
    started_at = models.DateTimeField()
    until = models.DateTimeField()
    reason = models.CharField(max_length=300)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["hauler", "-started_at"], name="offer_pause_hauler_recent")]
        constraints = [models.CheckConstraint(condition=Q(until__gt=F("started_at")), name="offer_pause_ends_later")]

    def __str__(self):
        return f"Offers paused for {self.hauler_id} from {self.started_at:%Y-%m-%d %H:%M}"


class HaulerRole(models.TextChoices):
    OWNER = "owner", "Owner"
    DISPATCHER = "dispatcher", "Dispatcher"
    DRIVER = "driver", "Driver"


HAULER_ROLE_DESCRIPTIONS = {
    HaulerRole.OWNER: "Everything: rates, service area, company details, credentials, payouts and the team.",
    HaulerRole.DISPATCHER: "Answers offers, plans the routes, assigns drivers and keeps the trucks and sites.",
    HaulerRole.DRIVER: "Works their own day's route: completes its jobs with proof, or reports why not.",
}

_EVERYONE = (HaulerRole.OWNER, HaulerRole.DISPATCHER, HaulerRole.DRIVER)
_DISPATCH = (HaulerRole.OWNER, HaulerRole.DISPATCHER)


class Membership(MembershipBase):
    # Who may do what at a hauler; core.permissions.require() reads it, the services call that. Rates and the
    # service area are the company's commercial terms, so they are the owner's, like payouts and the team.
    PERMISSIONS = {
        "day": rule(*_EVERYONE, what="work a day's route and close its jobs"),
        "offers": rule(*_DISPATCH, what="answer offers"),
        "dispatch": rule(*_DISPATCH, what="see every job, plan routes and assign drivers"),
        "fleet": rule(*_DISPATCH, what="change trucks and disposal sites"),
        "see": rule(*_DISPATCH, what="see the company's details, rates, service area and earnings"),
        "commercial": rule(HaulerRole.OWNER, what="change rates or the service area"),
        "company": rule(HaulerRole.OWNER, what="change the company's details or credentials"),
        "payouts": rule(HaulerRole.OWNER, what="set up the payout account"),
        "team": rule(HaulerRole.OWNER, what="invite people, remove them or change their roles"),
        "integrations": rule(HaulerRole.OWNER, what="set up webhooks and integrations"),
        "ownership": rule(HaulerRole.OWNER, what="make someone an owner or remove an owner"),
    }

    role = models.CharField(max_length=10, choices=HaulerRole.choices, default=HaulerRole.DRIVER)
    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="hauler_membership",
        help_text="Empty while the invitation is pending. A user belongs to at most one hauler.",
    )

    class Meta:
        ordering = ["hauler", "email"]
        constraints = [
            models.UniqueConstraint(fields=["hauler", "email"], name="hauler_membership_unique_email"),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "dispatcher", "driver"]), name="hauler_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()}) at {self.hauler}"


class Credential(models.Model):
    """A licence or insurance certificate; a hauler is matched only while both are valid."""

    class Kind(models.TextChoices):
        LICENCE = "licence", "Hauling licence"
        INSURANCE = "insurance", "Insurance certificate"

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    number = models.CharField(max_length=100)
    issuer = models.CharField(max_length=200)
    valid_from = models.DateField()
    expires_on = models.DateField(db_index=True, help_text="Last day the credential is valid.")
    document = models.FileField(upload_to="credentials/%Y/%m/", blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["hauler", "kind", "-expires_on"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gte=F("valid_from")), name="credential_expires_after_start"),
            models.CheckConstraint(condition=Q(kind__in=["licence", "insurance"]), name="credential_kind_valid"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number} (to {self.expires_on})"


class ServiceZip(models.Model):
    """One ZIP code a hauler serves. Indexed by ZIP first: matching asks 'who serves 78701?'."""

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="service_zips")
    zip_code = models.CharField("ZIP code", max_length=5, validators=[zip_code_format])

    class Meta:
        ordering = ["zip_code"]
        verbose_name = "service ZIP"
        constraints = [
            models.UniqueConstraint(fields=["zip_code", "hauler"], name="service_zip_unique_per_hauler"),
        ]

    def __str__(self):
        return self.zip_code


class Rate(models.Model):
    """A hauler's price for one pickup of one container of a waste stream."""

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="rates")
    waste_stream = models.CharField(max_length=20, choices=WasteStream.choices)
    container = models.CharField(max_length=20, choices=Container.choices)
    price_cents = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_RATE_CENTS)])
    extra_container_cents = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_RATE_CENTS)],
        help_text="Price of each container beyond the first at the same visit.",
    )

    class Meta:
        ordering = ["hauler", "waste_stream", "container"]
        constraints = [
            models.UniqueConstraint(fields=["hauler", "waste_stream", "container"], name="rate_unique_per_service"),
            models.CheckConstraint(
                condition=Q(price_cents__gt=0, price_cents__lte=MAX_RATE_CENTS), name="rate_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(extra_container_cents__gte=0, extra_container_cents__lte=MAX_RATE_CENTS),
                name="rate_extra_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.get_waste_stream_display()}, {self.get_container_display()}: ${self.price_cents / 100:,.2f}"


class DisposalSite(models.Model):
    """A landfill, transfer station or recycling facility a hauler's trucks tip at when they are full."""

    class Kind(models.TextChoices):
        LANDFILL = "landfill", "Landfill"
        TRANSFER_STATION = "transfer_station", "Transfer station"
        RECYCLING_FACILITY = "recycling_facility", "Recycling facility"

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="disposal_sites")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LANDFILL)
    address = models.CharField(max_length=300, blank=True)
    zip_code = models.CharField("ZIP code", max_length=5, validators=[zip_code_format])
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    opens_at = models.TimeField(default=time(6, 0), help_text="Local time the gate opens.")
    closes_at = models.TimeField(default=time(17, 0), help_text="Local time the gate closes.")
    open_days = models.PositiveSmallIntegerField(
        default=WEEKDAYS_MONDAY_TO_FRIDAY | weekday_bit(5), help_text="Bitmask like a hauler's working days."
    )
    waste_streams = models.JSONField(default=list, help_text="The waste streams it accepts; empty means all.")

    class Meta:
        ordering = ["hauler", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="disposal_site_hours_ordered"),
            models.CheckConstraint(condition=Q(open_days__gte=0, open_days__lte=127), name="disposal_site_days_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def open_on(self, weekday: int) -> bool:
        return bool(self.open_days & weekday_bit(weekday))

    def accepts(self, waste_stream: str) -> bool:
        return not self.waste_streams or waste_stream in self.waste_streams


class Truck(models.Model):
    """One of a hauler's vehicles: what it can serve, how much it carries per trip and per shift, where it sleeps."""

    class Kind(models.TextChoices):
        FRONT_LOAD = "front_load", "Front-load"
        REAR_LOAD = "rear_load", "Rear-load"
        ROLL_OFF = "roll_off", "Roll-off"
        BOX_TRUCK = "box_truck", "Box truck"

    hauler = models.ForeignKey(Hauler, on_delete=models.CASCADE, related_name="trucks")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.FRONT_LOAD)
    containers = models.JSONField(default=list, help_text="The containers it can serve (Container values).")
    capacity_per_trip = models.PositiveSmallIntegerField(
        help_text="Cubic yards of waste it collects before it must tip (roll-off: boxes it carries)."
    )
    stops_per_shift = models.PositiveSmallIntegerField(help_text="Most stops it does in one shift.")
    shift_start = models.TimeField(default=time(6, 0))
    shift_end = models.TimeField(default=time(16, 0))
    depot_latitude = models.DecimalField(max_digits=9, decimal_places=6)
    depot_longitude = models.DecimalField(max_digits=9, decimal_places=6)
    disposal_sites = models.ManyToManyField(DisposalSite, blank=True, related_name="trucks")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["hauler", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hauler", "name"], name="truck_name_unique_per_hauler"),
            models.CheckConstraint(condition=Q(capacity_per_trip__gte=1), name="truck_capacity_positive"),
            models.CheckConstraint(condition=Q(stops_per_shift__gte=1), name="truck_stops_positive"),
            models.CheckConstraint(condition=Q(shift_end__gt=F("shift_start")), name="truck_shift_ordered"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def serves(self, container: str) -> bool:
        return container in self.containers


class DriverAssignment(models.Model):
    """Who drives a truck on a day: a member of the truck's hauler."""

    truck = models.ForeignKey(Truck, on_delete=models.CASCADE, related_name="assignments")
    day = models.DateField()
    driver = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="assignments")

    class Meta:
        ordering = ["day", "truck"]
        constraints = [
            models.UniqueConstraint(fields=["truck", "day"], name="one_driver_per_truck_day"),
            models.UniqueConstraint(fields=["driver", "day"], name="one_truck_per_driver_day"),
        ]

    def __str__(self):
        return f"{self.driver.email} drives {self.truck.name} on {self.day}"
