"""The portfolio's Shadow AI card: the register's figures, in one query, for a page that imports no register view."""

from dataclasses import dataclass

from django.db.models import Case, Count, F, FloatField, IntegerField, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Cast, Coalesce, Floor, Greatest, Least

from governance.models import ShadowAiUse
from kpis.models import Measurement

# The replacing initiative's adoption KPI: the framework's "Weekly active users in target cohort" (the PM and
# change-management KPI sets), found by the end of its key. In % it is a share of the cohort; in any other
# unit, a count of users.
ADOPTION_KPI_SUFFIX = ".weekly-active-users"


def with_users_moved(items):
    """`items` (ShadowAiUse rows) annotated with `users_moved`: how many of the register's `people` the sanctioned
    initiative has moved, from its adoption KPI's newest point (ADOPTION_KPI_SUFFIX):

    - in % (a share of the initiative's target cohort): people × share ÷ 100, rounded down;
    - in any other unit (a count of weekly active users): that count, at most `people`;

    clamped to 0..people. None when the item has no sanctioned path through an initiative (an asset alone has
    no adoption figure), or that initiative has no such KPI or no point yet. One SQL expression, so a list
    page, the API and the portfolio card (a sum) read the same figure in the query they already run."""
    people = Cast(OuterRef("people"), FloatField())
    # Worked out inside the subquery, from the newest point and its KPI's unit, so the statement holds it once
    # (reading the value and the unit apart put five copies of it in every aggregate over this figure).
    newest_moved = (
        Measurement.objects.filter(kpi__initiative=OuterRef("initiative"), kpi__key__endswith=ADOPTION_KPI_SUFFIX)
        .order_by("-timestamp", "source", "kpi")
        .annotate(
            moved=Case(
                When(kpi__unit="%", then=Floor(people * Least(Greatest(F("value"), 0.0), 100.0) / 100.0)),
                default=Least(Greatest(Floor(F("value")), 0.0), people),
                output_field=FloatField(),
            )
        )
        .values("moved")[:1]
    )
    moved_by_initiative = Q(status=ShadowAiUse.Status.SANCTIONED, initiative__isnull=False)
    return items.annotate(
        users_moved=Case(
            When(moved_by_initiative, then=Cast(Subquery(newest_moved), IntegerField())),
            default=None,
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class ShadowAiFigures:
    items: int
    open: int  # untriaged, or waiting for a sanctioned path
    sanctioned: int  # a sanctioned path exists
    people: int
    people_sanctioned: int  # people on the register whose use has a sanctioned replacement
    users_moved: int  # of those, how many the replacing initiatives' adoption KPIs show moved (with_users_moved)
    moved_measured: int  # sanctioned items whose users moved is known

    @property
    def sanctioned_share(self) -> float | None:
        return self.sanctioned / self.items if self.items else None


def shadow_ai_figures() -> ShadowAiFigures:
    """The whole register as it stands (it belongs to no initiative, so the portfolio's filters leave it be)."""
    sanctioned = Q(status=ShadowAiUse.Status.SANCTIONED)
    figures = with_users_moved(ShadowAiUse.objects.all()).aggregate(
        items=Count("pk"),
        open=Count("pk", filter=Q(status__in=ShadowAiUse.OPEN_STATUSES)),
        sanctioned=Count("pk", filter=sanctioned),
        people_total=Coalesce(Sum("people"), 0),  # an alias may not be a field's name
        people_sanctioned=Coalesce(Sum("people", filter=sanctioned), 0),
        moved=Coalesce(Sum("users_moved"), 0),
        moved_measured=Count("pk", filter=Q(users_moved__isnull=False)),
    )
    figures["users_moved"] = figures.pop("moved")
    figures["people"] = figures.pop("people_total")
    return ShadowAiFigures(**figures)
