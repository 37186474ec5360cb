"""What both sides' case APIs share: a case and its thread as JSON, its evidence, and the message form."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace import cases
from marketplace.api.common import EnumField
from marketplace.models import Case, CaseMessage, Pickup


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, default="", allow_blank=True, max_length=cases.MAX_BODY)
    photo = serializers.FileField(
        required=False, default=None, allow_empty_file=True, help_text="A JPEG or PNG of at most 10 MB."
    )


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    side = EnumField(CaseMessage.Side, name="CaseSideEnum", help_text="Who said it: business, hauler, staff, system.")
    body = serializers.CharField(allow_blank=True)
    photo_url = serializers.SerializerMethodField(help_text="The photo (signed-in pages), or null.")
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_photo_url(self, message):
        return reverse("case_photo", args=[message.case_id, message.pk]) if message.photo else None


class CaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = EnumField(Case.Kind, name="CaseKindEnum")
    problem = serializers.CharField(allow_blank=True, help_text="What went wrong (a value of CaseProblemEnum).")
    status = EnumField(Case.Status, name="CaseStatusEnum")
    pickup = serializers.IntegerField(source="pickup_id", allow_null=True)
    service_date = serializers.DateField(source="pickup.service_date", allow_null=True, default=None)
    description = serializers.CharField(allow_blank=True)
    respond_by = serializers.DateTimeField(help_text="When HaulMatch staff settle it by.")
    hauler_answered_at = serializers.DateTimeField(allow_null=True)
    make_up = serializers.IntegerField(source="make_up_id", allow_null=True, help_text="The make-up visit, if any.")
    make_up_date = serializers.DateField(source="make_up.service_date", allow_null=True, default=None)
    refund_cents = serializers.IntegerField()
    credit_cents = serializers.IntegerField()
    resolution_note = serializers.CharField(allow_blank=True)
    claim_overturned = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class StepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    status = EnumField(Pickup.Status, name="CaseStepStatusEnum", source="to_status")
    reason = serializers.CharField(allow_blank=True)


class EvidenceSerializer(serializers.Serializer):
    window_start = serializers.DateTimeField(allow_null=True, help_text="The promised arrival window.")
    window_end = serializers.DateTimeField(allow_null=True)
    planned_arrival_start = serializers.DateTimeField(allow_null=True)
    planned_arrival_end = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    serviced_at = serializers.DateTimeField(allow_null=True, help_text="When the hauler's proof says it was done.")
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    proof_photo_url = serializers.CharField(allow_null=True)
    timeline = StepSerializer(many=True)


class CaseDetailSerializer(CaseSerializer):
    evidence = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()

    @extend_schema_field(EvidenceSerializer(allow_null=True))
    def get_evidence(self, case):
        found = self.context["evidence"]
        if found.pickup is None:
            return None
        window = found.window or (None, None)
        planned = found.planned_arrival or (None, None)
        return EvidenceSerializer(
            {
                "window_start": window[0],
                "window_end": window[1],
                "planned_arrival_start": planned[0],
                "planned_arrival_end": planned[1],
                "completed_at": found.completed_at,
                "serviced_at": found.proof.serviced_at if found.proof else None,
                "weight_kg": found.weight_kg,
                "proof_photo_url": reverse("case_proof_photo", args=[case.pk]) if found.has_proof_photo else None,
                "timeline": found.timeline,
            }
        ).data

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, case):
        return MessageSerializer(self.context["evidence"].messages, many=True).data


def detail(case: Case) -> dict:
    """A case with its evidence and thread, read fresh."""
    return CaseDetailSerializer(case, context={"evidence": cases.evidence(case=case)}).data
