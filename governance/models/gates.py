"""Gates: policies as versioned data, reviews, and the decisions taken on them."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from governance.criteria import registered
from governance.gates import Gate
from initiatives.models import Initiative, Role, RoleAssignment, Stage
from opmodel.fields import NOTE_LENGTH, LimitedTextField


class GatePolicyQuerySet(models.QuerySet):
    def current(self, gate: str, risk_tier: str) -> "GatePolicy":
        """The newest published version for a gate and risk tier."""
        return self.filter(gate=gate, risk_tier=risk_tier, published_at__isnull=False).order_by("-version").first()


class GatePolicy(models.Model):
    """Criteria and approvers of one gate for one risk tier, as versioned data.

    A published version never changes: admins copy it to a new draft, edit the
    draft and publish that. Each review records the version it ran under.
    """

    gate = models.CharField(max_length=20, choices=Gate.choices)
    risk_tier = models.CharField(max_length=10, choices=Initiative.RiskTier.choices)
    version = models.PositiveIntegerField()
    criteria = models.JSONField(default=list, help_text="Criterion keys, in the order shown.")
    approver_slots = models.JSONField(
        default=list,
        help_text=(
            'Each slot is a list of roles, any one of which may fill it, e.g. [["cto", "executive-sponsor"], '
            '["security-risk"]].'
        ),
    )
    review_due_days = models.PositiveIntegerField(default=5)
    notes = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = GatePolicyQuerySet.as_manager()

    class Meta:
        ordering = ["gate", "risk_tier", "-version"]
        verbose_name_plural = "gate policies"
        constraints = [
            models.UniqueConstraint(fields=["gate", "risk_tier", "version"], name="governance_policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_gate_display()} · {self.risk_tier} · v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk and GatePolicy.objects.filter(pk=self.pk, published_at__isnull=False).exists():
            raise ValidationError("A published gate policy never changes; copy it to a new draft version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ValidationError("A published gate policy cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def clean(self):
        known = {c.key for c in registered()}
        unknown = [key for key in self.criteria if key not in known]
        if unknown:
            raise ValidationError({"criteria": f"Unknown criteria: {', '.join(unknown)}."})
        if not self.approver_slots or not all(isinstance(slot, list) and slot for slot in self.approver_slots):
            raise ValidationError({"approver_slots": "Give at least one slot, each a non-empty list of roles."})
        bad = sorted({r for slot in self.approver_slots for r in slot if r not in Role.values})
        if bad:
            raise ValidationError({"approver_slots": f"Unknown roles: {', '.join(bad)}."})


class GateReviewQuerySet(models.QuerySet):
    def visible_to(self, user) -> "GateReviewQuerySet":
        """Reviews of the initiatives this user may see: pages and API agree on who sees a review. The whole
        portfolio (a leader's) needs no condition, rather than a join with every initiative."""
        visible = Initiative.objects.visible_to(user)
        return self.filter(initiative__in=visible) if visible.query.has_filters() else self.all()

    def for_approval_pages(self) -> "GateReviewQuerySet":
        """With each review, what the approval pages read: its initiative, policy and requester, its
        decisions and who took them, and the initiative's role holders (open_slots_for reads those)."""
        return self.select_related("initiative", "policy", "requested_by").prefetch_related(
            Prefetch("decisions", queryset=GateDecision.objects.select_related("decided_by")),
            Prefetch("initiative__role_assignments", queryset=RoleAssignment.objects.select_related("user")),
        )

    def for_review_rows(self) -> "GateReviewQuerySet":
        """Each review as a dict of only what a row of a review list shows (governance.reviews.ReviewRow): its
        initiative's title and risk tier, its requester's names, its policy's due days. Model instances of
        four tables cost more than rendering the rows."""
        return self.values(
            "pk",
            "gate",
            "status",
            "override_reason",
            "requested_at",
            title=F("initiative__title"),
            risk_tier=F("initiative__risk_tier"),
            due_days=F("policy__review_due_days"),
            requester=F("requested_by__username"),
            requester_first_name=F("requested_by__first_name"),
            requester_last_name=F("requested_by__last_name"),
        )


class GateReview(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Awaiting decision"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes-requested", "Changes requested"
        REJECTED = "rejected", "Rejected"
        HELD = "held", "Held"
        KILLED = "killed", "Killed"
        RECYCLED = "recycled", "Recycled"

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="gate_reviews")
    gate = models.CharField(max_length=20, choices=Gate.choices)
    policy = models.ForeignKey(GatePolicy, on_delete=models.PROTECT, related_name="reviews")
    from_stage = models.CharField(max_length=20, choices=Stage.choices)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    override_reason = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    criteria_results = models.JSONField(default=list)
    snapshot = models.JSONField(default=dict)
    snapshot_hash = models.CharField(max_length=64)
    closed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    objects = GateReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"], condition=Q(status="open"), name="governance_one_open_review_per_initiative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_gate_display()} for {self.initiative}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def due_at(self):
        return self.requested_at + timedelta(days=self.policy.review_due_days)

    @property
    def is_overdue(self) -> bool:
        return past_due(self.status, self.requested_at, self.policy.review_due_days)


def past_due(status: str, requested_at, due_days: int, now=None) -> bool:
    """An open review not decided within its policy's review_due_days of its request."""
    return status == GateReview.Status.OPEN and (now or timezone.now()) > requested_at + timedelta(days=due_days)


class GateDecision(models.Model):
    class Kind(models.TextChoices):
        APPROVE = "approve", "Approve"
        REQUEST_CHANGES = "request-changes", "Request changes"
        REJECT = "reject", "Reject"
        HOLD = "hold", "Hold"
        KILL = "kill", "Kill"
        RECYCLE = "recycle", "Recycle"

    review = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=20, choices=Kind.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The required role this approval fills (approvals only); its slot index in the policy.
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)
    slot = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    recycle_to = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    snapshot_hash = models.CharField(max_length=64)
    is_stale = models.BooleanField(default=False)
    decided_at = models.DateTimeField(default=timezone.now)
    # The executive checklist answers as they stood when this decision was taken (ChecklistAnswer.as_record).
    checklist = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            # One person counts for one required role only, and each role slot is filled once.
            models.UniqueConstraint(
                fields=["review", "decided_by"],
                condition=Q(decision="approve", is_stale=False),
                name="governance_one_live_approval_per_person",
            ),
            models.UniqueConstraint(
                fields=["review", "slot"],
                condition=Q(decision="approve", is_stale=False),
                name="governance_one_live_approval_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by}"
