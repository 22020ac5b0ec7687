import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance import services
from governance.models import GateDecision, GateReview
from governance.serializers import (
    DecisionInputSerializer,
    GateDecisionSerializer,
    GateReviewRequestSerializer,
    GateReviewSerializer,
)


class GateReviewFilter(django_filters.FilterSet):
    initiative = django_filters.CharFilter(field_name="initiative__slug")

    class Meta:
        model = GateReview
        fields = ["status", "gate", "initiative"]


@extend_schema(tags=["gate-reviews"])
@extend_schema_view(
    list=extend_schema(summary="List gate reviews"), retrieve=extend_schema(summary="Get a gate review")
)
class GateReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = GateReviewSerializer
    filterset_class = GateReviewFilter

    def get_queryset(self):
        return (
            GateReview.objects.visible_to(self.request.user)
            .select_related("initiative", "policy", "requested_by")
            .prefetch_related(Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by")))
        )

    @extend_schema(
        summary="Request a gate review", request=GateReviewRequestSerializer, responses={201: GateReviewSerializer}
    )
    def create(self, request):
        data = GateReviewRequestSerializer(data=request.data, user=request.user)
        data.is_valid(raise_exception=True)
        review = services.request_review(
            data.validated_data["initiative"].pk,
            acting_user=request.user,
            override_reason=data.validated_data["override_reason"],
        )
        return Response(
            GateReviewSerializer(self.get_queryset().get(pk=review.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Record a gate decision", request=DecisionInputSerializer, responses={201: GateDecisionSerializer}
    )
    @action(detail=True, methods=["post"])
    def decisions(self, request, pk=None):
        review = self.get_object()
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.decide(review.pk, acting_user=request.user, **data.validated_data)
        return Response(GateDecisionSerializer(decision).data, status=status.HTTP_201_CREATED)
