"""Step two of the framework, secure the foundation: controls by layer, data sources, checklists."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from initiatives.models import Initiative, Role, is_leader
from initiatives.people import person_name
from opmodel.fields import NOTE_LENGTH, STATEMENT_LENGTH, LimitedTextField


class Layer(models.TextChoices):
    GOVERNANCE = "governance", "Governance"
    DATA = "data", "Data"
    ARCHITECTURE = "architecture", "Architecture"
    WORKFLOW = "workflow", "Workflow"
    ADOPTION = "adoption", "Adoption"


# The framework's foundation-layer table: what each layer controls, its example KPI, its owner role.
LAYER_INFO = {
    Layer.GOVERNANCE: ("Policy, approval, risk review", "Policy approval cycle time", Role.SECURITY_RISK),
    Layer.DATA: ("Quality, freshness, lineage", "% of requests using trusted sources", Role.DATA_PLATFORM),
    Layer.ARCHITECTURE: ("Reusability, observability, cost", "Cost per 1,000 inferences", Role.PLATFORM_ENGINEERING),
    Layer.WORKFLOW: ("Human-in-the-loop and escalation", "Automated task completion rate", Role.PRODUCT_OPS),
    Layer.ADOPTION: ("Training, change management, usage", "Weekly active users in target cohort", Role.ENABLEMENT),
}


class Control(models.Model):
    """A control of the catalogue (seeded by migration, editable in admin)."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    layer = models.CharField(max_length=20, choices=Layer.choices)
    description = LimitedTextField(max_length=STATEMENT_LENGTH, blank=True)
    owner_role = models.CharField(max_length=30, choices=Role.choices)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True, help_text="Inactive controls are no longer asked of initiatives.")
    measured_by = models.SlugField(
        max_length=60,
        blank=True,
        help_text="The KPI that shows this control working, by the suffix of its key (training-completion for "
        "<initiative>.training-completion): its latest value is shown beside the control.",
    )

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name


class InitiativeControl(models.Model):
    class Status(models.TextChoices):
        IN_PLACE = "in-place", "In place"
        WAIVED = "waived", "Waived"
        MISSING = "missing", "Missing"

    # What the foundation page and the API record for a control (set_control writes them).
    EDITABLE_FIELDS = ("status", "evidence", "waiver_reason")

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="controls")
    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MISSING)
    evidence = LimitedTextField(
        max_length=STATEMENT_LENGTH, blank=True, help_text="A link or a short description of the evidence."
    )
    waiver_reason = LimitedTextField(max_length=STATEMENT_LENGTH, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["control__position", "control__key"]
        constraints = [models.UniqueConstraint(fields=["initiative", "control"], name="governance_control_once")]

    def __str__(self) -> str:
        return f"{self.control}: {self.get_status_display()}"

    def clean(self):
        if self.status == self.Status.IN_PLACE and not self.evidence.strip():
            raise ValidationError({"evidence": "Give the evidence that it is in place: a link or a short description."})
        if self.status == self.Status.WAIVED and not self.waiver_reason.strip():
            raise ValidationError({"waiver_reason": "Say why the control is waived; approvers read it."})


class DataSourceQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DataSourceQuerySet":
        """Sources of initiatives the user can see, and the ones they own; leaders see the whole catalogue."""
        if not user.is_authenticated:
            return self.none()
        if is_leader(user):
            return self
        visible = Initiative.objects.visible_to(user)
        return self.filter(Q(initiatives__in=visible) | Q(owner=user)).distinct()


class DataSource(models.Model):
    """A source an initiative depends on; one source can serve several initiatives."""

    class Classification(models.TextChoices):
        PUBLIC = "public", "Public"
        INTERNAL = "internal", "Internal"
        CONFIDENTIAL = "confidential", "Confidential"
        RESTRICTED = "restricted", "Restricted"

    # What the foundation page, the API and save_data_source change (the initiatives using it are linked apart).
    EDITABLE_FIELDS = (
        "name",
        "system",
        "classification",
        "personal_data",
        "source_of_truth",
        "freshness_sla_hours",
        "retrieval_scope",
        "owner",
    )

    name = models.CharField(max_length=150, unique=True)
    system = models.CharField(max_length=150, help_text="Where it lives, e.g. Zendesk, the data warehouse.")
    classification = models.CharField(max_length=15, choices=Classification.choices, blank=True)
    personal_data = models.BooleanField("Contains personal data", default=False)
    source_of_truth = models.CharField(max_length=200, blank=True)
    freshness_sla_hours = models.PositiveIntegerField("Freshness SLA (hours)", null=True, blank=True)
    retrieval_scope = LimitedTextField(
        max_length=STATEMENT_LENGTH, blank=True, help_text="What the AI may retrieve from it, and what not."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_data_sources"
    )
    initiatives = models.ManyToManyField(Initiative, blank=True, related_name="data_sources")
    updated_at = models.DateTimeField(auto_now=True)

    objects = DataSourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def gaps(self) -> list[str]:
        missing = []
        if not self.classification:
            missing.append("classification")
        if self.owner_id is None:
            missing.append("owner")
        if self.freshness_sla_hours is None:
            missing.append("freshness SLA")
        return missing


class ChecklistItem(models.Model):
    """A question from the framework's executive checklists, asked on the gate it belongs to."""

    class Audience(models.TextChoices):
        CTO = "cto", "CTO"
        PM = "pm", "PM"
        LEADERSHIP = "leadership", "Leadership"

    gate = models.CharField(max_length=20)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    question = models.CharField(max_length=300)
    eu_ai_act = models.CharField("EU AI Act", max_length=120, blank=True)
    nist_ai_rmf = models.CharField("NIST AI RMF", max_length=120, blank=True)
    iso_42001 = models.CharField("ISO/IEC 42001", max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["gate", "position", "id"]

    def __str__(self) -> str:
        return self.question

    def is_asked_of(self, role: str) -> bool:
        """Whether an approver filling `role` answers this question for their own role."""
        return role in AUDIENCE_ROLES[self.audience]


# Who a question is addressed to, among the roles that approve gates. Nobody approves as product
# manager, so PM questions fall to whoever completes the review (see governance.services.decide).
AUDIENCE_ROLES = {
    ChecklistItem.Audience.CTO: frozenset({Role.CTO}),
    ChecklistItem.Audience.PM: frozenset({Role.PRODUCT_MANAGER}),
    ChecklistItem.Audience.LEADERSHIP: frozenset({Role.EXECUTIVE_SPONSOR, Role.CTO}),
}


class ChecklistAnswer(models.Model):
    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_APPLICABLE = "n/a", "Not applicable"

    review = models.ForeignKey("governance.GateReview", on_delete=models.CASCADE, related_name="checklist_answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=5, choices=Answer.choices)
    note = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item__position"]
        constraints = [models.UniqueConstraint(fields=["review", "item"], name="governance_one_answer_per_item")]

    def __str__(self) -> str:
        return f"{self.item}: {self.answer}"

    def as_record(self) -> dict:
        """The answer as a decision stores it and the audit event and evidence export show it."""
        return {
            "question": self.item.question,
            "audience": self.item.audience,
            "answer": self.answer,
            "note": self.note,
            "answered_by": person_name(self.answered_by),
            "answered_at": self.answered_at.isoformat(),
        }
