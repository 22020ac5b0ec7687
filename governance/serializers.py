from rest_framework import serializers

from governance.models import (
    ChecklistAnswer,
    DataSource,
    GateDecision,
    GateReview,
    InitiativeControl,
    Layer,
)
from initiatives.models import Initiative, Role, Stage
from initiatives.serializers import UsernameField
from opmodel.api import StrictModelSerializer, StrictSerializer


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


class GateReviewRequestSerializer(StrictSerializer):
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


class ControlStatusSerializer(serializers.Serializer):
    """One catalogue control with this initiative's status (a `foundation.ControlRow`)."""

    key = serializers.CharField(source="control.key", read_only=True)
    name = serializers.CharField(source="control.name", read_only=True)
    description = serializers.CharField(source="control.description", read_only=True)
    owner_role = serializers.CharField(source="control.owner_role", read_only=True)
    status = serializers.ChoiceField(choices=InitiativeControl.Status.choices, read_only=True)
    evidence = serializers.CharField(read_only=True)
    waiver_reason = serializers.CharField(read_only=True)
    updated_by = serializers.CharField(source="updated_by.username", read_only=True, default=None, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ControlLayerSerializer(serializers.Serializer):
    layer = serializers.ChoiceField(choices=Layer.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    owner_role = serializers.CharField(read_only=True, help_text="The role that owns this layer's controls.")
    controls = ControlStatusSerializer(many=True, read_only=True)


class ControlInputSerializer(StrictModelSerializer):
    class Meta:
        model = InitiativeControl
        fields = InitiativeControl.EDITABLE_FIELDS
        extra_kwargs = {
            "status": {"required": True},
            "evidence": {"help_text": "Required when in place."},
            "waiver_reason": {"help_text": "Required when waived."},
        }


class DataSourceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True, default=None, allow_null=True)
    # Declared so the schema admits the blank value of a source not classified yet.
    classification = serializers.ChoiceField(
        choices=DataSource.Classification.choices, allow_blank=True, read_only=True
    )
    gaps = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What is missing for the foundation-ready gate."
    )

    class Meta:
        model = DataSource
        fields = ["id", *DataSource.EDITABLE_FIELDS, "gaps", "updated_at"]
        read_only_fields = fields


class DataSourceInputSerializer(StrictModelSerializer):
    owner = UsernameField(
        required=False, allow_null=True, help_text="Username of the person accountable for the source."
    )

    class Meta:
        model = DataSource
        fields = DataSource.EDITABLE_FIELDS
        # A taken name is refused by the model's own check (save_data_source runs full_clean), so the API
        # says it in the same words as the page.
        extra_kwargs = {"name": {"validators": []}}


class RiskSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Initiative.RiskTier.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    computed_tier = serializers.ChoiceField(
        choices=Initiative.RiskTier.choices, read_only=True, help_text="What the charter and data sources call for."
    )
    computed_reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    floor = serializers.CharField(read_only=True, help_text="The tier a risk owner set; the tier never goes below it.")
    floor_reason = serializers.CharField(read_only=True)


class RiskRaiseSerializer(StrictSerializer):
    tier = serializers.ChoiceField(choices=Initiative.RiskTier.choices)
    reason = serializers.CharField(max_length=5000, help_text="Why the tier goes up; approvers read it.")


class ChecklistReferencesSerializer(serializers.Serializer):
    eu_ai_act = serializers.CharField(read_only=True)
    nist_ai_rmf = serializers.CharField(read_only=True)
    iso_iec_42001 = serializers.CharField(read_only=True)


class ChecklistQuestionSerializer(serializers.Serializer):
    item = serializers.IntegerField(read_only=True)
    audience = serializers.CharField(read_only=True)
    question = serializers.CharField(read_only=True)
    references = ChecklistReferencesSerializer(read_only=True)
    answer = serializers.ChoiceField(choices=ChecklistAnswer.Answer.choices, read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)
    answered_by = serializers.CharField(read_only=True, allow_null=True)
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ChecklistAnswerInputSerializer(StrictSerializer):
    item = serializers.IntegerField(min_value=1, help_text="The id of a question of this review's gate.")
    answer = serializers.ChoiceField(choices=ChecklistAnswer.Answer.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="Required when the answer is no."
    )
