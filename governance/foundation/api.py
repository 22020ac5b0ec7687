"""REST API of an initiative's foundation: controls by layer, data sources, risk tier, checklists, evidence."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.foundation import evidence
from governance.foundation import services as foundation
from governance.foundation.serializers import (
    ChecklistAnswerInputSerializer,
    ChecklistQuestionSerializer,
    ControlInputSerializer,
    ControlLayerSerializer,
    ControlStatusSerializer,
    DataSourceInputSerializer,
    DataSourceSerializer,
    RiskRaiseSerializer,
    RiskSerializer,
)
from governance.models import LAYER_INFO, Control, DataSource, GateReview, Layer
from initiatives.models import Initiative

SLUG = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The initiative's slug.")
CONTROL_KEY = OpenApiParameter("control_key", str, OpenApiParameter.PATH, description="A catalogue control's key.")
SOURCE_ID = OpenApiParameter("source_id", int, OpenApiParameter.PATH, description="A data source's id.")
REVIEW_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The gate review's id.")


class InitiativeFoundationView(APIView):
    """Base: the initiative named in the path, 404 when the caller cannot see it."""

    def initiative(self, slug: str) -> Initiative:
        return get_object_or_404(Initiative.objects.visible_to(self.request.user), slug=slug)


@extend_schema(tags=["controls"])
class InitiativeControlsView(InitiativeFoundationView):
    @extend_schema(
        summary="List an initiative's controls by layer", parameters=[SLUG], responses=ControlLayerSerializer(many=True)
    )
    def get(self, request, slug):
        """Every active catalogue control with this initiative's status (missing when never recorded), by layer."""
        rows = foundation.measured_control_rows(self.initiative(slug))
        layers = [
            {"layer": layer, "label": Layer(layer).label, "owner_role": owner, "controls": rows[layer]}
            for layer, (_, _, owner) in LAYER_INFO.items()
        ]
        return Response(ControlLayerSerializer(layers, many=True).data)


@extend_schema(tags=["controls"])
class InitiativeControlView(InitiativeFoundationView):
    @extend_schema(
        summary="Record the status of one of an initiative's controls",
        parameters=[SLUG, CONTROL_KEY],
        request=ControlInputSerializer,
        responses=ControlStatusSerializer,
    )
    def put(self, request, slug, control_key):
        """Record a control as in place (with evidence), waived (with a reason) or missing."""
        initiative = self.initiative(slug)
        get_object_or_404(Control, key=control_key, is_active=True)
        data = ControlInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        foundation.set_control(initiative.pk, acting_user=request.user, control_key=control_key, **data.validated_data)
        row = next(
            r
            for rows in foundation.measured_control_rows(initiative).values()
            for r in rows
            if r.control.key == control_key
        )
        return Response(ControlStatusSerializer(row).data)


@extend_schema(tags=["data-sources"])
class InitiativeDataSourcesView(InitiativeFoundationView):
    @extend_schema(
        summary="List an initiative's data sources", parameters=[SLUG], responses=DataSourceSerializer(many=True)
    )
    def get(self, request, slug):
        """The data sources this initiative depends on."""
        sources = self.initiative(slug).data_sources.select_related("owner")
        return Response(DataSourceSerializer(sources, many=True).data)

    @extend_schema(
        summary="Add a data source to an initiative",
        parameters=[SLUG],
        request=DataSourceInputSerializer,
        responses={201: DataSourceSerializer},
    )
    def post(self, request, slug):
        """Record a new data source for this initiative; the risk tier follows what it holds."""
        initiative = self.initiative(slug)
        data = DataSourceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = foundation.save_data_source(initiative.pk, acting_user=request.user, **data.validated_data)
        return Response(DataSourceSerializer(source).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["data-sources"])
class InitiativeDataSourceView(InitiativeFoundationView):
    @extend_schema(
        summary="Change a data source",
        parameters=[SLUG, SOURCE_ID],
        request=DataSourceInputSerializer,
        responses=DataSourceSerializer,
    )
    def patch(self, request, slug, source_id):
        """Change a source this initiative uses; every initiative sharing it re-derives its risk tier."""
        initiative = self.initiative(slug)
        source = get_object_or_404(initiative.data_sources, pk=source_id)
        data = DataSourceInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        source = foundation.save_data_source(
            initiative.pk, acting_user=request.user, source=source, **data.validated_data
        )
        return Response(DataSourceSerializer(source).data)


@extend_schema(tags=["data-sources"])
class InitiativeDataSourceLinkView(InitiativeFoundationView):
    @extend_schema(
        summary="Use an existing data source",
        parameters=[SLUG, SOURCE_ID],
        request=None,
        responses=DataSourceSerializer,
    )
    def post(self, request, slug, source_id):
        """Share an existing data source (of an initiative you can see, or one you own) with this one."""
        initiative = self.initiative(slug)
        source = get_object_or_404(DataSource.objects.visible_to(request.user), pk=source_id)
        foundation.link_data_source(initiative.pk, acting_user=request.user, source=source)
        return Response(DataSourceSerializer(source).data)

    @extend_schema(
        summary="Stop using a data source", parameters=[SLUG, SOURCE_ID], request=None, responses={204: None}
    )
    def delete(self, request, slug, source_id):
        """Stop using a data source; the source itself stays for the initiatives sharing it."""
        initiative = self.initiative(slug)
        source = get_object_or_404(initiative.data_sources, pk=source_id)
        foundation.link_data_source(initiative.pk, acting_user=request.user, source=source, linked=False)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["risk"])
class InitiativeRiskView(InitiativeFoundationView):
    @extend_schema(summary="Get an initiative's risk tier", parameters=[SLUG], responses=RiskSerializer)
    def get(self, request, slug):
        """The risk tier with its reason, what the charter and data call for, and the risk owner's floor."""
        return Response(RiskSerializer(_risk(self.initiative(slug))).data)

    @extend_schema(
        summary="Raise an initiative's risk tier",
        parameters=[SLUG],
        request=RiskRaiseSerializer,
        responses=RiskSerializer,
    )
    def post(self, request, slug):
        """Raise the risk tier with a reason (security/risk role holders and portfolio leaders)."""
        initiative = self.initiative(slug)
        data = RiskRaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            foundation.raise_risk_tier(initiative.pk, acting_user=request.user, **data.validated_data)
        except ValidationError as e:
            # The service names the model field; the API's input field is `tier`.
            raise ValidationError({"tier" if k == "risk_tier" else k: v for k, v in e.message_dict.items()}) from e
        initiative.refresh_from_db()
        return Response(RiskSerializer(_risk(initiative)).data)


def _risk(initiative) -> dict:
    computed_tier, computed_reasons = foundation.computed_risk(initiative)
    return {
        "tier": initiative.risk_tier,
        "reason": initiative.risk_reason,
        "computed_tier": computed_tier,
        "computed_reasons": computed_reasons,
        "floor": initiative.risk_floor,
        "floor_reason": initiative.risk_floor_reason,
    }


class GateReviewFoundationView(APIView):
    def review(self, pk: int) -> GateReview:
        visible = GateReview.objects.visible_to(self.request.user)
        return get_object_or_404(visible.select_related("initiative", "policy", "requested_by"), pk=pk)


@extend_schema(tags=["gate-reviews"])
class GateReviewChecklistView(GateReviewFoundationView):
    @extend_schema(
        summary="Get a gate review's checklist",
        parameters=[REVIEW_ID],
        responses=ChecklistQuestionSerializer(many=True),
    )
    def get(self, request, id):
        """The gate's executive checklist with EU AI Act, NIST AI RMF and ISO/IEC 42001 references, and answers."""
        return Response(ChecklistQuestionSerializer(_questions(self.review(id)), many=True).data)

    @extend_schema(
        summary="Answer a checklist question",
        parameters=[REVIEW_ID],
        request=ChecklistAnswerInputSerializer,
        responses=ChecklistQuestionSerializer,
    )
    def post(self, request, id):
        """An approver answers one question (yes, no with a note, or n/a)."""
        review = self.review(id)
        data = ChecklistAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = data.validated_data.pop("item")
        foundation.answer_checklist(review.pk, acting_user=request.user, item_id=item, **data.validated_data)
        return Response(ChecklistQuestionSerializer(next(q for q in _questions(review) if q["item"] == item)).data)


def _questions(review) -> list[dict]:
    return [
        {
            "item": row.item.pk,
            "audience": row.item.audience,
            "question": row.item.question,
            "references": row.references,
            "answer": row.answer.answer if row.answer else None,
            "note": row.answer.note if row.answer else "",
            "answered_by": row.answer.answered_by.username if row.answer else None,
            "answered_at": row.answer.answered_at if row.answer else None,
        }
        for row in evidence.checklist_rows(review)
    ]


@extend_schema(tags=["gate-reviews"])
class GateReviewEvidenceView(GateReviewFoundationView):
    @extend_schema(summary="Get a gate review's evidence", parameters=[REVIEW_ID], responses=OpenApiTypes.OBJECT)
    def get(self, request, id):
        """Everything the gate decision rested on, as evidence for EU AI Act, NIST AI RMF and ISO/IEC 42001."""
        return Response(evidence.gate_evidence(self.review(id)))
