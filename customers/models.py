"""Businesses that book pickups, their people, and the addresses they are served at."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from core.models import MembershipBase
from core.permissions import rule

zip_code_format = RegexValidator(r"^\d{5}$", "Enter a 5-digit ZIP code.")


class USState(models.TextChoices):
    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    PR = "PR", "Puerto Rico"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"


class Customer(models.Model):
    """A business that books pickups."""

    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    billing_email = models.EmailField(blank=True)
    contact_name = models.CharField("pickup contact", max_length=150, blank=True, help_text="Who haulers call on site.")
    contact_phone = models.CharField("pickup contact phone", max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class BusinessRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    MEMBER = "member", "Member"


BUSINESS_ROLE_DESCRIPTIONS = {
    BusinessRole.OWNER: "Everything a manager can do, and makes or removes owners.",
    BusinessRole.MANAGER: "Runs the account: the card and billing, the business's details, its locations and its team.",
    BusinessRole.MEMBER: "Books pickups and sees the schedule, proof of service and invoices.",
}

_ANYONE = (BusinessRole.OWNER, BusinessRole.MANAGER, BusinessRole.MEMBER)
_MANAGERS = (BusinessRole.OWNER, BusinessRole.MANAGER)


class Membership(MembershipBase):
    # Who may do what at a business; core.permissions.require() reads it, the services call that.
    PERMISSIONS = {
        "see": rule(*_ANYONE, what="see the business's pickups and invoices"),
        "book": rule(*_ANYONE, what="book, move or cancel pickups"),
        "billing": rule(*_MANAGERS, what="replace the card or change billing"),
        "company": rule(*_MANAGERS, what="change the business's details"),
        "sites": rule(*_MANAGERS, what="add, change or archive locations and their sensors"),
        "team": rule(*_MANAGERS, what="invite people, remove them or change their roles"),
        "integrations": rule(*_MANAGERS, what="set up webhooks and integrations"),
        "ownership": rule(BusinessRole.OWNER, what="make someone an owner or remove an owner"),
    }

    role = models.CharField(max_length=10, choices=BusinessRole.choices, default=BusinessRole.MEMBER)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="memberships")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="customer_membership",
        help_text="Empty while the invitation is pending. A user belongs to at most one business.",
    )

    class Meta:
        ordering = ["customer", "email"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="customer_membership_unique_email"),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "manager", "member"]), name="customer_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_role_display()}) at {self.customer}"


class ServiceLocation(models.Model):
    """An address a business is served at. Coordinates and timezone come from its ZIP."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=120, help_text="What the business calls it, e.g. 'Main St store'.")
    street = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2, choices=USState.choices)
    zip_code = models.CharField("ZIP code", max_length=5, validators=[zip_code_format], db_index=True)
    latitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.DecimalField(
        max_digits=9, decimal_places=6, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    timezone = models.CharField(max_length=64)
    access_notes = models.TextField(blank=True, help_text="Gate codes, where the bins are, when to avoid.")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(zip_code__regex=r"^[0-9]{5}$"), name="location_zip_five_digits"),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="location_coordinates_in_range",
            ),
        ]

    def __str__(self):
        return f"{self.name}, {self.street}, {self.city} {self.state} {self.zip_code}"
