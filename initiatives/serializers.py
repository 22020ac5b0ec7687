from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from governance.criteria import CriterionResult, readiness
from governance.services import criteria_for, gate_for
from initiatives.forms import NOT_AN_ACTIVE_USER
from initiatives.models import Charter, Initiative, Role, RoleAssignment
from opmodel.api import StrictModelSerializer


class UsernameField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "username")
        kwargs.setdefault("queryset", get_user_model().objects.filter(is_active=True))
        kwargs.setdefault("error_messages", {"does_not_exist": NOT_AN_ACTIVE_USER})
        super().__init__(**kwargs)


class InitiativeSerializer(StrictModelSerializer):
    slug = serializers.SlugField(max_length=80, required=False, help_text="Made from the title when omitted.")
    owner = serializers.SerializerMethodField(help_text="The charter owner's username.")

    class Meta:
        model = Initiative
        fields = [
            "slug",
            *Initiative.EDITABLE_FIELDS,
            "stage",
            "status",
            "stage_entered_at",
            "owner",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage", "status", "stage_entered_at", "created_at", "updated_at"]
        extra_kwargs = {"started_on": {"required": False, "help_text": "Defaults to today."}}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, initiative) -> str | None:
        """Annotated on the rows of a list's page (InitiativeViewSet.page_rows), which load no charter and no
        user for it; read through the charter otherwise."""
        if hasattr(initiative, "owner_username"):
            return initiative.owner_username
        charter = getattr(initiative, "charter", None)
        return charter.owner.username if charter and charter.owner else None


class InitiativeUpdateSerializer(StrictModelSerializer):
    class Meta:
        model = Initiative
        fields = Initiative.EDITABLE_FIELDS


class CriterionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "fail", "unavailable"])
    reason = serializers.CharField()

    def to_representation(self, instance):
        return instance.as_dict() if isinstance(instance, CriterionResult) else instance


class ReadinessSerializer(serializers.Serializer):
    met = serializers.IntegerField(help_text="Criteria of the next gate that pass now.")
    total = serializers.IntegerField()
    evaluated_at = serializers.DateTimeField(help_text="When the criteria were evaluated: now, not a snapshot.")


class InitiativeDetailSerializer(InitiativeSerializer):
    next_gate = serializers.SerializerMethodField()
    gate_criteria = serializers.SerializerMethodField()
    gate_readiness = serializers.SerializerMethodField()

    class Meta(InitiativeSerializer.Meta):
        fields = InitiativeSerializer.Meta.fields + ["next_gate", "gate_criteria", "gate_readiness"]

    def get_next_gate(self, initiative) -> str | None:
        gate = gate_for(initiative)
        return gate.value if gate else None

    def _criteria(self, initiative):
        """The next gate's criteria evaluated now, once per response (readiness counts the same rows)."""
        if getattr(self, "_evaluated", (None,))[0] != initiative.pk:
            self._evaluated = (initiative.pk, criteria_for(initiative), timezone.now())
        return self._evaluated[1:]

    def get_gate_criteria(self, initiative) -> list[dict]:
        return [r.as_dict() for r in self._criteria(initiative)[0]]

    @extend_schema_field(ReadinessSerializer)
    def get_gate_readiness(self, initiative) -> dict:
        results, evaluated_at = self._criteria(initiative)
        return {**readiness(results), "evaluated_at": evaluated_at}


class CharterSerializer(StrictModelSerializer):
    owner = UsernameField(required=False, allow_null=True)
    is_complete = serializers.BooleanField(read_only=True)
    missing_fields = serializers.SerializerMethodField()

    class Meta:
        model = Charter
        fields = [*Charter.EDITABLE_FIELDS, "is_complete", "missing_fields", "updated_at"]
        read_only_fields = ["updated_at"]

    def get_missing_fields(self, charter) -> list[str]:
        return [str(f) for f in charter.missing_fields() + charter.missing_pilot_theater_answers()]


class RoleAssignmentSerializer(StrictModelSerializer):
    user = UsernameField()
    role = serializers.ChoiceField(choices=Role.choices)
    is_accountable = serializers.BooleanField(read_only=True)
    assigned_by = serializers.CharField(source="assigned_by.username", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", *RoleAssignment.EDITABLE_FIELDS, "is_accountable", "assigned_by", "assigned_at", "accepted_at"]
        read_only_fields = ["id", "assigned_at", "accepted_at"]
