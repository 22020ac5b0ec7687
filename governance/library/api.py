"""REST API of the reusable-asset library: assets, their immutable versions, labels and "used by"."""

from django.db.models import OuterRef, Prefetch, Subquery
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.library import services as library
from governance.library.filters import AssetFilter
from governance.library.serializers import (
    AdoptAssetSerializer,
    AssetCreateSerializer,
    AssetLabelSerializer,
    AssetSerializer,
    AssetUpdateSerializer,
    AssetUsageSerializer,
    AssetVersionCreateSerializer,
    AssetVersionSerializer,
    LabelDecisionSerializer,
    LabelMoveInputSerializer,
    LabelMoveRequestSerializer,
    ReuseReviewSerializer,
)
from governance.models import Asset, AssetLabel, AssetVersion, LabelMoveRequest
from initiatives.models import Initiative


@extend_schema(tags=["assets"])
@extend_schema_view(
    list=extend_schema(summary="List and search library assets"), retrieve=extend_schema(summary="Get an asset")
)
class AssetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Every signed-in user reads and adds to the library; curators publish versions and move labels."""

    lookup_field = "slug"
    serializer_class = AssetSerializer
    filterset_class = AssetFilter

    def get_queryset(self):
        latest = AssetVersion.objects.filter(asset=OuterRef("pk")).order_by("-number").values("number")[:1]
        labels = AssetLabel.objects.select_related("version", "moved_by")
        return (
            Asset.objects.with_source_for(self.request.user)
            .select_related("owner")
            .prefetch_related("tags", Prefetch("labels", queryset=labels))
            .annotate(latest_version=Subquery(latest))
            .order_by("name", "slug")
        )

    def _read(self, asset: Asset, status_code=status.HTTP_200_OK) -> Response:
        return Response(AssetSerializer(self.get_queryset().get(pk=asset.pk)).data, status=status_code)

    @extend_schema(
        summary="Add an asset to the library", request=AssetCreateSerializer, responses={201: AssetSerializer}
    )
    def create(self, request):
        """Add an asset with its first version; the caller owns it (as on the library page)."""
        data = AssetCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        asset = library.create_asset(acting_user=request.user, **data.validated_data)
        return self._read(asset, status.HTTP_201_CREATED)

    @extend_schema(summary="Update an asset's listing", request=AssetUpdateSerializer, responses=AssetSerializer)
    def partial_update(self, request, slug=None):
        asset = self.get_object()
        data = AssetUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        library.update_asset(asset.pk, acting_user=request.user, **data.validated_data)
        return self._read(asset)

    @extend_schema(methods=["get"], summary="List an asset's versions", responses=AssetVersionSerializer(many=True))
    @extend_schema(
        methods=["post"],
        summary="Publish a new version of an asset",
        request=AssetVersionCreateSerializer,
        responses={201: AssetVersionSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def versions(self, request, slug=None):
        """Versions, newest first. A version is immutable: publish a new one instead of changing it."""
        asset = self.get_object()
        if request.method == "POST":
            data = AssetVersionCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            version = library.publish_version(asset.pk, acting_user=request.user, **data.validated_data)
            return Response(AssetVersionSerializer(version).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(asset.versions.select_related("author").order_by("-number"))
        return self.get_paginated_response(AssetVersionSerializer(page, many=True).data)

    @extend_schema(summary="Get one version of an asset", responses=AssetVersionSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version_detail(self, request, slug=None, number=None):
        asset = self.get_object()
        return Response(AssetVersionSerializer(get_object_or_404(asset.versions, number=number)).data)

    @extend_schema(
        summary="Point a label at a version of an asset",
        request=LabelMoveInputSerializer,
        responses={200: AssetLabelSerializer, 202: LabelMoveRequestSerializer},
        description="Point a label at a version. On a security requirement the move waits for a "
        "security/risk approval: the answer is then 202 with the pending request.",
    )
    @action(detail=True, methods=["post"])
    def labels(self, request, slug=None):
        asset = self.get_object()
        data = LabelMoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        name, number = data.validated_data["name"], data.validated_data["version"]
        moved = library.move_label(asset.pk, acting_user=request.user, name=name, version_number=number)
        if isinstance(moved, LabelMoveRequest):
            return Response(LabelMoveRequestSerializer(moved).data, status=status.HTTP_202_ACCEPTED)
        return Response(AssetLabelSerializer(moved).data)

    @extend_schema(summary="List the initiatives using an asset", responses=AssetUsageSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="used-by")
    def used_by(self, request, slug=None):
        """The initiatives you can see that use this asset, and the version each pins."""
        asset = self.get_object()
        usages = asset.usages.filter(initiative__in=Initiative.objects.visible_to(request.user))
        usages = usages.select_related("initiative", "asset", "version", "adopted_by").order_by(
            "initiative__title", "pk"
        )
        return self.get_paginated_response(AssetUsageSerializer(self.paginate_queryset(usages), many=True).data)


@extend_schema(tags=["label-requests"])
@extend_schema_view(
    list=extend_schema(summary="List label move requests"), retrieve=extend_schema(summary="Get a label move request")
)
class LabelRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Label moves on security requirements, waiting for (or decided by) a security/risk role holder."""

    serializer_class = LabelMoveRequestSerializer
    filterset_fields = ["status"]

    def get_queryset(self):
        return LabelMoveRequest.objects.select_related("asset", "version", "requested_by", "decided_by").order_by(
            "-requested_at", "-pk"
        )

    @extend_schema(
        summary="Approve or reject a label move", request=LabelDecisionSerializer, responses=LabelMoveRequestSerializer
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        label_request = self.get_object()
        data = LabelDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = library.decide_label_request(label_request.pk, acting_user=request.user, **data.validated_data)
        return Response(LabelMoveRequestSerializer(decided).data)


INITIATIVE_SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The initiative's slug.")


@extend_schema(tags=["assets"])
class InitiativeAssetsView(APIView):
    """`/api/v1/initiatives/<slug>/assets/`: "used by" seen from the initiative."""

    def _initiative(self, slug: str) -> Initiative:
        return get_object_or_404(Initiative.objects.visible_to(self.request.user), slug=slug)

    @extend_schema(
        summary="List the assets an initiative uses",
        parameters=[INITIATIVE_SLUG],
        responses=AssetUsageSerializer(many=True),
    )
    def get(self, request, slug):
        """The library assets this initiative uses, and the version each is pinned to."""
        usages = self._initiative(slug).asset_usages.select_related("initiative", "asset", "version", "adopted_by")
        return Response(AssetUsageSerializer(usages, many=True).data)

    @extend_schema(
        summary="Pin an initiative to a version of an asset",
        parameters=[INITIATIVE_SLUG],
        request=AdoptAssetSerializer,
        responses={201: AssetUsageSerializer},
    )
    def post(self, request, slug):
        """Pin this initiative to a version of an asset (the latest when none is named)."""
        initiative = self._initiative(slug)
        data = AdoptAssetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        usage = library.adopt_version(
            initiative.pk,
            acting_user=request.user,
            asset=data.validated_data["asset"],
            version_number=data.validated_data["version"],
        )
        return Response(AssetUsageSerializer(usage).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["reuse-review"])
class InitiativeReuseReviewView(APIView):
    """`/api/v1/initiatives/<slug>/reuse-review/`: the reuse review's date and, once held, its outcome."""

    def _initiative(self, slug: str) -> Initiative:
        return get_object_or_404(Initiative.objects.visible_to(self.request.user), slug=slug)

    @extend_schema(
        summary="Read an initiative's reuse review", parameters=[INITIATIVE_SLUG], responses=ReuseReviewSerializer
    )
    def get(self, request, slug):
        """The date it is scheduled, and its outcome once held (blank until then)."""
        return Response(ReuseReviewSerializer(self._initiative(slug)).data)

    @extend_schema(
        summary="Record a reuse review's outcome",
        parameters=[INITIATIVE_SLUG],
        request=ReuseReviewSerializer,
        responses=ReuseReviewSerializer,
    )
    def put(self, request, slug):
        """Record, once it is held, the day, the adjacent teams adopting the workflow and the changes they need;
        every field each time. Refusals name the field (400); 403 for someone who may not record it."""
        initiative = self._initiative(slug)
        data = ReuseReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = {name: data.validated_data.get(name) for name in Initiative.REUSE_REVIEW_OUTCOME_FIELDS}
        initiative = library.record_reuse_review_outcome(initiative.pk, acting_user=request.user, **outcome)
        return Response(ReuseReviewSerializer(initiative).data)
