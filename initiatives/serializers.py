from django.contrib.auth import get_user_model
from rest_framework import serializers

from governance.criteria import CriterionResult
from initiatives.models import Charter, Initiative, Role, RoleAssignment


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        super().__init__(**kwargs)


class InitiativeSerializer(serializers.ModelSerializer):
    slug = serializers.SlugField(max_length=80, required=False, help_text="Made from the title when omitted.")
    owner = serializers.CharField(source="charter.owner.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Initiative
        fields = [
            "slug",
            "title",
            "business_unit",
            "risk_tier",
            "stage",
            "status",
            "started_on",
            "stage_entered_at",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage", "status", "stage_entered_at", "created_at", "updated_at"]
        extra_kwargs = {"started_on": {"required": False, "help_text": "Defaults to today."}}


class InitiativeUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Initiative
        fields = ["title", "business_unit", "risk_tier", "started_on"]


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "fail", "unavailable"])
    reason = serializers.CharField()

    def to_representation(self, instance):
        return instance.as_dict() if isinstance(instance, CriterionResult) else instance


class InitiativeDetailSerializer(InitiativeSerializer):
    next_gate = serializers.SerializerMethodField()
    gate_criteria = serializers.SerializerMethodField()

    class Meta(InitiativeSerializer.Meta):
        fields = InitiativeSerializer.Meta.fields + ["next_gate", "gate_criteria"]

    def get_next_gate(self, initiative) -> str | None:
        from governance.services import gate_for

        gate = gate_for(initiative)
        return gate.value if gate else None

    @staticmethod
    def _criteria(initiative):
        from governance.services import criteria_for

        return criteria_for(initiative)

    def get_gate_criteria(self, initiative) -> list[dict]:
        return [r.as_dict() for r in self._criteria(initiative)]


class CharterSerializer(serializers.ModelSerializer):
    owner = UsernameField(required=False, allow_null=True)
    is_complete = serializers.BooleanField(read_only=True)
    missing_fields = serializers.SerializerMethodField()

    class Meta:
        model = Charter
        fields = [
            "problem_user",
            "problem_task",
            "expected_business_result",
            "constraints",
            "outcome_statement",
            "owner",
            "target_users",
            "guardrails",
            "expected_impact",
            "scope",
            "outcome_supported",
            "data_dependencies",
            "control_needed",
            "reuse_plan",
            "plan_start_on",
            "scorecard_due_on",
            "foundation_due_on",
            "launch_due_on",
            "cost_per_1000_inferences",
            "expected_monthly_volume",
            "is_complete",
            "missing_fields",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]

    def get_missing_fields(self, charter) -> list[str]:
        return [str(f) for f in charter.missing_fields() + charter.missing_pilot_theater_answers()]


class RoleAssignmentSerializer(serializers.ModelSerializer):
    user = UsernameField()
    role = serializers.ChoiceField(choices=Role.choices)
    is_accountable = serializers.BooleanField(read_only=True)
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "user", "is_accountable", "assigned_by", "assigned_at", "accepted_at"]
        read_only_fields = ["id", "assigned_at", "accepted_at"]
