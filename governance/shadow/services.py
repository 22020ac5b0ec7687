"""Verbs on the shadow-AI register. Each is one transaction with its audit rows; pages, API and admin call them.

The rules on one item live on the model (ShadowAiUse.clean: a sanctioned path names what replaces the
use); who may change the register lives in governance.permissions (can_manage_shadow_ai); what the
services add is that a link names an initiative the acting user can see.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from governance import audit
from governance.models import ShadowAiUse
from governance.permissions import can_manage_shadow_ai
from initiatives.models import Initiative

WRITABLE = (*ShadowAiUse.EDITABLE_FIELDS, *ShadowAiUse.TRIAGE_FIELDS)
IMPORT_COLUMNS = ("tool", "team", "people", "data", "classification", "found_via")
REQUIRED_COLUMNS = ("tool", "team", "people", "found_via")
MAX_IMPORT_ROWS = 5_000
UNSEEN_INITIATIVE = "Link an initiative you can see."


class ImportRejected(Exception):
    """A CSV import with errors: nothing was written. `errors` are {line, field, message}, line 1 the header."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        lines = len({e["line"] for e in errors if e["line"]})
        where = f" in {lines} row{'s' if lines != 1 else ''}, listed below" if lines else ""
        super().__init__(f"{len(errors)} error{'s' if len(errors) != 1 else ''}{where}; nothing was imported.")


def _check_may_manage(user) -> None:
    if not can_manage_shadow_ai(user):
        raise PermissionDenied(f"Only {can_manage_shadow_ai.who} may change the shadow-AI register.")


def _state(item: ShadowAiUse) -> dict:
    state = {name: getattr(item, name) for name in ShadowAiUse.EDITABLE_FIELDS}
    state["status"] = item.status
    state["initiative"] = item.initiative.slug if item.initiative_id else None
    state["asset"] = item.asset.slug if item.asset_id else None
    return state


def _apply(item: ShadowAiUse, acting_user, changes: dict) -> None:
    unknown = set(changes) - set(WRITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Not a field of the shadow-AI register."))
    linked = item.initiative_id
    for name, value in changes.items():
        setattr(item, name, value.strip() if isinstance(value, str) and name in ("tool", "team") else value)
    # A new link must name an initiative the steward can see; a link someone else made may stay as it is.
    initiative = changes.get("initiative")
    if initiative is not None and initiative.pk != linked and not _sees(acting_user, initiative):
        raise ValidationError({"initiative": UNSEEN_INITIATIVE})
    item.full_clean(exclude=["recorded_by"])


def _sees(user, initiative) -> bool:
    return Initiative.objects.visible_to(user).filter(pk=initiative.pk).exists()


@transaction.atomic
def record_shadow_use(*, acting_user, **fields) -> ShadowAiUse:
    """Add an item to the register (triaged at once when `status` and a link are given)."""
    _check_may_manage(acting_user)
    item = ShadowAiUse(recorded_by=acting_user)
    _apply(item, acting_user, fields)
    item.save()
    audit.record("shadow_ai.recorded", item, actor=acting_user, initiative_id=item.initiative_id, after=_state(item))
    return item


@transaction.atomic
def update_shadow_use(item_id: int, *, acting_user, **changes) -> ShadowAiUse:
    """Change an item's details or its triage; a change of triage is recorded as such in the audit trail.

    1. Lock the item, so two stewards saving at once each see the other's change in their `before`.
    2. Check the acting user may manage the register, then apply and validate the changes.
    3. Save only when something changed, and record the change with its before and after.
    """
    item = ShadowAiUse.objects.select_for_update(of=("self",)).select_related("initiative", "asset").get(pk=item_id)
    _check_may_manage(acting_user)
    before = _state(item)
    _apply(item, acting_user, changes)
    after = _state(item)
    if after == before:
        return item  # a repeated save: nothing to record
    item.save()
    action = "shadow_ai.triaged" if after["status"] != before["status"] else "shadow_ai.updated"
    changed = sorted(name for name in after if after[name] != before[name])
    audit.record(
        action,
        item,
        actor=acting_user,
        initiative_id=item.initiative_id,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
    )
    return item


def triage_shadow_use(item_id: int, *, acting_user, status: str, initiative=None, asset=None) -> ShadowAiUse:
    """Set an item's triage and the initiative or asset that replaces it (required for "sanctioned path exists")."""
    return update_shadow_use(item_id, acting_user=acting_user, status=status, initiative=initiative, asset=asset)


@transaction.atomic
def import_shadow_uses(rows: list[dict], *, acting_user) -> list[ShadowAiUse]:
    """Add every row of a survey or proxy-log export, or none: any bad row rejects the whole file.

    Rows carry IMPORT_COLUMNS as text (the CSV's `data` is the item's data_touched). Classification and
    how it was found take their value or their label, in any case ("Confidential", "proxy-log").
    Every row is checked before anything is written, so the error list names every bad row at once.
    """
    _check_may_manage(acting_user)
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportRejected([{"line": None, "field": "", "message": f"Import at most {MAX_IMPORT_ROWS:,} rows."}])
    if not rows:
        raise ImportRejected([{"line": None, "field": "", "message": "The file has no rows under its header."}])
    items, errors = [], []
    for index, row in enumerate(rows):
        item, row_errors = _item_from_row(row, acting_user)
        errors += [{"line": index + 2, **e} for e in row_errors]
        items.append(item)
    if errors:
        raise ImportRejected(errors)
    created = ShadowAiUse.objects.bulk_create(items)
    with audit.in_time_order():
        for item in created:
            audit.record("shadow_ai.recorded", item, actor=acting_user, after={**_state(item), "imported": True})
    return created


def _item_from_row(row: dict, acting_user) -> tuple[ShadowAiUse, list[dict]]:
    errors = [
        {"field": name, "message": "This field is required."}
        for name in REQUIRED_COLUMNS
        if not (row.get(name) or "").strip()
    ]
    people = (row.get("people") or "").strip()
    item = ShadowAiUse(
        recorded_by=acting_user,
        tool=(row.get("tool") or "").strip(),
        team=(row.get("team") or "").strip(),
        people=int(people) if people.isdigit() else None,
        data_touched=(row.get("data") or "").strip(),
        classification=_choice("classification", row.get("classification")),
        found_via=_choice("found_via", row.get("found_via")),
    )
    if people and not people.isdigit():
        errors.append({"field": "people", "message": "Give a whole number of people, 0 or more."})
    for name in ("classification", "found_via"):
        field = ShadowAiUse._meta.get_field(name)
        value = getattr(item, name)
        if value and value not in dict(field.choices):
            errors.append({"field": name, "message": f"“{value}” is not one of: {', '.join(dict(field.choices))}."})
    try:
        item.full_clean(exclude=["recorded_by", *(e["field"] for e in errors)])
    except ValidationError as exc:
        errors += [
            {"field": "data" if field == "data_touched" else field, "message": message}
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return item, errors


def _choice(name: str, text) -> str:
    """The stored value for a value or a label given in any case; anything else is kept, to be refused by name."""
    text = (text or "").strip()
    for value, label in ShadowAiUse._meta.get_field(name).choices:
        if text.lower() in (value.lower(), str(label).lower()):
            return value
    return text
