"""The reusable-asset library pages."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from governance.errors import TransitionError
from governance.library import content as asset_content
from governance.library import services as library
from governance.library.filters import AssetFilter
from governance.library.forms import (
    AdoptAssetForm,
    AssetForm,
    LabelMoveForm,
    LibraryFilterForm,
    PublishVersionForm,
    ReuseReviewForm,
    ReuseReviewOutcomeForm,
    VersionPairForm,
    WorkflowPublishForm,
)
from governance.models import Asset, AssetLabel, AssetTag, AssetVersion, LabelMoveRequest
from governance.permissions import can_approve_security_labels, can_curate_asset, can_edit
from initiatives.models import Initiative
from initiatives.shortcuts import get_initiative_for_user, tab_url
from opmodel.forms import apply_errors, form_page, save_form

PAGE_SIZE = 20
NOTIFICATIONS_PAGE_SIZE = 50


def _get_asset(request, slug) -> Asset:
    """Every signed-in user may read the library; unknown slugs are a 404."""
    queryset = Asset.objects.with_source_for(request.user).select_related("owner").prefetch_related("tags")
    return get_object_or_404(queryset, slug=slug)


@login_required
def asset_list(request):
    form = _filter_form(request.GET)
    form.is_valid()  # an unknown choice is reported next to its filter and ignored
    ids = _matching_ids(form.cleaned_data)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "assets": _asset_rows(page.object_list),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "governance/asset_list.html", context)


def _filter_form(data) -> LibraryFilterForm:
    teams = Asset.objects.exclude(owner_team="").order_by("owner_team").values_list("owner_team", flat=True)
    return LibraryFilterForm(
        data,
        tags=AssetTag.objects.filter(assets__isnull=False).distinct().values_list("name", flat=True),
        teams=teams.distinct(),
        owners=get_user_model().objects.filter(owned_assets__isnull=False).distinct().order_by("username"),
        labels=AssetLabel.objects.order_by("name").values_list("name", flat=True).distinct(),
    )


def _matching_ids(filters: dict) -> list[int]:
    """The valid filters' matches, through the FilterSet the API uses too, so each filter means the same on both."""
    assets = AssetFilter(filters, queryset=Asset.objects.order_by("name", "slug")).qs
    return list(assets.values_list("pk", flat=True))


def _asset_rows(ids: list[int]) -> list[Asset]:
    assets = (
        Asset.objects.filter(pk__in=ids)
        .select_related("owner")
        .prefetch_related("tags", Prefetch("labels", queryset=AssetLabel.objects.select_related("version")))
        .annotate(latest_number=Max("versions__number"), used_by=Count("usages", distinct=True))
    )
    by_pk = {asset.pk: asset for asset in assets}
    return [by_pk[pk] for pk in ids if pk in by_pk]


@login_required
def asset_create(request):
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            asset = library.create_asset(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{asset.name} v1 is in the library.")
            return redirect(asset)
    return render(request, "governance/asset_form.html", {"form": form})


@login_required
def asset_detail(request, slug):
    asset = _get_asset(request, slug)
    versions = list(asset.versions.select_related("author"))
    form = PublishVersionForm(request.POST or None, initial={"content": versions[0].content if versions else ""})
    if request.method == "POST":
        if not can_curate_asset(request.user, asset):
            raise PermissionDenied(f"Only {can_curate_asset.who} may publish.")
        if form.is_valid():
            try:
                version = library.publish_version(asset.pk, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"Published v{version.number}. Initiatives on older versions were told.")
                return redirect(asset)
    return render(request, "governance/asset_detail.html", _detail_context(request, asset, versions, form))


def _detail_context(request, asset: Asset, versions: list[AssetVersion], publish_form) -> dict:
    shown = _shown_version(request, asset, versions)
    numbers = [v.number for v in versions]
    usages = list(
        asset.usages.filter(initiative__in=Initiative.objects.visible_to(request.user)).select_related(
            "initiative", "version"
        )
    )
    return {
        "asset": asset,
        "source_initiative": asset.revealed_source(),  # named only to those who may see it, as in the API
        "versions": versions,
        "shown": shown,
        "rendered": asset_content.render(asset.type, shown.content) if shown else "",
        "variables": asset_content.prompt_variables(shown.content)
        if shown and asset.type == Asset.Type.PROMPT_TEMPLATE
        else [],
        "labels": list(asset.labels.select_related("version", "moved_by")),
        "pending": _pending_requests(request.user, asset),
        "needs_approval": asset.type == Asset.Type.SECURITY_REQUIREMENT,
        "can_curate": can_curate_asset(request.user, asset),
        "publish_form": publish_form,
        "label_form": LabelMoveForm(numbers=numbers, initial={"version": numbers[0] if numbers else None}),
        "compare_form": VersionPairForm(numbers=numbers, initial=_default_pair(numbers)),
        "usages": usages,
        "hidden_usages": asset.usages.count() - len(usages),
    }


def _shown_version(request, asset: Asset, versions: list[AssetVersion]) -> AssetVersion | None:
    wanted = request.GET.get("version", "").strip()
    match = next((v for v in versions if str(v.number) == wanted), None)
    if wanted and match is None:
        messages.warning(request, f"{asset.name} has no version “{wanted[:20]}”; showing the latest.")
    return match or (versions[0] if versions else None)


def _pending_requests(user, asset: Asset) -> list[LabelMoveRequest]:
    """Pending label moves; only a security/risk holder who did not ask may decide one."""
    approver = can_approve_security_labels(user)
    pending = list(
        asset.label_requests.filter(status=LabelMoveRequest.Status.PENDING).select_related("version", "requested_by")
    )
    for label_request in pending:
        label_request.decidable = approver and label_request.requested_by_id != user.pk
    return pending


def _default_pair(numbers: list[int]) -> dict:
    """Compare the latest version with the one before it (numbers are newest first); nothing while there is one."""
    return {"from": numbers[1], "to": numbers[0]} if len(numbers) > 1 else {}


@login_required
def asset_diff(request, slug):
    asset = _get_asset(request, slug)
    versions = {v.number: v for v in asset.versions.all()}
    numbers = sorted(versions, reverse=True)
    form = VersionPairForm(request.GET or _default_pair(numbers) or None, numbers=numbers)
    pair, lines = None, []
    if form.is_valid():
        pair = (versions[form.cleaned_data["from"]], versions[form.cleaned_data["to"]])
        lines = asset_content.diff(
            pair[0].content, pair[1].content, old_label=f"v{pair[0].number}", new_label=f"v{pair[1].number}"
        )
    context = {"asset": asset, "form": form, "pair": pair, "lines": lines, "single": len(numbers) < 2}
    return render(request, "governance/asset_diff.html", context)


@login_required
@require_POST
def label_move(request, slug):
    asset = _get_asset(request, slug)
    if not can_curate_asset(request.user, asset):
        raise PermissionDenied(f"Only {can_curate_asset.who} may move labels.")
    form = LabelMoveForm(request.POST, numbers=list(asset.versions.values_list("number", flat=True)))

    def write(data):
        return library.move_label(asset.pk, acting_user=request.user, name=data["name"], version_number=data["version"])

    moved = save_form(form, write)
    if not moved:
        back = (asset.name, asset.get_absolute_url())
        return form_page(request, form, title="Move label", submit="Move label", back=back)
    messages.success(request, _label_message(moved))
    return redirect(asset)


def _label_message(moved) -> str:
    if isinstance(moved, LabelMoveRequest):
        return f"“{moved.name}” → v{moved.version.number} now awaits approval by a security/risk role holder."
    return f"“{moved.name}” now points at v{moved.version.number}."


@login_required
@require_POST
def label_decide(request, slug, pk):
    asset = _get_asset(request, slug)
    label_request = get_object_or_404(asset.label_requests, pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, "Choose Approve or Reject.")
        return redirect(asset)
    try:
        decided = library.decide_label_request(
            label_request.pk, acting_user=request.user, approve=decision == "approve"
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Label move “{decided.name}” → v{decided.version.number}: {decided.status}.")
    return redirect(asset)


@login_required
def notification_list(request):
    page = Paginator(request.user.notifications.all(), NOTIFICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/notifications.html", {"page": page})


@login_required
@require_POST
def notifications_read(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("governance:notifications")


@login_required
@require_POST
def asset_adopt(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = AdoptAssetForm(request.POST)

    def write(data):
        asset, number = data["asset"], data["version"]
        return library.adopt_version(initiative.pk, acting_user=request.user, asset=asset, version_number=number)

    usage = save_form(form, write)
    if not usage:
        back = (initiative.title, tab_url(initiative, "assets"))
        return form_page(request, form, title="Use a library asset", submit="Use this asset", back=back)
    messages.success(request, f"This initiative now uses {usage.asset.name} v{usage.version.number}.")
    return redirect(tab_url(initiative, "assets"))


@login_required
@require_POST
def reuse_review_schedule(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = ReuseReviewForm(request.POST)
    if not save_form(form, lambda data: library.schedule_reuse_review(initiative.pk, acting_user=request.user, **data)):
        back = (initiative.title, tab_url(initiative, "assets"))
        return form_page(request, form, title="Schedule the reuse review", submit="Schedule reuse review", back=back)
    messages.success(request, f"Reuse review scheduled for {form.cleaned_data['on']:%-d %B %Y}.")
    return redirect(tab_url(initiative, "assets"))


@login_required
@require_POST
def reuse_review_outcome(request, slug):
    initiative = get_initiative_for_user(request, slug)
    form = ReuseReviewOutcomeForm(request.POST)
    if not save_form(
        form, lambda data: library.record_reuse_review_outcome(initiative.pk, acting_user=request.user, **data)
    ):
        back = (initiative.title, tab_url(initiative, "assets"))
        return form_page(request, form, title="Record the reuse review's outcome", submit="Record outcome", back=back)
    messages.success(request, "Reuse review outcome recorded.")
    return redirect(tab_url(initiative, "assets"))


@login_required
def workflow_publish(request, slug):
    initiative = get_initiative_for_user(request, slug)
    if not can_edit(request.user, initiative):
        raise PermissionDenied(f"Only {can_edit.who} may publish its workflow.")
    form = WorkflowPublishForm(
        request.POST or None, listings=library.workflow_listings(initiative), contents=_published_contents(initiative)
    )
    if request.method == "POST" and form.is_valid():
        try:
            published = library.publish_workflow(
                initiative.pk,
                acting_user=request.user,
                contents=form.contents(),
                listings=form.listings(),
                changelog=form.cleaned_data["changelog"],
            )
        except ValidationError as exc:
            apply_errors(form, _by_field(exc))
        except PermissionDenied as exc:  # an editor of the initiative who may not curate an asset it published
            form.add_error(None, str(exc))
        else:
            listed = ", ".join(f"{v.asset.name} v{v.number}" for v in published)
            messages.success(request, f"Published to the library: {listed}.")
            return redirect(tab_url(initiative, "assets"))
    return render(request, "governance/workflow_publish.html", {"initiative": initiative, "form": form})


def _by_field(error: ValidationError) -> ValidationError:
    """The service names errors by asset type ("prompt-template", "playbook-name"); form fields use underscores."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({field.replace("-", "_"): errors for field, errors in error.message_dict.items()})


def _published_contents(initiative: Initiative) -> dict[str, str]:
    """The latest content of the assets this initiative published before, by workflow type."""
    versions = (
        AssetVersion.objects.filter(asset__source_initiative=initiative, asset__type__in=library.WORKFLOW_ASSET_TYPES)
        .select_related("asset")
        .order_by("-asset_id", "number")
    )
    # Later rows win: the oldest asset of a type (the one publish_workflow republishes) at its newest version.
    return {v.asset.type: v.content for v in versions}
