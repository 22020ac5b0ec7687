from datetime import datetime, time

import django_filters
from django.db.models import F, Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from initiatives import services
from initiatives.models import Initiative
from initiatives.serializers import (
    CharterSerializer,
    InitiativeDetailSerializer,
    InitiativeSerializer,
    InitiativeUpdateSerializer,
    RoleAssignmentSerializer,
)
from kpis.models import Scorecard
from kpis.serializers import ScorecardQuerySerializer, ScorecardSerializer
from opmodel.api import NarrowPagination
from opmodel.compat import UTC


class InitiativeFilter(django_filters.FilterSet):
    owner = django_filters.CharFilter(field_name="charter__owner__username", label="Charter owner (username)")
    business_unit = django_filters.CharFilter(lookup_expr="iexact")
    health = django_filters.ChoiceFilter(
        choices=Scorecard.Health.choices, method="filter_health", label="Health on the latest scorecard"
    )

    def filter_health(self, queryset, name, value):
        """On each initiative's newest scorecard only (is_latest: one per initiative), never the history: a join
        with today's cards, cheaper to count than `pk IN (...)`."""
        return queryset.filter(scorecards__is_latest=True, scorecards__health=value)

    diagnosis = django_filters.ChoiceFilter(
        choices=Scorecard.Diagnosis.choices, method="filter_diagnosis", label="Diagnosis on the latest scorecard"
    )

    def filter_diagnosis(self, queryset, name, value):
        """As filter_health; an initiative without a scorecard yet has not enough data to diagnose."""
        if value != Scorecard.Diagnosis.NOT_ENOUGH_DATA:
            return queryset.filter(scorecards__is_latest=True, scorecards__diagnosis=value)
        latest = Scorecard.objects.latest_per_initiative()
        return queryset.filter(
            Q(pk__in=latest.filter(diagnosis=value).values("initiative_id")) | ~Q(pk__in=latest.values("initiative_id"))
        )

    class Meta:
        model = Initiative
        fields = ["stage", "status", "risk_tier", "business_unit", "owner", "health", "diagnosis"]


@extend_schema(tags=["initiatives"])
@extend_schema_view(
    list=extend_schema(summary="List initiatives"),
    create=extend_schema(summary="Create an initiative"),
    retrieve=extend_schema(summary="Get an initiative"),
)
class InitiativeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "slug"
    filterset_class = InitiativeFilter
    pagination_class = NarrowPagination  # the page's charters and owners joined for its rows only
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return Initiative.objects.visible_to(self.request.user).select_related("charter__owner").order_by("title", "id")

    def page_rows(self):
        """A list page's rows (NarrowPagination), with their charter owner's username and not the charter
        and the user it is read from."""
        return Initiative.objects.order_by().annotate(owner_username=F("charter__owner__username"))

    def get_serializer_class(self):
        if self.action == "retrieve":
            return InitiativeDetailSerializer
        if self.action == "partial_update":
            return InitiativeUpdateSerializer
        return InitiativeSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_initiative(acting_user=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Update an initiative", request=InitiativeUpdateSerializer, responses=InitiativeDetailSerializer
    )
    def partial_update(self, request, slug=None):
        initiative = self.get_object()
        data = InitiativeUpdateSerializer(initiative, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = services.update_initiative(initiative.pk, acting_user=request.user, **data.validated_data)
        return Response(InitiativeDetailSerializer(updated, context=self.get_serializer_context()).data)

    @extend_schema(methods=["get"], summary="Get an initiative's charter", responses=CharterSerializer)
    @extend_schema(
        methods=["patch"],
        summary="Update an initiative's charter",
        request=CharterSerializer,
        responses=CharterSerializer,
    )
    @action(detail=True, methods=["get", "patch"])
    def charter(self, request, slug=None):
        initiative = self.get_object()
        if request.method == "PATCH":
            data = CharterSerializer(initiative.charter, data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            services.update_charter(initiative.pk, acting_user=request.user, **data.validated_data)
            initiative.charter.refresh_from_db()
        return Response(CharterSerializer(initiative.charter).data)

    @extend_schema(
        summary="Get an initiative's scorecard", parameters=[ScorecardQuerySerializer], responses=ScorecardSerializer
    )
    @action(detail=True, methods=["get"])
    def scorecard(self, request, slug=None):
        """The latest scorecard, or the one that stood at the end of `as_of` (UTC)."""
        initiative = self.get_object()
        query = ScorecardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of")
        cutoff = datetime.combine(as_of, time.max, tzinfo=UTC) if as_of else None
        card = initiative.scorecards.newest_first(as_of=cutoff).first()
        if card is None:
            raise NotFound("No scorecard computed for that date yet." if as_of else "No scorecard computed yet.")
        return Response(ScorecardSerializer(card).data)

    @extend_schema(
        methods=["get"],
        summary="List an initiative's role assignments",
        tags=["roles"],
        responses=RoleAssignmentSerializer(many=True),
    )
    @extend_schema(
        methods=["post"],
        summary="Assign a role on an initiative",
        tags=["roles"],
        request=RoleAssignmentSerializer,
        responses={201: RoleAssignmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # every role, as a plain list
    def roles(self, request, slug=None):
        initiative = self.get_object()
        if request.method == "POST":
            data = RoleAssignmentSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            assignment = services.assign_role(initiative.pk, acting_user=request.user, **data.validated_data)
            return Response(RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)
        assignments = initiative.role_assignments.select_related("user", "assigned_by")
        return Response(RoleAssignmentSerializer(assignments, many=True).data)

    @extend_schema(summary="Remove a role assignment", tags=["roles"], request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"roles/(?P<assignment_id>\d+)")
    def remove_role(self, request, slug=None, assignment_id=None):
        initiative = self.get_object()
        assignment = get_object_or_404(initiative.role_assignments, pk=assignment_id)
        services.remove_role(assignment.pk, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
