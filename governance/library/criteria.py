"""The reuse-ready gate's criteria from the asset library: the workflow published, a reuse review scheduled.

Each SQL condition reads the recompute's facts (kpis/scorecard_sql.py: its assets).
"""

from django.db.models import Count
from django.utils import timezone

from governance.criteria import criterion
from governance.criteria import now as criteria_now
from governance.library.services import WORKFLOW_ASSET_TYPES
from governance.models import Asset, Gate


def published_assets(initiative) -> list[Asset]:
    """The assets published from this initiative with their version_count, from the prefetch when there is one."""
    cached = getattr(initiative, "_prefetched_objects_cache", {}).get("published_assets")
    if cached is not None:
        return list(cached)
    return list(Asset.objects.filter(source_initiative=initiative).annotate(version_count=Count("versions")))


@criterion(
    "assets-published",
    "Workflow published as versioned assets (prompt templates, evaluation set, playbook)",
    gate=Gate.REUSE_READY,
    order=1,
    sql=f"f.workflow_assets = {len(WORKFLOW_ASSET_TYPES)}",
)
def workflow_published(initiative) -> tuple[bool, str]:
    have = {a.type for a in published_assets(initiative) if a.version_count}
    missing = [Asset.Type(kind).label.lower() for kind in WORKFLOW_ASSET_TYPES if kind not in have]
    if missing:
        return False, f"Not yet in the library: {', '.join(missing)}. Use “Publish as asset” on the initiative."
    return True, "Prompt template, evaluation set and playbook are published as versioned assets."


@criterion(
    "reuse-review-scheduled",
    "A reuse review is scheduled",
    gate=Gate.REUSE_READY,
    order=3,
    sql="f.reuse_review_on >= %(today)s",
)
def reuse_review_scheduled(initiative) -> tuple[bool, str]:
    when = initiative.reuse_review_on
    if when is None:
        return False, "No reuse review date is set."
    if when < timezone.localdate(criteria_now()):
        return False, f"The reuse review date ({when:%d %b %Y}) has passed; schedule the next one."
    return True, f"Reuse review on {when:%d %b %Y}."
