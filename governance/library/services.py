"""Verbs on the reusable-asset library. Each is one transaction with its audit row."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from governance import audit
from governance.errors import TransitionError
from governance.library import content as asset_content
from governance.models import (
    Asset,
    AssetLabel,
    AssetTag,
    AssetUsage,
    AssetVersion,
    LabelMoveRequest,
    Notification,
    sha256_hex,
)
from governance.permissions import can_approve_security_labels, can_curate_asset, can_edit, can_record_reuse_review
from initiatives.locking import lock_initiative
from initiatives.models import Initiative, Role, RoleAssignment
from opmodel import clock

# What "publish as asset" turns an initiative's workflow into.
WORKFLOW_ASSET_TYPES = (Asset.Type.PROMPT_TEMPLATE, Asset.Type.EVALUATION_SET, Asset.Type.PLAYBOOK)
# Paths under /library/ that are pages, not assets: an asset named "New" must not hide the form.
RESERVED_SLUGS = frozenset({"new"})
CHANGELOG_NEEDED = "Say what changed, so consumers can decide whether to move."


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "asset"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Asset.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _tag_names(tags) -> list[str]:
    """Tags as stored: slugs, sorted, each once."""
    return sorted({slugify(t)[:50] for t in tags if slugify(t)})


def _set_tags(asset: Asset, tags: list[str]) -> None:
    asset.tags.set([AssetTag.objects.get_or_create(name=name)[0] for name in _tag_names(tags)])


@transaction.atomic
def create_asset(
    *,
    acting_user,
    name: str,
    type: str,
    content: str,
    changelog: str = "Initial version.",
    description: str = "",
    tags: list[str] = (),
    owner_team: str = "",
    owner=None,
    source_initiative: Initiative | None = None,
) -> Asset:
    if type not in Asset.Type.values:
        raise ValidationError({"type": f"Choose one of: {', '.join(Asset.Type.values)}."})
    if not name.strip():
        raise ValidationError({"name": "Name the asset."})
    content = asset_content.normalise(content)
    asset_content.validate(type, content)
    asset = Asset.objects.create(
        slug=_unique_slug(name),
        name=name.strip(),
        type=type,
        description=description,
        owner_team=owner_team,
        owner=owner or acting_user,
        source_initiative=source_initiative,
        created_by=acting_user,
    )
    _set_tags(asset, list(tags))
    audit.record(
        "asset.created",
        asset,
        actor=acting_user,
        initiative_id=source_initiative.pk if source_initiative else None,
        after={"slug": asset.slug, "type": type, "owner_team": owner_team},
    )
    _add_version(asset, acting_user, content, changelog)
    return asset


@transaction.atomic
def publish_version(asset_id: int, *, acting_user, content: str, changelog: str, notify: bool = True) -> AssetVersion:
    """A new immutable version; consumers of older versions are told (unless the caller tells them later)."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if not can_curate_asset(acting_user, asset):
        raise PermissionDenied(f"Only {can_curate_asset.who} may publish.")
    content = asset_content.normalise(content)
    asset_content.validate(asset.type, content)
    if not changelog.strip():
        raise ValidationError({"changelog": CHANGELOG_NEEDED})
    latest = asset.versions.order_by("-number").first()
    if latest and latest.checksum == sha256_hex(content):
        raise ValidationError({"content": f"Identical to v{latest.number}; nothing to publish."})
    version = _add_version(asset, acting_user, content, changelog)
    if notify:
        _tell_consumers(asset, version)
    return version


def _add_version(asset: Asset, author, content: str, changelog: str) -> AssetVersion:
    number = (asset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = AssetVersion.objects.create(
        asset=asset,
        number=number,
        content=content,
        changelog=changelog.strip(),
        checksum=sha256_hex(content),
        author=author,
    )
    Asset.objects.filter(pk=asset.pk).update(updated_at=timezone.now())
    audit.record(
        "asset.version_published",
        version,
        actor=author,
        initiative_id=asset.source_initiative_id,
        after={"asset": asset.slug, "number": number, "checksum": version.checksum, "changelog": changelog},
    )
    return version


def _tell_consumers(asset: Asset, version: AssetVersion) -> None:
    """In-app notifications for the people behind initiatives pinned to an older version (emailed by beat)."""
    outdated = AssetUsage.objects.filter(asset=asset, version__number__lt=version.number)
    initiatives = list(outdated.values_list("initiative_id", flat=True))
    adopters = set(outdated.values_list("adopted_by_id", flat=True))
    told = [Role.PRODUCT_MANAGER, Role.SERVICE_OWNER, Role.PLATFORM_ENGINEERING]
    holders = set(
        RoleAssignment.objects.filter(initiative_id__in=initiatives, role__in=told).values_list("user_id", flat=True)
    )
    url = reverse("governance:asset_detail", args=[asset.slug])
    Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            url=url,
            message=f"A newer version of {asset.name} (v{version.number}) is available: {version.changelog}"[:300],
        )
        for user_id in sorted((adopters | holders) - {version.author_id})  # the author knows already
    )


@transaction.atomic
def move_label(asset_id: int, *, acting_user, name: str, version_number: int):
    """Point a label at a version. Security requirements wait for a security/risk approval instead."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if not can_curate_asset(acting_user, asset):
        raise PermissionDenied(f"Only {can_curate_asset.who} may move labels.")
    name = slugify(name)[:40]
    if not name:
        raise ValidationError({"name": "Name the label, e.g. recommended or deprecated."})
    version = asset.versions.filter(number=version_number).first()
    if version is None:
        raise ValidationError({"version": f"{asset.name} has no version {version_number}."})
    if asset.type == Asset.Type.SECURITY_REQUIREMENT:
        request = LabelMoveRequest.objects.create(asset=asset, name=name, version=version, requested_by=acting_user)
        audit.record(
            "asset.label_requested",
            request,
            actor=acting_user,
            after={"asset": asset.slug, "label": name, "version": version.number},
        )
        return request
    return _point_label(asset, name, version, acting_user)


def _point_label(asset: Asset, name: str, version: AssetVersion, user) -> AssetLabel:
    label = AssetLabel.objects.filter(asset=asset, name=name).select_related("version").first()
    before = {"label": name, "version": label.version.number} if label else None
    if label is None:
        label = AssetLabel(asset=asset, name=name)
    label.version, label.moved_by = version, user
    label.save()
    audit.record(
        "asset.label_moved",
        label,
        actor=user,
        before=before,
        after={"asset": asset.slug, "label": name, "version": version.number},
    )
    return label


@transaction.atomic
def decide_label_request(request_id: int, *, acting_user, approve: bool, comment: str = "") -> LabelMoveRequest:
    request = LabelMoveRequest.objects.select_for_update().select_related("asset", "version").get(pk=request_id)
    if request.status != LabelMoveRequest.Status.PENDING:
        raise TransitionError(f"This label move was already {request.get_status_display().lower()}.")
    if request.requested_by_id == acting_user.pk:
        raise PermissionDenied("You asked for this label move, so someone else must approve it.")
    if not can_approve_security_labels(acting_user):
        raise PermissionDenied("Only a security/risk role holder may approve labels on security requirements.")
    request.status = LabelMoveRequest.Status.APPROVED if approve else LabelMoveRequest.Status.REJECTED
    request.decided_by, request.decided_at, request.comment = acting_user, timezone.now(), comment.strip()
    request.save()
    audit.record(
        "asset.label_request_decided",
        request,
        actor=acting_user,
        after={"asset": request.asset.slug, "label": request.name, "status": request.status},
    )
    if approve:
        _point_label(request.asset, request.name, request.version, acting_user)
    return request


@transaction.atomic
def adopt_version(initiative_id: int, *, acting_user, asset: Asset, version_number: int | None = None) -> AssetUsage:
    """Pin an initiative to a version of an asset (the latest when none is named)."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="adopt assets")
    versions = asset.versions.order_by("-number")
    version = versions.filter(number=version_number).first() if version_number else versions.first()
    if version is None:
        raise ValidationError({"version": f"{asset.name} has no version {version_number}."})
    usage = AssetUsage.objects.filter(initiative=initiative, asset=asset).select_related("version").first()
    before = {"asset": asset.slug, "version": usage.version.number} if usage else None
    if usage and usage.version_id == version.pk:
        return usage
    usage = usage or AssetUsage(initiative=initiative, asset=asset)
    usage.version, usage.adopted_by = version, acting_user
    usage.save()
    audit.record(
        "asset.adopted",
        usage,
        actor=acting_user,
        initiative_id=initiative.pk,
        before=before,
        after={"asset": asset.slug, "version": version.number},
    )
    initiative.mark_dirty()
    return usage


def proposed_listing(initiative: Initiative, kind: str) -> dict:
    """What a workflow asset published for the first time is listed as, unless the publisher edits it."""
    return {
        "name": f"{initiative.title}: {Asset.Type(kind).label.lower()}",
        "description": f"Published from the {initiative.title} workflow.",
        "owner_team": initiative.business_unit,
        "tags": [initiative.business_unit],
    }


def workflow_listings(initiative: Initiative) -> dict[str, dict]:
    """Per workflow type, the public listing (name, description, team, tags) a publish would leave.

    The asset this initiative published before keeps its own listing; a new one gets the proposal.
    Everyone signed in reads these, so the publish form shows them for the publisher to edit.
    """
    listings = {}
    for kind in WORKFLOW_ASSET_TYPES:
        asset = _published_asset(initiative, kind)
        listings[kind] = _describe(asset) if asset else proposed_listing(initiative, kind)
    return listings


def _published_asset(initiative: Initiative, kind: str) -> Asset | None:
    return Asset.objects.filter(source_initiative=initiative, type=kind).order_by("pk").first()


def _clean_listing(listing: dict) -> dict:
    return {
        "name": listing["name"].strip(),
        "description": listing["description"].strip(),
        "owner_team": listing["owner_team"].strip(),
        "tags": _tag_names(listing["tags"]),
    }


@transaction.atomic
def publish_workflow(
    initiative_id: int,
    *,
    acting_user,
    contents: dict[str, str],
    changelog: str,
    listings: dict[str, dict] | None = None,
) -> list[AssetVersion]:
    """Publish an initiative's prompt template, evaluation set and playbook as library assets in one step.

    1. Check the caller may edit the initiative, every content and every listing.
    2. Each type becomes a new version of the asset this initiative published before (its
       listing updated to `listings[type]` when given and different), or a new asset listed as
       `listings[type]`, or as `proposed_listing` without one.
    3. Pin the initiative to what it published; then tell other consumers of a new version.
    """
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="publish it")
    contents = {kind: asset_content.normalise(text) for kind, text in contents.items()}
    listings = {kind: _clean_listing(listing) for kind, listing in (listings or {}).items()}
    errors = {}
    for kind in WORKFLOW_ASSET_TYPES:
        try:
            asset_content.validate(kind, contents.get(kind, ""))
        except ValidationError as exc:
            errors[kind] = exc.message_dict["content"]
        if kind in listings and not listings[kind]["name"]:
            errors[f"{kind}-name"] = ["Name the asset: everyone signed in sees this name in the library."]
    if errors:
        raise ValidationError(errors)
    published, republished = [], []
    for kind in WORKFLOW_ASSET_TYPES:
        asset = _published_asset(initiative, kind)
        if asset is None:
            asset = create_asset(
                acting_user=acting_user,
                type=kind,
                content=contents[kind],
                changelog=changelog or "Published from the initiative.",
                source_initiative=initiative,
                **listings.get(kind, proposed_listing(initiative, kind)),
            )
            version = asset.versions.get()
        else:
            if kind in listings and listings[kind] != _describe(asset):
                update_asset(asset.pk, acting_user=acting_user, **listings[kind])
            version = asset.versions.order_by("-number").first()
            if version.checksum != sha256_hex(contents[kind]):
                version = publish_version(
                    asset.pk,
                    acting_user=acting_user,
                    content=contents[kind],
                    changelog=changelog or "Republished from the initiative.",
                    notify=False,
                )
                republished.append((asset, version))
        adopt_version(initiative.pk, acting_user=acting_user, asset=asset, version_number=version.number)
        published.append(version)
    for asset, version in republished:
        _tell_consumers(asset, version)  # only now: this initiative is on the new version, so it is not told
    return published


@transaction.atomic
def schedule_reuse_review(initiative_id: int, *, acting_user, on) -> Initiative:
    """Set the date adjacent teams review this workflow for reuse (a reuse-ready gate criterion)."""
    initiative = lock_initiative(initiative_id, acting_user, may=can_edit, to="schedule its reuse review")
    if on is None:
        raise ValidationError({"on": "Choose the date of the reuse review."})
    if on < timezone.localdate():
        raise ValidationError({"on": "Choose today or a later date; a reuse review cannot be scheduled in the past."})
    before = initiative.reuse_review_on
    if before == on:
        return initiative  # a retried request: no second audit row
    initiative.reuse_review_on = on
    initiative.save(update_fields=["reuse_review_on", "updated_at"])
    audit.record(
        "initiative.reuse_review_scheduled",
        initiative,
        actor=acting_user,
        initiative_id=initiative.pk,
        before={"reuse_review_on": before} if before else None,
        after={"reuse_review_on": on},
    )
    initiative.mark_dirty()
    return initiative


def reuse_review_outcome(initiative: Initiative) -> dict:
    """The reuse review's outcome fields as they stand (audit rows, the API)."""
    return {name: getattr(initiative, name) for name in Initiative.REUSE_REVIEW_OUTCOME_FIELDS}


@transaction.atomic
def record_reuse_review_outcome(initiative_id: int, *, acting_user, **outcome) -> Initiative:
    """Record what the reuse review found, once held: the day, the adjacent teams adopting, the changes needed.

    Every field is given each time (the outcome is one record). A repeat that changes nothing writes no
    audit row."""
    initiative = lock_initiative(
        initiative_id, acting_user, may=can_record_reuse_review, to="record its reuse review's outcome"
    )
    unknown = set(outcome) - set(Initiative.REUSE_REVIEW_OUTCOME_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set here."))
    errors = {}
    held_on = outcome.get("reuse_review_held_on")
    if held_on is None:
        errors["reuse_review_held_on"] = "Give the day the reuse review was held."
    elif held_on > timezone.localdate(clock.now()):
        errors["reuse_review_held_on"] = "Record the outcome once the review is held: today or earlier."
    for name, say in (
        ("reuse_review_adopting", "Name the adjacent teams adopting it, or write “none yet” and why."),
        ("reuse_review_changes", "Say what they need changed, or write “none”."),
    ):
        if not (outcome.get(name) or "").strip():
            errors[name] = say
    if errors:
        raise ValidationError(errors)
    before = reuse_review_outcome(initiative)
    for name, value in outcome.items():
        setattr(initiative, name, value.strip() if isinstance(value, str) else value)
    initiative.full_clean(exclude=[f.name for f in Initiative._meta.fields if f.name not in outcome])
    after = reuse_review_outcome(initiative)
    if before == after:
        return initiative
    initiative.save(update_fields=[*Initiative.REUSE_REVIEW_OUTCOME_FIELDS, "updated_at"])
    changed = [name for name in after if before[name] != after[name]]
    audit.record(
        "initiative.reuse_review_held",
        initiative,
        actor=acting_user,
        initiative_id=initiative.pk,
        before={name: before[name] for name in changed} if before["reuse_review_held_on"] else None,
        after={name: after[name] for name in changed},
    )
    return initiative


@transaction.atomic
def update_asset(
    asset_id: int,
    *,
    acting_user,
    name: str | None = None,
    description: str | None = None,
    tags: list[str] | None = None,
    owner_team: str | None = None,
) -> Asset:
    """Change what describes an asset (its versions and slug never change); a no-op writes no audit row."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if not can_curate_asset(acting_user, asset):
        raise PermissionDenied(f"Only {can_curate_asset.who} may edit it.")
    if name is not None and not name.strip():
        raise ValidationError({"name": "Name the asset."})
    before = _describe(asset)
    if name is not None:
        asset.name = name.strip()
    if description is not None:
        asset.description = description
    if owner_team is not None:
        asset.owner_team = owner_team.strip()
    if tags is not None:
        _set_tags(asset, list(tags))
    after = _describe(asset)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        asset.save(update_fields=["name", "description", "owner_team", "updated_at"])
        audit.record(
            "asset.updated",
            asset,
            actor=acting_user,
            initiative_id=asset.source_initiative_id,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return asset


def _describe(asset: Asset) -> dict:
    return {
        "name": asset.name,
        "description": asset.description,
        "owner_team": asset.owner_team,
        "tags": sorted(asset.tags.values_list("name", flat=True)),
    }
