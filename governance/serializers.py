from rest_framework import serializers

from governance.models import (
    Asset,
    AssetLabel,
    AssetUsage,
    AssetVersion,
    GateDecision,
    GateReview,
    LabelMoveRequest,
)
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


class AssetLabelSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    moved_by = serializers.CharField(source="moved_by.username", read_only=True)

    class Meta:
        model = AssetLabel
        fields = ["name", "version", "moved_by", "moved_at"]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    source_initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True)
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


class AssetCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=Asset.Type.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    owner_team = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    content = serializers.CharField(trim_whitespace=False, help_text="The first version, in the format of its type.")
    changelog = serializers.CharField(required=False, default="Initial version.", max_length=5000)


class AssetUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    owner_team = serializers.CharField(required=False, allow_blank=True, max_length=100)


class AssetVersionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = AssetVersion
        fields = ["number", "content", "changelog", "checksum", "author", "created_at"]
        read_only_fields = fields


class AssetVersionCreateSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=False)
    changelog = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="What changed (required)."
    )


class LabelMoveInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=40, help_text="e.g. recommended or deprecated.")
    version = serializers.IntegerField(min_value=1, help_text="The version number the label points at.")


class LabelMoveRequestSerializer(serializers.ModelSerializer):
    asset = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

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


class LabelDecisionSerializer(serializers.Serializer):
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


class AdoptAssetSerializer(serializers.Serializer):
    asset = serializers.SlugRelatedField(slug_field="slug", queryset=Asset.objects.all())
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, default=None, help_text="Defaults to the latest version."
    )
