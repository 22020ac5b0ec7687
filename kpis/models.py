import json
import operator
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.urls import reverse

from initiatives.models import LAUNCHED, Initiative
from opmodel.fields import STATEMENT_LENGTH, LimitedTextField

KEY_VALIDATOR = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$",
    "Use lowercase letters, digits and hyphens, with dots between parts, e.g. support-triage.handle-time.",
)


class Objective(models.Model):
    """The root of an initiative's outcome tree: the business objective."""

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="objective")
    statement = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.statement


class Driver(models.Model):
    """An operational driver of the objective; KPIs hang under drivers."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="drivers")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class KpiQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(initiative__in=Initiative.objects.visible_to(user))

    def on_launched_initiatives(self):
        """KPIs of active, launched initiatives: the ones whose going stale is flagged and mailed to their owner."""
        return self.filter(initiative__status=Initiative.Status.ACTIVE, initiative__stage__in=LAUNCHED)

    def with_latest_values(self):
        """Each KPI with its newest point as latest_value and latest_at: one SQL statement for any number."""
        newest = Measurement.objects.filter(kpi=models.OuterRef("pk")).order_by("-timestamp", "source")
        return self.annotate(
            latest_value=models.Subquery(newest.values("value")[:1]),
            latest_at=models.Subquery(newest.values("timestamp")[:1]),
        )


class Kpi(models.Model):
    class Kind(models.TextChoices):
        LEADING = "leading", "Leading"
        LAGGING = "lagging", "Lagging"
        GUARDRAIL = "guardrail", "Guardrail"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase"
        DECREASE = "decrease", "Decrease"

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    class ValueMeasure(models.TextChoices):
        TIME_SAVED = "time-saved", "Time saved (hours per week)"
        TIME_REALLOCATED = "time-reallocated", "Time reallocated (hours per week)"

    class Category(models.TextChoices):
        OUTCOME = "outcome", "Outcome"
        ADOPTION = "adoption", "Adoption"
        PLATFORM = "platform", "Platform"
        COST = "cost", "Cost"
        VALUE = "value", "Value"

    class Cohort(models.TextChoices):
        """Cohort-based adoption: the share of the target cohort in each group (README, "Cohort adoption")."""

        POWER = "power", "Power users"
        OCCASIONAL = "occasional", "Occasional users"
        NON_ADOPTER = "non-adopter", "Non-adopters"

    # Adopters: the cohorts whose shares add up to adoption in the target cohort.
    ADOPTER_COHORTS = (Cohort.POWER, Cohort.OCCASIONAL)
    COHORT_UNIT = "%"

    # Set once, when the KPI is added: REST clients and CSV uploads push measurements to its key.
    CREATE_ONLY_FIELDS = ("key",)
    # What the KPI form, the KPI API, kpis.services and the admin change on an existing KPI.
    EDITABLE_FIELDS = (
        "driver",
        "name",
        "unit",
        "kind",
        "direction",
        "category",
        "baseline_value",
        "baseline_date",
        "target_value",
        "target_date",
        "guardrail_bound",
        "cadence",
        "value_measure",
        "cohort",
        "owner",
    )

    # Denormalised from driver.objective so ingest and scorecards join one table, not three.
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="kpis")
    driver = models.ForeignKey(Driver, on_delete=models.CASCADE, related_name="kpis")
    key = models.CharField(max_length=120, unique=True, validators=[KEY_VALIDATOR])
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, help_text="e.g. minutes, %, EUR, hours/week")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.OUTCOME)
    baseline_value = models.FloatField(null=True, blank=True)
    baseline_date = models.DateField(null=True, blank=True)
    target_value = models.FloatField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    guardrail_bound = models.FloatField(
        null=True,
        blank=True,
        help_text="Guardrails only: the worst acceptable value (a maximum when the KPI should decrease).",
    )
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_kpis"
    )
    value_measure = models.CharField(
        "Value realisation",
        max_length=20,
        choices=ValueMeasure.choices,
        blank=True,
        help_text="Mark the KPIs that count hours saved and hours reallocated to higher-value work.",
    )
    cohort = models.CharField(
        "Adoption cohort",
        max_length=12,
        choices=Cohort.choices,
        blank=True,
        help_text="For adoption by cohort: the share (%) of the target cohort this KPI counts. One KPI per cohort.",
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KpiQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"

    def get_absolute_url(self) -> str:
        return reverse("kpis:detail", args=[self.key])

    @property
    def has_baseline_and_target(self) -> bool:
        return None not in (self.baseline_value, self.baseline_date, self.target_value, self.target_date)

    def clean(self):
        errors = {}
        if self.kind == self.Kind.GUARDRAIL and self.guardrail_bound is None:
            errors["guardrail_bound"] = "A guardrail needs a bound: the worst value it may reach."
        if self.baseline_value is not None and self.target_value is not None:
            if self.direction == self.Direction.DECREASE and self.target_value >= self.baseline_value:
                errors["target_value"] = "This KPI should decrease, so its target must be below its baseline."
            if self.direction == self.Direction.INCREASE and self.target_value <= self.baseline_value:
                errors["target_value"] = "This KPI should increase, so its target must be above its baseline."
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = "The target date must come after the baseline date."
        errors.update(self._cohort_errors())
        if errors:
            raise ValidationError(errors)

    def _cohort_errors(self) -> dict:
        """A cohort KPI is a share of the target cohort, in %, and each cohort has one KPI per initiative, so
        the shares add up (the services check it under the initiative's lock)."""
        if not self.cohort:
            return {}
        if self.unit.strip() != self.COHORT_UNIT:
            return {"unit": "A cohort KPI counts a share of the target cohort: its unit is %."}
        if self.initiative_id is None:
            return {}
        taken = Kpi.objects.filter(initiative_id=self.initiative_id, cohort=self.cohort).exclude(pk=self.pk).first()
        if taken is not None:
            label = self.Cohort(self.cohort).label.lower()
            return {"cohort": f"This initiative counts its {label} already, in {taken.name} ({taken.key})."}
        return {}


class AfterActionReview(models.Model):
    """The framework's after-action review of a launched initiative: what work AI removed, what higher-value
    work replaced it and what measurable result followed, with the KPIs that show that result. The
    scale-out gate asks for it (kpis.criteria.after_action_review); kpis.services.save_after_action_review
    writes it, audited."""

    # What the page's form, the API and the admin show and kpis.services.save_after_action_review writes.
    EDITABLE_FIELDS = ("held_on", "work_removed", "work_replacing", "result", "kpis")
    ANSWERS = ("work_removed", "work_replacing", "result")

    initiative = models.OneToOneField(Initiative, on_delete=models.CASCADE, related_name="after_action_review")
    held_on = models.DateField("Held on", help_text="The day the team looked back; not in the future.")
    work_removed = LimitedTextField(
        "What work did AI remove?",
        max_length=STATEMENT_LENGTH,
        help_text="e.g. “Agents no longer read and tag every incoming ticket by hand.”",
    )
    work_replacing = LimitedTextField(
        "What higher-value work replaced it?",
        max_length=STATEMENT_LENGTH,
        help_text="What people do with the time, e.g. “Tier 1 agents call back customers at risk of churning.”",
    )
    result = LimitedTextField(
        "What measurable result followed?",
        max_length=STATEMENT_LENGTH,
        help_text="In numbers, e.g. “Handling time down from 14 to 9 minutes; 6 hours a week reallocated.”",
    )
    kpis = models.ManyToManyField(
        Kpi,
        related_name="after_action_reviews",
        verbose_name="KPIs that show the result",
        help_text="The initiative's KPIs whose numbers show the result; at least one.",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "after-action review"

    def __str__(self) -> str:
        return f"After-action review of {self.initiative} ({self.held_on:%d %b %Y})"


class IngestBatch(models.Model):
    """Provenance of one push of measurements: who, with which token, and what it changed."""

    class Channel(models.TextChoices):
        API = "api", "REST API"
        CSV = "csv", "CSV upload"
        SEED = "seed", "Demo data"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey("governance.ApiToken", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    received = models.PositiveIntegerField()
    created = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    unchanged = models.PositiveIntegerField()
    kpi_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ingest batches"

    def __str__(self) -> str:
        return f"{self.received} points by {self.user} ({self.created_at:%Y-%m-%d %H:%M})"


class Measurement(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    timestamp = models.DateTimeField()
    value = models.FloatField()
    source = models.CharField(max_length=100, default="api")
    # Which push wrote the current value. No constraint or index: batches are never
    # deleted, and skipping both keeps the bulk write close to raw COPY speed.
    batch = models.ForeignKey(
        IngestBatch,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi", "timestamp", "source"], name="kpis_measurement_one_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.kpi.key} @ {self.timestamp:%Y-%m-%d %H:%M}: {self.value}"


class JSONTextField(models.TextField):
    """JSON kept as text. The recompute writes these lists as JSON text it builds in SQL; a jsonb column
    would make PostgreSQL parse every one of them again, for nothing, since no query looks inside."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value, cls=DjangoJSONEncoder)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


# The failure modes a scorecard can flag, in the framework's order (kpis.scorecards raises them).
FLAG_LABELS = {
    "pilot-theater": "Pilot theater",
    "no-scale-owner": "No scale owner",
    "stale-data": "Stale data",
    "approval-overdue": "Approval overdue",
    "behind-plan": "Behind plan",
    "cost-rising": "Cost rising",
    "drift-rising": "Drift rising",
}
# Each flag's bit in Scorecard.flag_bits.
FLAG_BITS = {code: 1 << n for n, code in enumerate(FLAG_LABELS)}


def flag_needle(code: str) -> str:
    """What finds a flag code in a card's flags, stored as JSON text: a code is a quoted identifier that no
    label or reason spells with quotes, whatever spacing the writer used."""
    return f'"{code}"'


def _flag_bits():
    """The flags' codes as bits (FLAG_BITS), from the JSON text: FLAG_BITS[code] set when the code is there."""
    found = (
        models.Case(
            models.When(GreaterThan(StrIndex("flags", models.Value(flag_needle(code))), 0), then=models.Value(bit)),
            default=models.Value(0),
        )
        for code, bit in FLAG_BITS.items()
    )
    return reduce(operator.add, found)


class ScorecardQuerySet(models.QuerySet):
    def newest_first(self, *, as_of=None) -> "ScorecardQuerySet":
        """Newest first, of those computed at or before `as_of` (default: all): the first is the scorecard
        that stood then. For one initiative, the (initiative, computed_at, id) index finds it in one probe."""
        cards = self if as_of is None else self.filter(computed_at__lte=as_of)
        return cards.order_by("-computed_at", "-id")

    def latest_per_initiative(self, *, as_of=None, initiatives=None):
        """The newest scorecard of each initiative (default: all) computed at or before `as_of` (default: now).

        Now: the cards marked is_latest, read through their partial index. As of a moment gone by: one
        index probe per initiative rather than one per stored snapshot.
        """
        if as_of is None:
            cards = self.filter(is_latest=True)
            return (cards if initiatives is None else cards.filter(initiative__in=initiatives)).order_by()
        initiatives = Initiative.objects.all() if initiatives is None else initiatives
        return self.filter(id__in=_newest_ids(initiatives, as_of=as_of)).order_by()

    def settle_latest(self, initiatives) -> None:
        """Mark each of `initiatives`' newest snapshot is_latest, and unmark the one it replaced: what a writer
        of snapshots that may not be the newest calls once it has written (save; the recompute as of a day
        gone by). The scheduled recompute marks its own (kpis.scorecard_sql)."""
        newest = _newest_ids(Initiative.objects.filter(pk__in=initiatives))
        replaced = Scorecard.objects.filter(is_latest=True, initiative__in=initiatives).exclude(id__in=newest)
        replaced.update(is_latest=False)
        Scorecard.objects.filter(id__in=newest, is_latest=False).update(is_latest=True)


def _newest_ids(initiatives, *, as_of=None):
    """The ids of `initiatives`' newest scorecards computed at or before `as_of` (default: all)."""
    newest = Scorecard.objects.filter(initiative=models.OuterRef("pk")).newest_first(as_of=as_of).values("id")[:1]
    return initiatives.annotate(card_id=models.Subquery(newest)).values("card_id")


class Scorecard(models.Model):
    """An immutable snapshot of one initiative's scorecard; every recompute adds one.

    It stores figures, not prose: `kpis.scorecards.present` adds reasons and labels when it is shown.
    """

    # Each KPI is stored as a list of these figures, compact to write for thousands of KPIs at once.
    KPI_FIELDS = ("kpi", "key", "position", "status", "stale", "latest_value", "latest_at", "progress", "expected")

    class Health(models.TextChoices):
        GREEN = "green", "Green"
        AMBER = "amber", "Amber"
        RED = "red", "Red"
        NO_DATA = "no-data", "No data"

    class Confidence(models.TextChoices):
        FRESH = "fresh", "Fresh"
        STALE = "stale", "Stale"

    class Diagnosis(models.TextChoices):
        """The framework's diagnosis from platform health, adoption and the cost trend (kpis/telemetry.py)."""

        ARCHITECTURE = "architecture", "Next optimization: architecture"
        CHANGE_MANAGEMENT = "change-management", "Bottleneck: change management"
        PLATFORM_HEALTH = "platform-health", "Bottleneck: platform health"
        ON_TRACK = "on-track", "Platform and adoption on track"
        NOT_ENOUGH_DATA = "not-enough-data", "Not enough data to diagnose"

    class CostSource(models.TextChoices):
        MEASURED = "measured", "Measured (latest cost KPI point)"
        CHARTER = "charter", "Charter estimate"

    # No database-level foreign key or index of its own: snapshots are written only by the recompute,
    # from initiatives that exist, and checking 2,000 of them at commit took as long as a sixth of the
    # recompute; Django's CASCADE still removes them with their initiative, and kpis_scorecard_latest
    # (initiative, computed_at, id) serves every lookup by initiative.
    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="scorecards", db_constraint=False, db_index=False
    )
    computed_at = models.DateTimeField()
    stage = models.CharField(max_length=20)
    status = models.CharField(max_length=10)
    health = models.CharField(max_length=10, choices=Health.choices)
    confidence = models.CharField(max_length=10, choices=Confidence.choices)
    next_gate = models.CharField(max_length=20, blank=True)
    readiness_met = models.PositiveSmallIntegerField(default=0)
    readiness_total = models.PositiveSmallIntegerField(default=0)
    missing_roles = models.JSONField(default=list)
    flags = JSONTextField(default=list, help_text="Failure modes found, each {code, label, ...figures}.")
    time_saved_hours = models.FloatField(null=True, blank=True)
    time_reallocated_hours = models.FloatField(null=True, blank=True)
    modelled_value = models.FloatField(null=True, blank=True, help_text="Time saved × hourly rate, per week.")
    realised_value = models.FloatField(null=True, blank=True, help_text="Time reallocated × hourly rate, per week.")
    cost_per_transaction = models.FloatField(null=True, blank=True)
    monthly_cost = models.FloatField(null=True, blank=True)
    monthly_cost_at_2x = models.FloatField(null=True, blank=True)
    cost_source = models.CharField(
        max_length=10,
        choices=CostSource.choices,
        blank=True,
        help_text="Where the cost per transaction comes from; blank when it is unknown.",
    )
    diagnosis = models.CharField(max_length=20, choices=Diagnosis.choices, default=Diagnosis.NOT_ENOUGH_DATA)
    telemetry = JSONTextField(
        default=dict,
        help_text="The figures behind the diagnosis: platform, adoption and cost levels, their KPIs, the trend.",
    )
    # Written by the database from `flags`, whoever writes the card: counting 2,000 cards' flags by searching
    # their text took a fifth of the portfolio's summary; testing a bit, a twentieth.
    flag_bits = models.GeneratedField(
        expression=_flag_bits(),
        output_field=models.IntegerField(),
        db_persist=True,
        help_text="The codes in `flags` as bits: FLAG_BITS[code] set when it is raised.",
    )
    kpis = JSONTextField(default=list, help_text="Each KPI as a list of KPI_FIELDS.")
    criteria = JSONTextField(default=list, help_text="The next gate's criteria, each {key, status}.")
    # The one mark a snapshot's writers change afterwards (ScorecardQuerySet.settle_latest): pages of the
    # whole portfolio read today's cards as one scan of a small partial index, where finding each
    # initiative's newest among its history took one probe per initiative (13 ms at 2,000).
    is_latest = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="The initiative's newest snapshot, the one that stands now.",
    )

    objects = ScorecardQuerySet.as_manager()

    class Meta:
        ordering = ["-computed_at", "-id"]
        # Newest first to the last tie-breaker, as newest_first orders: the probe reads one entry, no sort.
        indexes = [
            models.Index(fields=["initiative", "-computed_at", "-id"], name="kpis_scorecard_latest"),
            # Today's cards alone: one per initiative, read in one scan. (Not a unique index: the recompute
            # writes the new mark before it clears the old one, in one transaction.)
            models.Index(fields=["initiative"], condition=models.Q(is_latest=True), name="kpis_scorecard_today"),
            # Today's cards by realised value: the portfolio chart's largest fifty are its first entries.
            models.Index(
                fields=["-realised_value", "initiative"],
                condition=models.Q(is_latest=True, realised_value__isnull=False),
                name="kpis_scorecard_top_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative} {self.health} @ {self.computed_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        Scorecard.objects.settle_latest([self.initiative_id])
        self.refresh_from_db(fields=["is_latest"])

    def kpi_rows(self) -> list[dict]:
        """Each KPI's stored figures by name, in display order."""
        rows = [dict(zip(self.KPI_FIELDS, figures, strict=True)) for figures in self.kpis]
        return sorted(rows, key=lambda row: (row["position"], row["kpi"]))


class JobLease(models.Model):
    """A named lease taken with a conditional UPDATE, so a scheduled job runs at most once until it expires
    (the stale-KPI emails: once a day, however many beats ask)."""

    name = models.CharField(max_length=60, primary_key=True)
    holder = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder or 'nobody'} until {self.expires_at:%H:%M:%S}"
