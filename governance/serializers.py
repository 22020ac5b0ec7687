from rest_framework import serializers

from governance.models import GateDecision, GateReview
from initiatives.models import Initiative, Stage


class GateDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)

    class Meta:
        model = GateDecision
        fields = ["id", "decision", "decided_by", "role", "comment", "recycle_to", "is_stale", "decided_at"]
        read_only_fields = fields


class DecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=GateDecision.Kind.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
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


class GateReviewRequestSerializer(serializers.Serializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", queryset=Initiative.objects.all())
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Required when a criterion is not met; shown to approvers.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["initiative"].queryset = Initiative.objects.visible_to(user)
