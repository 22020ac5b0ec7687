"""The foundation's API shapes: controls by layer, data sources, risk tier, checklist questions and answers."""

from rest_framework import serializers

from governance.models import ChecklistAnswer, DataSource, InitiativeControl, Layer
from initiatives.models import Initiative
from initiatives.serializers import UsernameField
from opmodel.api import StrictModelSerializer, StrictSerializer
from opmodel.fields import max_length_of


class ControlMeasureSerializer(serializers.Serializer):
    """The KPI that shows a control working on this initiative, with its newest point."""

    kpi = serializers.CharField(source="key", read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    latest_value = serializers.FloatField(read_only=True, allow_null=True)
    latest_at = serializers.DateTimeField(read_only=True, allow_null=True)


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
    measured_by = serializers.CharField(
        source="control.measured_by",
        read_only=True,
        help_text="The suffix of the KPI key that shows this control working; blank when none.",
    )
    measure = ControlMeasureSerializer(
        read_only=True, allow_null=True, help_text="That KPI on this initiative; null when it does not track it."
    )


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
    reason = serializers.CharField(
        max_length=max_length_of(Initiative, "risk_floor_reason"), help_text="Why the tier goes up; approvers read it."
    )


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
        required=False,
        allow_blank=True,
        default="",
        max_length=max_length_of(ChecklistAnswer, "note"),
        help_text="Required when the answer is no.",
    )
