"""REST API of the shadow-AI register: list, filter, record, read and change items, triage included."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from governance.models import ShadowAiUse
from governance.permissions import can_manage_shadow_ai
from governance.shadow import services as shadow
from governance.shadow.filters import ShadowAiFilter
from governance.shadow.panels import with_users_moved
from governance.shadow.serializers import ShadowAiUseInputSerializer, ShadowAiUseSerializer

# What PUT sets a field it is not given to: the item as a new one would be.
PUT_DEFAULTS = {
    "data_touched": "",
    "classification": "",
    "notes": "",
    "status": ShadowAiUse.Status.UNTRIAGED,
    "initiative": None,
    "asset": None,
}


@extend_schema(tags=["shadow-ai"])
@extend_schema_view(
    list=extend_schema(summary="List and filter the shadow-AI register"),
    retrieve=extend_schema(summary="Get a shadow-AI register item"),
)
class ShadowAiViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """Unsanctioned AI use, for its stewards: security/risk and enablement role holders and leaders (403 otherwise)."""

    serializer_class = ShadowAiUseSerializer
    filterset_class = ShadowAiFilter

    def _check_steward(self) -> None:
        # Here rather than in initial(), so a method the route does not take is a 405 for everyone.
        if not can_manage_shadow_ai(self.request.user):
            raise PermissionDenied(f"Only {can_manage_shadow_ai.who} may read or change the shadow-AI register.")

    def get_queryset(self):
        """Every read and change of an item starts here, so this is where the register refuses outsiders."""
        if getattr(self, "swagger_fake_view", False):
            return ShadowAiUse.objects.none()  # the schema is built without a user
        self._check_steward()
        items = ShadowAiUse.objects.select_related("initiative", "asset", "recorded_by").order_by("-updated_at", "-pk")
        return with_users_moved(items)

    def _read(self, item: ShadowAiUse, status_code=status.HTTP_200_OK) -> Response:
        return Response(ShadowAiUseSerializer(self.get_queryset().get(pk=item.pk)).data, status=status_code)

    @extend_schema(
        summary="Record unsanctioned AI use",
        request=ShadowAiUseInputSerializer,
        responses={201: ShadowAiUseSerializer},
        description='Status "sanctioned" (a sanctioned path exists) needs the initiative or library asset '
        "that replaces the use.",
    )
    def create(self, request):
        self._check_steward()  # before the body is read: an outsider learns nothing from a 400
        data = ShadowAiUseInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        item = shadow.record_shadow_use(acting_user=request.user, **data.validated_data)
        return self._read(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change or triage a shadow-AI register item",
        request=ShadowAiUseInputSerializer,
        responses=ShadowAiUseSerializer,
        description='Send only what changes. Status "sanctioned" needs the initiative or library asset that '
        "replaces the use, given now or already linked.",
    )
    def partial_update(self, request, pk=None):
        return self._write(request, partial=True)

    @extend_schema(
        summary="Replace a shadow-AI register item",
        request=ShadowAiUseInputSerializer,
        responses=ShadowAiUseSerializer,
        description="The whole item: tool, team, people and found_via are required; a field left out takes its "
        "default (blank text, no classification, untriaged, no initiative or asset).",
    )
    def update(self, request, pk=None):
        return self._write(request, partial=False)

    def _write(self, request, *, partial: bool) -> Response:
        item = self.get_object()
        data = ShadowAiUseInputSerializer(data=request.data, partial=partial, context={"request": request})
        data.is_valid(raise_exception=True)
        changes = data.validated_data if partial else {**PUT_DEFAULTS, **data.validated_data}
        shadow.update_shadow_use(item.pk, acting_user=request.user, **changes)
        return self._read(item)
