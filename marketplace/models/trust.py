"""Trust: a business's rating of a visit, and cases (a problem report or a card dispute) with their messages."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from marketplace.models.pickups import Pickup


class Rating(models.Model):
    """The business's verdict on one completed visit: 1 to 5 stars and what stood out. A second rating of the
    same visit replaces the first."""

    class Tag(models.TextChoices):
        ON_TIME = "on_time", "On time"
        LATE = "late", "Late"
        MESS_LEFT = "mess_left", "Mess left behind"
        BIN_NOT_RETURNED = "bin_not_returned", "Bin not put back"
        ACCESS_CLAIM_WRONG = "access_claim_wrong", "Said access was blocked when it was not"
        GREAT = "great", "Great service"

    pickup = models.OneToOneField(Pickup, on_delete=models.CASCADE, related_name="rating")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="ratings")
    hauler = models.ForeignKey("haulers.Hauler", on_delete=models.CASCADE, related_name="ratings")
    stars = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    tags = models.JSONField(default=list, blank=True, help_text="Values of Rating.Tag.")
    comment = models.CharField(max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["hauler", "updated_at"], name="rating_hauler_recent")]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_stars_1_to_5")]

    def __str__(self):
        return f"{self.stars}★ for pickup {self.pickup_id}"


class Case(models.Model):
    """A problem a business reported on a visit, or a card dispute Stripe opened on a payment: the evidence both
    sides add, and how staff settled it (a make-up visit, a credit, a refund, or a reasoned rejection)."""

    class Kind(models.TextChoices):
        PROBLEM = "problem", "Problem report"
        DISPUTE = "dispute", "Card dispute"

    class Problem(models.TextChoices):
        MISSED = "missed", "The pickup was missed"
        NOT_EMPTIED = "not_emptied", "The container was not fully emptied"
        DAMAGE = "damage", "Something was damaged"
        WRONG_CHARGE = "wrong_charge", "The charge is wrong"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"
        WON = "won", "Dispute won"
        LOST = "lost", "Dispute lost"

    TRANSITIONS = {
        Status.OPEN: {Status.RESOLVED, Status.REJECTED, Status.WON, Status.LOST},
        # Stripe can reverse its own decision on a dispute; a settled problem report stays settled
        Status.WON: {Status.LOST},
        Status.LOST: {Status.WON},
        Status.RESOLVED: set(),
        Status.REJECTED: set(),
    }

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROBLEM)
    problem = models.CharField(max_length=20, choices=Problem.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="cases")
    pickup = models.ForeignKey(Pickup, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    hauler = models.ForeignKey("haulers.Hauler", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    payment = models.ForeignKey("billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    dispute = models.OneToOneField(
        "billing.Dispute", null=True, blank=True, on_delete=models.PROTECT, related_name="case"
    )
    description = models.TextField(blank=True)
    respond_by = models.DateTimeField(help_text="The service-level deadline for settling it (for a dispute: Stripe's).")
    hauler_answered_at = models.DateTimeField(null=True, blank=True)
    # how it was settled (any of these together, e.g. a make-up visit and a partial refund)
    make_up = models.OneToOneField(
        Pickup, null=True, blank=True, on_delete=models.SET_NULL, related_name="made_up_case"
    )
    refund_cents = models.PositiveIntegerField(default=0)
    credit_cents = models.PositiveIntegerField(default=0)
    resolution_note = models.TextField(blank=True)
    # The terms staff chose, claimed before any part is carried out: a second settlement with other terms (or a
    # rejection) at the same moment is refused instead of doing its parts beside the first's.
    settling = models.JSONField(null=True, blank=True, editable=False)
    claim_overturned = models.BooleanField(
        default=False, help_text="The hauler said it could not service the visit, and the evidence says it could."
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["respond_by", "id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="case_customer_recent"),
            models.Index(fields=["respond_by"], condition=Q(status="open"), name="case_open_by_deadline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "resolved", "rejected", "won", "lost"]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(kind="problem") & ~Q(problem="") & Q(pickup__isnull=False))
                | (Q(kind="dispute") & Q(dispute__isnull=False)),
                name="case_problem_on_a_visit_or_a_dispute",
            ),
            # one open report of a kind of problem per visit: a second report adds to the first
            models.UniqueConstraint(
                fields=["pickup", "problem"], condition=Q(status="open", kind="problem"), name="case_one_open_problem"
            ),
        ]

    def __str__(self):
        return f"Case {self.pk}: {self.get_problem_display() if self.problem else self.get_kind_display()}"


def case_upload_path(message, filename: str) -> str:
    return f"cases/{message.case_id}/{filename}"


class CaseMessage(models.Model):
    """What one side said or showed in a case: the business's report, the hauler's answer, staff's notes."""

    class Side(models.TextChoices):
        BUSINESS = "business", "Business"
        HAULER = "hauler", "Hauler"
        STAFF = "staff", "HaulMatch staff"
        SYSTEM = "system", "HaulMatch"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    photo = models.FileField(upload_to=case_upload_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_side_display()} on case {self.case_id}"
