"""The library API's serializers: assets, versions, labels, label-move requests and adoption."""

from rest_framework import serializers

from governance.models import Asset, AssetLabel, AssetUsage, AssetVersion, LabelMoveRequest
from initiatives.models import Initiative
from opmodel.api import StrictModelSerializer, StrictSerializer
from opmodel.fields import max_length_of


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
        fields = [*Asset.SHOWN_FIELDS, "latest_version", "labels"]
        read_only_fields = fields

    def get_source_initiative(self, asset) -> str | None:
        source = asset.revealed_source()  # the asset pages apply the same rule (Asset.objects.with_source_for)
        return source.slug if source else None


class AssetCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=Asset.Type.choices)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length_of(Asset, "description")
    )
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    owner_team = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    content = serializers.CharField(trim_whitespace=False, help_text="The first version, in the format of its type.")
    changelog = serializers.CharField(
        required=False, default="Initial version.", max_length=max_length_of(AssetVersion, "changelog")
    )


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
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=max_length_of(LabelMoveRequest, "comment")
    )


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


class ReuseReviewSerializer(StrictModelSerializer):
    """An initiative's reuse review: the date scheduled (read here; scheduled on the page) and, once held, its
    outcome, written whole with PUT (governance.library.services.record_reuse_review_outcome)."""

    reuse_review_on = serializers.DateField(read_only=True, allow_null=True, help_text="The date it is scheduled.")

    class Meta:
        model = Initiative
        fields = ["reuse_review_on", *Initiative.REUSE_REVIEW_OUTCOME_FIELDS]
        extra_kwargs = {
            "reuse_review_held_on": {"help_text": "The day it was held; today or earlier."},
            "reuse_review_adopting": {"help_text": "The adjacent teams adopting the workflow, or “none yet” and why."},
            "reuse_review_changes": {"help_text": "What they need changed, or “none”."},
        }
