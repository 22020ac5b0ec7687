"""The shadow-AI register: unsanctioned AI use people turn to when no sanctioned workflow serves them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from governance.models.assets import Asset
from governance.models.foundation import DataSource
from initiatives.models import Initiative
from opmodel.fields import NOTE_LENGTH, STATEMENT_LENGTH, LimitedTextField

NO_SANCTIONED_PATH = "Link the initiative or library asset that replaces this use: that link is the sanctioned path."


class ShadowAiUse(models.Model):
    """One tool used outside the sanctioned path by one team, as found, and what replaces it."""

    class FoundVia(models.TextChoices):
        SELF_REPORTED = "self-reported", "Self-reported"
        SURVEY = "survey", "Survey"
        EXPENSE_REPORT = "expense-report", "Expense report"
        PROXY_LOG = "proxy-log", "Proxy log import"

    class Status(models.TextChoices):
        UNTRIAGED = "untriaged", "Untriaged"
        SANCTIONED = "sanctioned", "Sanctioned path exists"
        NEEDS_PATH = "needs-path", "Needs a sanctioned path"
        BLOCKED = "blocked", "Blocked"

    # Still to act on: nobody has looked, or people wait for a sanctioned path.
    OPEN_STATUSES = (Status.UNTRIAGED, Status.NEEDS_PATH)
    # What the register's pages, API and services change; recorded_by and the dates are set by the services.
    EDITABLE_FIELDS = ("tool", "team", "people", "data_touched", "classification", "found_via", "notes")
    TRIAGE_FIELDS = ("status", "initiative", "asset")

    tool = models.CharField(max_length=150, help_text="e.g. ChatGPT (personal accounts).")
    team = models.CharField("Team / business unit", max_length=150)
    people = models.PositiveIntegerField("People using it", help_text="How many people, as far as is known.")
    data_touched = LimitedTextField(
        max_length=STATEMENT_LENGTH, blank=True, help_text="What data goes into the tool, e.g. customer emails."
    )
    classification = models.CharField(
        "Data classification", max_length=15, choices=DataSource.Classification.choices, blank=True
    )
    found_via = models.CharField("How it was found", max_length=20, choices=FoundVia.choices)
    status = models.CharField("Triage", max_length=12, choices=Status.choices, default=Status.UNTRIAGED)
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shadow_ai_uses",
        help_text="The initiative whose sanctioned workflow replaces this use.",
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shadow_ai_uses",
        verbose_name="Library asset",
        help_text="The library asset (a prompt template, a playbook…) that replaces this use.",
    )
    notes = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["status"], name="governance_shadow_status")]

    def __str__(self) -> str:
        return f"{self.tool} ({self.team})"

    def clean(self):
        if self.status == self.Status.SANCTIONED and not (self.initiative_id or self.asset_id):
            raise ValidationError({"initiative": NO_SANCTIONED_PATH})

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
