"""The initiative page's "Reusable assets" panel: built here, not in a view, so that page imports no library view."""

from django.db.models import Max

from governance.library.forms import AdoptAssetForm, ReuseReviewForm, ReuseReviewOutcomeForm
from governance.library.services import reuse_review_outcome
from governance.models import AssetUsage
from governance.permissions import can_record_reuse_review
from initiatives.models import Initiative


def library_context(initiative: Initiative, user) -> dict:
    """The "Reusable assets" panel of the initiative page: pinned versions, newer ones, and its forms."""
    usages = list(
        AssetUsage.objects.filter(initiative=initiative)
        .select_related("asset", "version")
        .annotate(latest_number=Max("asset__versions__number"))
    )
    for usage in usages:
        usage.newer_number = usage.latest_number if usage.latest_number > usage.version.number else None
    return {
        "asset_usages": usages,
        "adopt_form": AdoptAssetForm(),
        "reuse_review_form": ReuseReviewForm(initial={"on": initiative.reuse_review_on}),
        "reuse_outcome_form": ReuseReviewOutcomeForm(initial=reuse_review_outcome(initiative)),
        "may_record_reuse_review": can_record_reuse_review(user, initiative),
    }
