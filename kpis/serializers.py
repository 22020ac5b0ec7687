from rest_framework import serializers

from governance.criteria import STATUS_CHOICES
from governance.models import Gate
from initiatives.models import Initiative, Role, Stage
from initiatives.serializers import UsernameField
from kpis import telemetry
from kpis.models import KEY_VALIDATOR, AfterActionReview, Kpi, Scorecard
from kpis.scorecards import FLAG_LABELS, present
from opmodel.api import StrictModelSerializer


class KpiSerializer(StrictModelSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", queryset=Initiative.objects.all())
    driver = serializers.CharField(source="driver.name", help_text="Operational driver; created when new.")
    owner = UsernameField(required=False, allow_null=True)

    class Meta:
        model = Kpi
        fields = [*Kpi.CREATE_ONLY_FIELDS, "initiative", *Kpi.EDITABLE_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        # A taken key is refused by the model's own check (kpis.services runs full_clean), so the API
        # says it in the same words as the page.
        extra_kwargs = {"key": {"validators": [KEY_VALIDATOR]}}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["initiative"].queryset = Initiative.objects.visible_to(user)


class KpiUpdateSerializer(KpiSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True)  # a KPI never moves

    class Meta(KpiSerializer.Meta):
        read_only_fields = [*Kpi.CREATE_ONLY_FIELDS, "initiative", "updated_at"]


class MeasurementSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField()
    value = serializers.FloatField()
    source = serializers.CharField()


class MeasurementQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text="Inclusive, ISO 8601 with offset.")
    until = serializers.DateTimeField(required=False, help_text="Exclusive, ISO 8601 with offset.")
    source = serializers.CharField(required=False, max_length=100)

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


class MeasurementItemSerializer(serializers.Serializer):
    """Documents one item of an ingest batch; the batch itself is validated in plain Python."""

    kpi = serializers.CharField(help_text="The KPI key, e.g. support-triage.handle-time.")
    timestamp = serializers.DateTimeField(help_text="ISO 8601 with a UTC offset; at most one day ahead.")
    value = serializers.FloatField(help_text="A finite number.")
    source = serializers.CharField(required=False, max_length=100, default="api")


class MeasurementBatchSerializer(serializers.Serializer):
    measurements = MeasurementItemSerializer(many=True, help_text="1 to 10,000 items.")


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class ScorecardKpiSerializer(serializers.Serializer):
    """One KPI row of a scorecard: its stored figures, with its name and the reason for its status."""

    kpi = serializers.IntegerField(help_text="The KPI's id.")
    key = serializers.CharField()
    name = serializers.CharField(help_text="The KPI's name now (its key, if it was removed since).")
    unit = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=Kpi.Kind.choices, allow_blank=True, help_text="Blank if removed since.")
    direction = serializers.ChoiceField(choices=Kpi.Direction.choices, allow_blank=True)
    position = serializers.IntegerField(help_text="Order in the outcome tree.")
    status = serializers.ChoiceField(choices=Scorecard.Health.choices)
    stale = serializers.BooleanField(help_text="No point for two periods of the KPI's cadence.")
    latest_value = serializers.FloatField(allow_null=True)
    latest_at = serializers.DateTimeField(allow_null=True)
    progress = serializers.FloatField(allow_null=True, help_text="Percent of the way from baseline to target.")
    expected = serializers.FloatField(allow_null=True, help_text="Percent of the time to the target date passed.")
    baseline_value = serializers.FloatField(allow_null=True)
    target_value = serializers.FloatField(allow_null=True)
    guardrail_bound = serializers.FloatField(allow_null=True)
    cohort = serializers.ChoiceField(
        choices=Kpi.Cohort.choices, allow_blank=True, help_text="The adoption cohort it counts, if any."
    )
    reason = serializers.CharField(allow_blank=True, help_text="Why the KPI has its status, in words.")


class ScorecardCohortSerializer(serializers.Serializer):
    """One cohort of the adoption mix: its share of the target cohort, from the snapshot's KPI rows."""

    cohort = serializers.ChoiceField(choices=Kpi.Cohort.choices)
    label = serializers.CharField()
    share = serializers.FloatField(allow_null=True, help_text="% of the target cohort; null before a first point.")


class ScorecardFlagSerializer(serializers.Serializer):
    """One of the framework's failure modes; the figures behind it depend on its code."""

    code = serializers.ChoiceField(choices=list(FLAG_LABELS.items()))
    label = serializers.CharField()
    reason = serializers.CharField()
    days = serializers.IntegerField(
        required=False, help_text="pilot-theater: days since start; approval-overdue: days past due."
    )
    since_launch = serializers.IntegerField(required=False, help_text="pilot-theater: 1 when no data since launch.")
    kpis = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="stale-data: the stale KPIs' ids."
    )
    gate = serializers.ChoiceField(choices=Gate.choices, required=False, help_text="approval-overdue: the gate.")
    kpi = serializers.IntegerField(required=False, help_text="cost-rising, drift-rising: the steepest KPI's id.")
    rise = serializers.IntegerField(
        required=False, help_text="cost-rising, drift-rising: the fitted rise over its last points, in % of their mean."
    )
    points = serializers.IntegerField(required=False, help_text="cost-rising, drift-rising: the points fitted.")


LEVELS = [(telemetry.STRONG, "Strong"), (telemetry.WEAK, "Weak"), (telemetry.UNKNOWN, "Unknown")]
COST_LEVELS = [(telemetry.RISING, "Rising"), (telemetry.STEADY, "Steady"), (telemetry.UNKNOWN, "Unknown")]


class ScorecardTelemetrySerializer(serializers.Serializer):
    """The figures behind the diagnosis (README.md, "Telemetry and diagnosis")."""

    platform = serializers.ChoiceField(
        choices=LEVELS, help_text="Latency, failure rate and guardrail trigger rate: all green, any amber or red, none."
    )
    adoption = serializers.ChoiceField(choices=LEVELS, help_text="The Adoption KPIs, read the same way.")
    cost = serializers.ChoiceField(choices=COST_LEVELS, help_text="The steepest cost-per-request trend.")
    platform_kpis = serializers.ListField(child=serializers.IntegerField(), help_text="Platform KPIs with a status.")
    adoption_kpis = serializers.ListField(child=serializers.IntegerField(), help_text="Adoption KPIs with a status.")
    cost_kpi = serializers.IntegerField(allow_null=True, help_text="The cost KPI whose trend was read.")
    cost_points = serializers.IntegerField(allow_null=True, help_text="How many of its last points were fitted.")
    cost_rise = serializers.IntegerField(allow_null=True, help_text="When rising: the fitted rise, in % of the mean.")


class ScorecardCriterionSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The criterion's catalogue key.")
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUS_CHOICES)


class ScorecardSerializer(serializers.ModelSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    stage = serializers.ChoiceField(choices=Stage.choices, read_only=True)
    status = serializers.ChoiceField(choices=Initiative.Status.choices, read_only=True)
    next_gate = serializers.ChoiceField(choices=Gate.choices, allow_blank=True, read_only=True)
    missing_roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), read_only=True)
    flags = ScorecardFlagSerializer(many=True, read_only=True)
    kpis = ScorecardKpiSerializer(many=True, read_only=True)
    criteria = ScorecardCriterionSerializer(many=True, read_only=True, help_text="The next gate's criteria.")
    cohort_mix = ScorecardCohortSerializer(
        many=True,
        read_only=True,
        help_text="Adoption by cohort (power, occasional, non-adopters); empty when no KPI is marked with a cohort.",
    )
    cost_source = serializers.ChoiceField(
        choices=Scorecard.CostSource.choices,
        allow_blank=True,
        read_only=True,
        help_text="measured: the latest cost-per-request point (or cost per 1,000 inferences ÷ 1,000); "
        "charter: the charter's estimate; blank when unknown.",
    )
    diagnosis = serializers.ChoiceField(choices=Scorecard.Diagnosis.choices, read_only=True)
    diagnosis_label = serializers.CharField(source="get_diagnosis_display", read_only=True)
    diagnosis_reasons = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Platform health, adoption and cost, in words."
    )
    telemetry = ScorecardTelemetrySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Scorecard
        fields = [
            "initiative",
            "computed_at",
            "stage",
            "status",
            "health",
            "confidence",
            "next_gate",
            "readiness_met",
            "readiness_total",
            "missing_roles",
            "flags",
            "time_saved_hours",
            "time_reallocated_hours",
            "modelled_value",
            "realised_value",
            "cost_per_transaction",
            "monthly_cost",
            "monthly_cost_at_2x",
            "cost_source",
            "diagnosis",
            "diagnosis_label",
            "diagnosis_reasons",
            "telemetry",
            "kpis",
            "criteria",
            "cohort_mix",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        # Snapshots store figures; the API shows them with their reasons and labels, as the pages do.
        return super().to_representation(present(instance))


class ScorecardQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="The scorecard as it stood at the end of this day (UTC).")


class AfterActionReviewSerializer(StrictModelSerializer):
    """The after-action review: written whole with PUT (kpis.services.save_after_action_review)."""

    kpis = serializers.SlugRelatedField(
        slug_field="key",
        many=True,
        queryset=Kpi.objects.none(),  # the initiative's own KPIs: see __init__
        help_text="Keys of the initiative's KPIs that show the result; at least one.",
    )
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = AfterActionReview
        fields = [*AfterActionReview.EDITABLE_FIELDS, "recorded_by", "updated_at"]
        read_only_fields = ["recorded_by", "updated_at"]

    def __init__(self, *args, initiative=None, **kwargs):
        super().__init__(*args, **kwargs)
        if initiative is not None:
            field = self.fields["kpis"].child_relation
            field.queryset = Kpi.objects.filter(initiative=initiative)
            field.error_messages["does_not_exist"] = "Not a KPI of this initiative: {value}."
