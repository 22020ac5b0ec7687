"""The reusable-asset library: owned assets with immutable versions, moving labels and used-by links."""

import functools
import operator

from django.conf import settings
from django.db import connection, models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from initiatives.models import Initiative
from opmodel import clock
from opmodel.fields import NOTE_LENGTH, LimitedTextField


class AssetTag(models.Model):
    name = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AssetQuerySet(models.QuerySet):
    def with_source_for(self, user):
        """Whether `user` may see the initiative each asset was published from: the one rule for pages and API.

        The library is open to everyone signed in, the initiative is not: its name and link are
        shown only to those who may open it (Asset.revealed_source reads the annotation).
        """
        visible = Initiative.objects.visible_to(user).filter(pk=models.OuterRef("source_initiative_id"))
        return self.select_related("source_initiative").annotate(source_visible=models.Exists(visible))

    def search(self, text: str):
        """The assets holding every word of `text`, whole or as the start of a word ("triage prompt", "classif").

        A word is looked for in the name, the type ("prompt" finds prompt templates), the tags and the
        description. PostgreSQL runs a ranked full-text prefix query (name above type and tags above
        description); elsewhere each word is a case-insensitive substring, ranked by the words found in
        the name, then in the type.
        """
        words = text.split()
        if not words:
            return self
        if connection.vendor == "postgresql":
            return self._full_text_search(words)
        return self._substring_search(words)

    def _full_text_search(self, words: list[str]):
        from django.contrib.postgres.aggregates import StringAgg
        from django.contrib.postgres.search import SearchRank, SearchVector

        # All of an asset's tags as one text, so the search sees them together and joins nothing.
        tags = (
            AssetTag.objects.filter(assets=models.OuterRef("pk"))
            .values("assets")
            .annotate(text=StringAgg("name", " "))
            .values("text")
        )
        tag_text = Coalesce(models.Subquery(tags), Value(""), output_field=models.TextField())
        vector = (
            SearchVector("name", weight="A")
            + SearchVector("type", tag_text, weight="B")
            + SearchVector("description", weight="C")
        )
        query = functools.reduce(operator.and_, (_prefix_query(word) for word in words))
        matching = self.annotate(document=vector).filter(document=query)  # vector @@ query
        return matching.annotate(rank=SearchRank(vector, query)).order_by("-rank", "name")

    def _substring_search(self, words: list[str]):
        matches, rank = Q(), Value(0)
        for word in words:
            tagged = models.Exists(AssetTag.objects.filter(assets=models.OuterRef("pk"), name__icontains=word))
            matches &= Q(name__icontains=word) | Q(type__icontains=word) | Q(description__icontains=word) | tagged
            # A rough rank: a word in the name counts most, as on PostgreSQL, then one in the type.
            rank += models.Case(
                models.When(name__icontains=word, then=2), models.When(type__icontains=word, then=1), default=0
            )
        return self.filter(matches).annotate(rank=rank).order_by("-rank", "name")


def _prefix_query(word: str):
    """`word` as a quoted lexeme matching any word it starts: quoting and escaping keep `&`, `|`, `!` or `:`
    typed into the search box from being read as tsquery operators."""
    from django.contrib.postgres.search import SearchQuery

    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return SearchQuery(f"'{quoted}':*", search_type="raw")


class Asset(models.Model):
    class Type(models.TextChoices):
        PROMPT_TEMPLATE = "prompt-template", "Prompt template"
        EVALUATION_SET = "evaluation-set", "Evaluation set"
        WORKFLOW_DIAGRAM = "workflow-diagram", "Workflow diagram"
        PLAYBOOK = "playbook", "Playbook"
        MODEL_ROUTING_RULE = "model-routing-rule", "Model routing rule"
        SECURITY_REQUIREMENT = "security-requirement", "Security requirement"
        DATASET_REFERENCE = "dataset-reference", "Dataset reference"

    # What describes an asset and may change (update_asset: the API and the admin); its name, type and
    # owner are set when it is created, and its content lives in immutable versions.
    EDITABLE_FIELDS = ("description", "tags", "owner_team")
    # What the admin and the API both show of an asset, in this order; each adds its own few.
    SHOWN_FIELDS = (
        "slug",
        "name",
        "type",
        "description",
        "tags",
        "owner",
        "owner_team",
        "source_initiative",
        "created_at",
        "updated_at",
    )

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=30, choices=Type.choices)
    description = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    tags = models.ManyToManyField(AssetTag, blank=True, related_name="assets")
    owner_team = models.CharField("Owning team", max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="owned_assets"
    )
    source_initiative = models.ForeignKey(
        Initiative,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="published_assets",
        help_text="The initiative whose workflow this asset was published from.",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:asset_detail", args=[self.slug])

    def revealed_source(self) -> Initiative | None:
        """The initiative it was published from, if the viewer may see it; None when it was not checked."""
        if self.source_initiative_id and getattr(self, "source_visible", False):
            return self.source_initiative
        return None


class AssetVersion(models.Model):
    """Immutable: no code path updates or deletes a version (and PostgreSQL refuses it, migration 0006)."""

    # What a person gives to publish a version (publish_version): everything else is derived.
    EDITABLE_FIELDS = ("content", "changelog")

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.TextField()
    changelog = LimitedTextField(max_length=NOTE_LENGTH, blank=True)
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the content.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # When it was published: opmodel.clock, so the demo's versions carry the story's dates.
    created_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        ordering = ["asset", "-number"]
        constraints = [models.UniqueConstraint(fields=["asset", "number"], name="governance_asset_version_unique")]

    def __str__(self) -> str:
        return f"{self.asset} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An asset version is immutable; publish a new version instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An asset version is immutable and is never deleted.")


class AssetLabel(models.Model):
    """A named pointer such as `recommended` or `deprecated`; its moves are audited."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="labels")
    name = models.SlugField(max_length=40)
    version = models.ForeignKey(AssetVersion, on_delete=models.PROTECT, related_name="labels")
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["asset", "name"], name="governance_asset_label_unique")]

    def __str__(self) -> str:
        return f"{self.name} → v{self.version.number}"


class LabelMoveRequest(models.Model):
    """Security-requirement labels move only once a security/risk role holder approves."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting security approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="label_requests")
    name = models.SlugField(max_length=40)
    version = models.ForeignKey(AssetVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = LimitedTextField(max_length=NOTE_LENGTH, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.asset}: {self.name} → v{self.version.number} ({self.status})"


class AssetUsage(models.Model):
    """An initiative uses one pinned version of an asset ("used by")."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="asset_usages")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usages")
    version = models.ForeignKey(AssetVersion, on_delete=models.PROTECT, related_name="usages")
    adopted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["asset__name"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "asset"], name="governance_one_pinned_version_per_asset")
        ]

    def __str__(self) -> str:
        return f"{self.initiative} uses {self.version}"


class Notification(models.Model):
    """An in-app message, e.g. "a newer version of an asset you use was published"."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    # What does not fit a one-line message, in full: a decision's comment, for instance.
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.message
