from rest_framework import serializers

from governance.models import (
    ChecklistAnswer,
    GateDecision,
    GateReview,
)
from initiatives.models import Initiative, Role, Stage
from opmodel.api import StrictSerializer
from opmodel.fields import max_length_of


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A choice the row may leave blank: sent as null, which the schema types as nullable, never as ""."""

    def to_representation(self, value):
        return super().to_representation(value) or None


class DecisionChecklistAnswerSerializer(serializers.Serializer):
    """One checklist answer as it stood when the decision was taken (ChecklistAnswer.as_record)."""

    question = serializers.CharField()
    audience = serializers.CharField()
    answer = serializers.ChoiceField(choices=ChecklistAnswer.Answer.choices)
    note = serializers.CharField(allow_blank=True)
    answered_by = serializers.CharField(help_text="The answerer's name.")
    answered_at = serializers.DateTimeField()


class GateDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)
    role = BlankAsNullChoiceField(
        choices=Role.choices,
        allow_null=True,
        read_only=True,
        help_text="The required role this approval fills; null when it fills none (a hold, a leader's decision).",
    )
    # Declared so the schema admits the blank value a non-recycle decision has.
    recycle_to = serializers.ChoiceField(choices=Stage.choices, allow_blank=True, read_only=True)
    checklist = DecisionChecklistAnswerSerializer(many=True, read_only=True)

    class Meta:
        model = GateDecision
        fields = [
            "id",
            "decision",
            "decided_by",
            "role",
            "comment",
            "recycle_to",
            "is_stale",
            "decided_at",
            "checklist",
        ]
        read_only_fields = fields


class DecisionInputSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=GateDecision.Kind.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length_of(GateDecision, "comment")
    )
    recycle_to = serializers.ChoiceField(
        choices=Stage.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="For recycle: the earlier stage to go back to (default: the previous stage).",
    )


class GateReviewSerializer(serializers.ModelSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    policy_version = serializers.IntegerField(source="policy.version", read_only=True)
    approver_slots = serializers.JSONField(source="policy.approver_slots", read_only=True)
    decisions = GateDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = GateReview
        fields = [
            "id",
            "initiative",
            "gate",
            "from_stage",
            "to_stage",
            "status",
            "requested_by",
            "requested_at",
            "override_reason",
            "policy_version",
            "approver_slots",
            "criteria_results",
            "snapshot_hash",
            "decisions",
            "closed_at",
        ]
        read_only_fields = fields


class GateReviewRequestSerializer(StrictSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", queryset=Initiative.objects.all())
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=max_length_of(GateReview, "override_reason"),
        help_text="Required when a criterion is not met; shown to approvers.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["initiative"].queryset = Initiative.objects.visible_to(user)
