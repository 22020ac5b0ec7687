from rest_framework import serializers

from governance.models import (
    Asset,
    AssetLabel,
    AssetUsage,
    AssetVersion,
    ChecklistAnswer,
    GateDecision,
    GateReview,
    LabelMoveRequest,
)
from initiatives.models import Initiative, Role, Stage
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


class AssetLabelSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    moved_by = serializers.CharField(source="moved_by.username", read_only=True)

    class Meta:
        model = AssetLabel
        fields = ["name", "version", "moved_by", "moved_at"]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None, allow_null=True)
    source_initiative = serializers.SerializerMethodField(
        help_text="The initiative it was published from; null when you may not see that initiative."
    )
    latest_version = serializers.IntegerField(read_only=True, allow_null=True, help_text="The newest version number.")
    labels = AssetLabelSerializer(many=True, read_only=True)

    class Meta:
        model = Asset
        fields = [
            "slug",
            "name",
            "type",
            "description",
            "tags",
            "owner",
            "owner_team",
            "source_initiative",
            "latest_version",
            "labels",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_source_initiative(self, asset) -> str | None:
        source = asset.revealed_source()  # the asset pages apply the same rule (Asset.objects.with_source_for)
        return source.slug if source else None


class AssetCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=Asset.Type.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    owner_team = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    content = serializers.CharField(trim_whitespace=False, help_text="The first version, in the format of its type.")
    changelog = serializers.CharField(required=False, default="Initial version.", max_length=5000)


class AssetUpdateSerializer(StrictModelSerializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)

    class Meta:
        model = Asset
        fields = Asset.EDITABLE_FIELDS


class AssetVersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = AssetVersion
        fields = ["number", "content", "changelog", "checksum", "author", "created_at"]
        read_only_fields = fields


class AssetVersionCreateSerializer(StrictModelSerializer):
    class Meta:
        model = AssetVersion
        fields = AssetVersion.EDITABLE_FIELDS
        extra_kwargs = {
            "content": {"trim_whitespace": False},
            "changelog": {"default": "", "help_text": "What changed (required)."},
        }


class LabelMoveInputSerializer(StrictSerializer):
    name = serializers.CharField(max_length=40, help_text="e.g. recommended or deprecated.")
    version = serializers.IntegerField(min_value=1, help_text="The version number the label points at.")


class LabelMoveRequestSerializer(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = LabelMoveRequest
        fields = [
            "id",
            "asset",
            "name",
            "version",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "comment",
        ]
        read_only_fields = fields


class LabelDecisionSerializer(StrictSerializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class AssetUsageSerializer(serializers.ModelSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    initiative_title = serializers.CharField(source="initiative.title", read_only=True)
    asset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    adopted_by = serializers.CharField(source="adopted_by.username", read_only=True)

    class Meta:
        model = AssetUsage
        fields = ["initiative", "initiative_title", "asset", "version", "adopted_by", "adopted_at"]
        read_only_fields = fields


class AdoptAssetSerializer(StrictSerializer):
    asset = serializers.SlugRelatedField(slug_field="slug", queryset=Asset.objects.all())
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, default=None, help_text="Defaults to the latest version."
    )
