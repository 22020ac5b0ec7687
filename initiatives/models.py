from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from opmodel.fields import NOTE_LENGTH, STATEMENT_LENGTH, LimitedTextField


class Stage(models.TextChoices):
    DEFINE_OUTCOME = "define-outcome", "Define outcome"
    SECURE_FOUNDATION = "secure-foundation", "Secure foundation"
    MEASURE_IMPACT = "measure-impact", "Measure impact"
    STANDARDIZE_REUSE = "standardize-reuse", "Standardize & reuse"
    SCALED = "scaled", "Scaled"

    @classmethod
    def ordered(cls) -> list["Stage"]:
        return list(cls)

    @property
    def index(self) -> int:
        return list(Stage).index(self)


# Measure-impact and later: the initiative is live, so its KPIs must keep reporting.
LAUNCHED = (Stage.MEASURE_IMPACT, Stage.STANDARDIZE_REUSE, Stage.SCALED)


class Role(models.TextChoices):
    EXECUTIVE_SPONSOR = "executive-sponsor", "Executive sponsor"
    CTO = "cto", "CTO"
    PRODUCT_MANAGER = "product-manager", "Product manager"
    SECURITY_RISK = "security-risk", "Security / risk"
    DATA_PLATFORM = "data-platform", "Data platform"
    PLATFORM_ENGINEERING = "platform-engineering", "Platform engineering"
    PRODUCT_OPS = "product-ops", "Product / ops"
    ENABLEMENT = "enablement", "Enablement"
    LEGAL_COMPLIANCE = "legal-compliance", "Legal / compliance"
    SERVICE_OWNER = "service-owner", "AI service owner"


# Members of the leadership group act as sponsor or CTO on every initiative (governance.permissions).
LEADERSHIP_GROUP = "portfolio-leadership"


def is_leader(user) -> bool:
    """A superuser or a member of the leadership group; remembered on the user object for the request."""
    if not user.is_authenticated:
        return False
    if not hasattr(user, "_opmodel_is_leader"):
        user._opmodel_is_leader = user.is_superuser or user.groups.filter(name=LEADERSHIP_GROUP).exists()
    return user._opmodel_is_leader


def leaders(users=None) -> models.QuerySet:
    """The leaders among `users` (every user by default), as is_leader tells of one: one query."""
    users = get_user_model().objects.all() if users is None else users
    return users.filter(Q(is_superuser=True) | Q(groups__name=LEADERSHIP_GROUP)).distinct()


# Accountable roles have exactly one holder: the person the framework says owns
# business value (sponsor), the use case (PM) and the service after launch.
ACCOUNTABLE_ROLES = frozenset({Role.EXECUTIVE_SPONSOR, Role.PRODUCT_MANAGER, Role.SERVICE_OWNER})

ROLE_DUTIES = {
    Role.EXECUTIVE_SPONSOR: "Owns the business outcome, budget and the decision to scale.",
    Role.CTO: "Platform integrity, risk posture, architecture and the economics of AI at scale.",
    Role.PRODUCT_MANAGER: "Use-case definition, workflow redesign, KPI instrumentation, rollout readiness.",
    Role.SECURITY_RISK: "Policy boundaries, approval and risk review (governance layer).",
    Role.DATA_PLATFORM: "Data quality, freshness, lineage and retrieval scopes (data layer).",
    Role.PLATFORM_ENGINEERING: "Reusability, observability and cost control (architecture layer).",
    Role.PRODUCT_OPS: "Human-in-the-loop, escalation and the live workflow (workflow layer).",
    Role.ENABLEMENT: "Training, change management and adoption (adoption layer).",
    Role.LEGAL_COMPLIANCE: "Validates control design for regulated or high-risk use.",
    Role.SERVICE_OWNER: "Owns adoption, supportability, cost and lifecycle after launch.",
}


class InitiativeQuerySet(models.QuerySet):
    def mark_dirty(self) -> int:
        """Ask the next scheduled recompute to refresh these initiatives' scorecards.

        The mark is a fresh value each time; the recompute clears only marks it saw, so a mark set
        while it was computing survives. (Python's clock, not SQL NOW(): SQLite would store that at
        millisecond precision and the mark would never compare equal when read back.)
        """
        return self.update(scorecard_dirty_at=timezone.now())

    def visible_to(self, user) -> "InitiativeQuerySet":
        """Leaders see the whole portfolio; everyone else what they created, hold a role on, own the
        charter of or own a KPI of (the stale-KPI emails send a KPI's owner to its page)."""
        if not user.is_authenticated:
            return self.none()
        if is_leader(user):
            return self
        return self.filter(
            Q(created_by=user)
            | Q(charter__owner=user)
            | Exists(RoleAssignment.objects.filter(initiative=OuterRef("pk"), user=user))
            | Exists(self.model.kpis.rel.related_model.objects.filter(initiative=OuterRef("pk"), owner=user))
        )


class Initiative(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on-hold", "On hold"
        KILLED = "killed", "Killed"

    class RiskTier(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    # What a person may change, in the browser, the API and the admin alike; the stage and status move
    # only with gate decisions, the slug never changes, and the risk tier never goes below what the
    # charter and data sources call for (governance.foundation.services.set_risk_tier).
    EDITABLE_FIELDS = ("title", "business_unit", "risk_tier", "started_on")
    # What the reuse review's outcome form, its API and the admin show (record_reuse_review_outcome writes them).
    REUSE_REVIEW_OUTCOME_FIELDS = ("reuse_review_held_on", "reuse_review_adopting", "reuse_review_changes")

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    business_unit = models.CharField(max_length=100)
    risk_tier = models.CharField(max_length=10, choices=RiskTier.choices, default=RiskTier.MEDIUM)
    # Written only by governance.services when a gate decision is taken.
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.DEFINE_OUTCOME)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    started_on = models.DateField()
    stage_entered_at = models.DateTimeField()
    # Set, in the same transaction, by anything that changes what the scorecard shows;
    # the scheduled recompute picks dirty initiatives up, so a broker outage loses nothing.
    # Not indexed: reading the few dirty rows scans a table of one row per initiative, and an
    # unindexed column lets PostgreSQL rewrite a row in place (HOT) when a mark is set or cleared,
    # which every ingest batch and every recompute does.
    scorecard_dirty_at = models.DateTimeField(null=True, blank=True)
    reuse_review_on = models.DateField(
        "Reuse review", null=True, blank=True, help_text="When adjacent teams review this workflow for reuse."
    )
    reuse_review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    # The reuse review's outcome, once held (governance.library.services.record_reuse_review_outcome).
    reuse_review_held_on = models.DateField(
        "Reuse review held on", null=True, blank=True, help_text="The day adjacent teams reviewed the workflow."
    )
    reuse_review_adopting = LimitedTextField(
        "Adjacent teams adopting",
        max_length=STATEMENT_LENGTH,
        blank=True,
        help_text="Which adjacent teams adopt the workflow, and how many people; or “none yet”, and why.",
    )
    reuse_review_changes = LimitedTextField(
        "Changes needed",
        max_length=STATEMENT_LENGTH,
        blank=True,
        help_text="What they need changed before or while adopting it; “none” when it serves as it is.",
    )
    risk_floor = models.CharField(
        max_length=10,
        choices=RiskTier.choices,
        blank=True,
        help_text="A tier a risk owner raised the initiative to; the computed tier never goes below it.",
    )
    risk_floor_reason = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    risk_reason = models.TextField(blank=True, help_text="Why the initiative has its risk tier, shown to approvers.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InitiativeQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["stage", "status"]),
            # Lists and the API page initiatives by title (id breaks ties): read in order, never sorted whole.
            models.Index(fields=["title", "id"], name="initiatives_title_id"),
            # The portfolio's "time in stage": the longest in their stage first, the first few read in order.
            models.Index(fields=["stage_entered_at", "id"], name="initiatives_in_stage_since"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("initiatives:detail", args=[self.slug])

    def earlier_stages(self) -> list[Stage]:
        stages = Stage.ordered()
        return stages[: stages.index(Stage(self.stage))]

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def mark_dirty(self) -> None:
        """Ask the next scheduled recompute to refresh this initiative's scorecard (InitiativeQuerySet.mark_dirty)."""
        Initiative.objects.filter(pk=self.pk).mark_dirty()


class Charter(models.Model):
    """The experiment charter: what step one of the framework asks a team to sign off."""

    # Fields a charter needs before it can be signed off, with the framework's own words.
    REQUIRED_FIELDS = (
        "problem_user",
        "problem_task",
        "expected_business_result",
        "constraints",
        "outcome_statement",
        "owner",
        "target_users",
        "guardrails",
        "expected_impact",
    )
    PILOT_THEATER_FIELDS = ("outcome_supported", "data_dependencies", "control_needed", "reuse_plan")
    # The 90-day plan, in the order its dates must run.
    PLAN_DATES = ("plan_start_on", "scorecard_due_on", "foundation_due_on", "launch_due_on")
    # What the charter form, the charter API, the update_charter service and the admin edit: nothing else.
    EDITABLE_FIELDS = (
        *REQUIRED_FIELDS,
        "scope",
        *PILOT_THEATER_FIELDS,
        *PLAN_DATES,
        "customer_facing",
        "automated_decisions",
        "cost_per_1000_inferences",
        "expected_monthly_volume",
        "target_cohort_size",
        "adoption_target",
    )

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="charter")
    problem_user = models.CharField(
        "Target user",
        max_length=300,
        blank=True,
        help_text="Who does the work today, e.g. “Sales operations analysts”.",
    )
    problem_task = LimitedTextField(
        "Task or decision",
        blank=True,
        help_text="The task or decision the AI step improves.",
        max_length=STATEMENT_LENGTH,
    )
    expected_business_result = LimitedTextField(
        "Expected business result",
        blank=True,
        help_text="In business terms, e.g. “forecast reviews prepared in under 30 minutes”.",
        max_length=STATEMENT_LENGTH,
    )
    constraints = LimitedTextField(
        "Constraints",
        blank=True,
        help_text="Limits the result must respect, e.g. “no more than 2 % factual errors”.",
        max_length=STATEMENT_LENGTH,
    )
    outcome_statement = LimitedTextField(
        "Outcome statement",
        blank=True,
        help_text="One measurable sentence, e.g. “reduce support handling time by 20 %”.",
        max_length=STATEMENT_LENGTH,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Owner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_charters",
        help_text="The person accountable for the outcome.",
    )
    target_users = LimitedTextField(
        "Target users", blank=True, help_text="The cohort who will use it, and how many.", max_length=STATEMENT_LENGTH
    )
    guardrails = LimitedTextField(
        "Guardrails", blank=True, help_text="What must not get worse, with bounds.", max_length=STATEMENT_LENGTH
    )
    expected_impact = LimitedTextField(
        "Expected impact", blank=True, help_text="The size of the win, and when.", max_length=STATEMENT_LENGTH
    )
    scope = LimitedTextField(
        "Scope", blank=True, help_text="In and out of scope; what gets retired.", max_length=STATEMENT_LENGTH
    )
    outcome_supported = LimitedTextField("What outcome does it support?", blank=True, max_length=STATEMENT_LENGTH)
    data_dependencies = LimitedTextField("What data does it depend on?", blank=True, max_length=STATEMENT_LENGTH)
    control_needed = LimitedTextField("What control does it need?", blank=True, max_length=STATEMENT_LENGTH)
    reuse_plan = LimitedTextField("What gets reused afterward?", blank=True, max_length=STATEMENT_LENGTH)
    plan_start_on = models.DateField("Day 1", null=True, blank=True)
    scorecard_due_on = models.DateField("Day 30: scorecard and charter signed off", null=True, blank=True)
    foundation_due_on = models.DateField("Day 60: foundation hardened and tested", null=True, blank=True)
    launch_due_on = models.DateField("Day 90: launched, trained and standardized", null=True, blank=True)
    cost_per_1000_inferences = models.DecimalField(
        "Cost per 1,000 inferences",
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    customer_facing = models.BooleanField("Customer-facing", default=False)
    automated_decisions = models.BooleanField(
        "Makes decisions without human review",
        default=False,
        help_text="The AI's output takes effect without a person checking it.",
    )
    expected_monthly_volume = models.PositiveIntegerField(
        "Expected volume (inferences per month)", null=True, blank=True
    )
    # Cohort adoption (README): who the target cohort is, in people, and the share of it that should use the
    # new workflow (power and occasional users together) before it scales out.
    target_cohort_size = models.PositiveIntegerField(
        "Target cohort size (people)",
        null=True,
        blank=True,
        help_text="How many people the target users are; adoption by cohort is counted as shares of them.",
    )
    adoption_target = models.PositiveSmallIntegerField(
        "Adoption target (% of the target cohort)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Power and occasional users together, as a share of the target cohort, needed to scale out.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Charter of {self.initiative}"

    def clean(self):
        """The charter's own rules; every path (form, API, admin) meets them through full_clean."""
        errors = {}
        given = [(name, getattr(self, name)) for name in self.PLAN_DATES if getattr(self, name)]
        for (_, earlier), (name, later) in zip(given, given[1:], strict=False):
            if later < earlier:
                errors[name] = "The 90-day plan dates must run in order: day 1, day 30, day 60, day 90."
                break
        if errors:
            raise ValidationError(errors)

    def missing_fields(self) -> list[str]:
        return [self._meta.get_field(f).verbose_name for f in self.REQUIRED_FIELDS if not self._filled(f)]

    def missing_pilot_theater_answers(self) -> list[str]:
        return [self._meta.get_field(f).verbose_name for f in self.PILOT_THEATER_FIELDS if not self._filled(f)]

    def _filled(self, name: str) -> bool:
        value = getattr(self, name if name != "owner" else "owner_id")
        return value is not None and str(value).strip() != ""

    @property
    def is_complete(self) -> bool:
        return not self.missing_fields() and not self.missing_pilot_theater_answers()


class RoleAssignment(models.Model):
    # Who assigns a role, and when it is accepted, the service records; a person picks the role and its holder.
    EDITABLE_FIELDS = ("role", "user")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=30, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "role", "user"], name="initiatives_role_once_per_user"),
            models.UniqueConstraint(
                fields=["initiative", "role"],
                condition=Q(role__in=sorted(ACCOUNTABLE_ROLES)),
                name="initiatives_accountable_role_single_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"

    @property
    def is_accountable(self) -> bool:
        return self.role in ACCOUNTABLE_ROLES


class StageChange(models.Model):
    """One change of an initiative's stage or status, written in the transaction of the decision that made it.

    It keeps the state it left, so what stood at any past moment is the state the first later change
    left, or the current one when nothing changed since (the portfolio as of a day, past snapshots).
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="stage_changes")
    changed_at = models.DateTimeField()
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    from_status = models.CharField(max_length=10, choices=Initiative.Status.choices)
    from_stage_entered_at = models.DateTimeField()
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_status = models.CharField(max_length=10, choices=Initiative.Status.choices)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["initiative", "changed_at"], name="initiatives_stage_change_at")]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.from_stage}/{self.from_status} → {self.to_stage}/{self.to_status}"
