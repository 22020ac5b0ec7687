"""The register API's serializers: an item as read, and the fields a steward writes."""

from rest_framework import serializers

from governance.models import Asset, DataSource, ShadowAiUse
from initiatives.models import Initiative
from opmodel.api import StrictModelSerializer


class ShadowAiUseSerializer(serializers.ModelSerializer):
    initiative = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    initiative_title = serializers.CharField(source="initiative.title", read_only=True, default=None, allow_null=True)
    asset = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    # Declared so the schema admits the blank value of an item whose data is not classified yet.
    classification = serializers.ChoiceField(
        choices=DataSource.Classification.choices, allow_blank=True, read_only=True
    )

    users_moved = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=(
            "Of `people`, how many the replacing initiative's weekly-active-users KPI shows moved: its newest "
            "point × people ÷ 100 when in % (rounded down), else that count, at most `people`; null without a "
            "sanctioned initiative or a point of that KPI."
        ),
    )

    class Meta:
        model = ShadowAiUse
        fields = [
            "id",
            *ShadowAiUse.EDITABLE_FIELDS,
            "status",
            "initiative",
            "initiative_title",
            "asset",
            "users_moved",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ShadowAiUseInputSerializer(StrictModelSerializer):
    """What record_shadow_use and update_shadow_use take; the item's rules are checked there, once."""

    initiative = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Initiative.objects.none(),
        required=False,
        allow_null=True,
        help_text="The slug of the initiative that replaces this use (one you can see).",
    )
    asset = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Asset.objects.all(),
        required=False,
        allow_null=True,
        help_text="The slug of the library asset that replaces this use.",
    )

    class Meta:
        model = ShadowAiUse
        fields = [*ShadowAiUse.EDITABLE_FIELDS, *ShadowAiUse.TRIAGE_FIELDS]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["initiative"].queryset = Initiative.objects.visible_to(request.user)
        return fields
