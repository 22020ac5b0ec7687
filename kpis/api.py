import django_filters
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.models import ApiToken
from governance.permissions import can_edit_kpis
from initiatives.models import Initiative
from kpis import services
from kpis.after_action import after_action_review_of
from kpis.ingest import BatchRejected, record_measurements
from kpis.models import Driver, Kpi, Measurement
from kpis.serializers import (
    AfterActionReviewSerializer,
    IngestResultSerializer,
    KpiSerializer,
    KpiUpdateSerializer,
    MeasurementBatchSerializer,
    MeasurementQuerySerializer,
    MeasurementSerializer,
)
from opmodel.api import NarrowPagination, Pagination, problem_response


class KpiFilter(django_filters.FilterSet):
    initiative = django_filters.CharFilter(field_name="initiative__slug")
    owner = django_filters.CharFilter(field_name="owner__username")

    class Meta:
        model = Kpi
        fields = ["initiative", "kind", "category", "cadence", "owner"]


def _driver(initiative, name: str, acting_user) -> Driver:
    existing = Driver.objects.filter(objective__initiative=initiative, name__iexact=name.strip()).first()
    return existing or services.add_driver(initiative.pk, acting_user=acting_user, name=name)


@extend_schema(tags=["kpis"])
@extend_schema_view(
    list=extend_schema(summary="List KPIs"),
    create=extend_schema(summary="Add a KPI to an initiative's outcome tree"),
    retrieve=extend_schema(summary="Get a KPI"),
    partial_update=extend_schema(summary="Update a KPI"),
)
class KpiViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9.-]+"
    filterset_class = KpiFilter
    pagination_class = NarrowPagination  # ten thousand KPIs and more, each row with its initiative and driver
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Kpi.objects.visible_to(self.request.user).select_related("initiative", "driver", "owner").order_by("key")

    def page_rows(self):
        """A list page's rows (NarrowPagination), with what a KPI's row shows of its initiative, driver and owner."""
        return Kpi.objects.order_by().select_related("initiative", "driver", "owner")

    def get_serializer_class(self):
        return KpiUpdateSerializer if self.action == "partial_update" else KpiSerializer

    def get_serializer(self, *args, **kwargs):
        if self.action == "create":
            kwargs["user"] = self.request.user
        return super().get_serializer(*args, **kwargs)

    @transaction.atomic  # a driver created for a KPI the service then refuses is not kept
    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        initiative = data.pop("initiative")
        if not can_edit_kpis(self.request.user, initiative):
            raise PermissionDenied(f"Only {can_edit_kpis.who} may add KPIs.")
        driver = _driver(initiative, data.pop("driver")["name"], self.request.user)
        serializer.instance = services.add_kpi(initiative.pk, acting_user=self.request.user, driver=driver, **data)

    @transaction.atomic
    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        kpi = serializer.instance
        if "driver" in data:
            data["driver"] = _driver(kpi.initiative, data["driver"]["name"], self.request.user)
        serializer.instance = services.update_kpi(kpi.pk, acting_user=self.request.user, **data)

    @extend_schema(
        summary="List a KPI's measurements",
        tags=["measurements"],
        parameters=[MeasurementQuerySerializer],
        responses=MeasurementSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=Pagination)  # one KPI's points, read in index order
    def measurements(self, request, key=None):
        kpi = self.get_object()
        query = MeasurementQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        points = Measurement.objects.filter(kpi=kpi).order_by("timestamp", "source")
        if "since" in query.validated_data:
            points = points.filter(timestamp__gte=query.validated_data["since"])
        if "until" in query.validated_data:
            points = points.filter(timestamp__lt=query.validated_data["until"])
        if "source" in query.validated_data:
            points = points.filter(source=query.validated_data["source"])
        page = self.paginate_queryset(points.values("timestamp", "value", "source"))
        return self.get_paginated_response(MeasurementSerializer(page, many=True).data)


class MeasurementIngestView(APIView):
    """Push measurements in bulk: atomic, idempotent on (kpi, timestamp, source)."""

    @extend_schema(
        summary="Push measurements in bulk",
        tags=["measurements"],
        request=MeasurementBatchSerializer,
        responses={200: IngestResultSerializer},
        parameters=[OpenApiParameter("X-Request-ID", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        items = request.data.get("measurements") if isinstance(request.data, dict) else None
        token = request.auth if isinstance(request.auth, ApiToken) else None
        try:
            result = record_measurements(items, acting_user=request.user, token=token)
        except BatchRejected as rejected:
            code = {400: "validation-error", 403: "permission-denied", 413: "batch-too-large"}[rejected.status]
            return problem_response(rejected.status, rejected.detail, errors=rejected.errors, code=code)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The initiative's slug.")


@extend_schema(tags=["after-action-review"])
class AfterActionReviewView(APIView):
    """`/api/v1/initiatives/<slug>/after-action-review/`: what work AI removed, what replaced it, what result
    followed, and the KPIs that show it (the scale-out gate's `after-action-review` criterion)."""

    def _initiative(self, slug: str) -> Initiative:
        return get_object_or_404(Initiative.objects.visible_to(self.request.user), slug=slug)

    @extend_schema(
        summary="Read an initiative's after-action review", parameters=[SLUG], responses=AfterActionReviewSerializer
    )
    def get(self, request, slug) -> Response:
        """The review; 404 while none is written."""
        review = after_action_review_of(self._initiative(slug))
        if review is None:
            raise NotFound("No after-action review is written for this initiative yet.")
        return Response(AfterActionReviewSerializer(review).data)

    @extend_schema(
        summary="Write an initiative's after-action review",
        parameters=[SLUG],
        request=AfterActionReviewSerializer,
        responses=AfterActionReviewSerializer,
    )
    def put(self, request, slug) -> Response:
        """Write the whole review (every field each time). 400 names each bad field, 403 for someone who may not
        write it, 409 before launch."""
        initiative = self._initiative(slug)
        data = AfterActionReviewSerializer(data=request.data, initiative=initiative)
        data.is_valid(raise_exception=True)
        review = services.save_after_action_review(initiative.pk, acting_user=request.user, **data.validated_data)
        return Response(AfterActionReviewSerializer(review).data)
