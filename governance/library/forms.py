"""The library's forms: filters, adding and publishing assets, labels, diffs and adoption."""

from django import forms

from governance.library.services import WORKFLOW_ASSET_TYPES
from governance.models import Asset, AssetVersion
from initiatives.forms import DateInput
from initiatives.models import Initiative
from initiatives.templatetags.opmodel import person
from opmodel.fields import max_length_of

DESCRIPTION_LENGTH = max_length_of(Asset, "description")
CHANGELOG_LENGTH = max_length_of(AssetVersion, "changelog")


class LibraryFilterForm(forms.Form):
    """The library page's search box and filters: it offers what the library holds, in the values AssetFilter reads."""

    q = forms.CharField(label="Search the library", required=False, max_length=200)
    type = forms.ChoiceField(label="Type", required=False)
    tag = forms.ChoiceField(label="Tag", required=False)
    owner = forms.ChoiceField(label="Owner", required=False)
    label = forms.ChoiceField(label="Label", required=False)

    def __init__(self, data, *, tags, teams, owners, labels):
        super().__init__(data)
        self.fields["type"].choices = [("", "Any type"), *Asset.Type.choices]
        self.fields["tag"].choices = [("", "Any tag")] + [(t, t) for t in tags]
        self.fields["owner"].choices = [
            ("", "Any owner"),
            ("Teams", [(t, t) for t in teams]),
            ("People", [(u.username, person(u)) for u in owners]),
        ]
        self.fields["label"].choices = [("", "Any label")] + [(name, name) for name in labels]


class AssetForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    type = forms.ChoiceField(label="Type", choices=Asset.Type.choices)
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=DESCRIPTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What it is for.",
    )
    tags = forms.CharField(
        label="Tags", required=False, max_length=500, help_text="Comma-separated, e.g. support, triage, emea."
    )
    owner_team = forms.CharField(
        label="Owning team", required=False, max_length=100, help_text="The team that maintains it; you own it too."
    )
    content = forms.CharField(
        label="Content",
        widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        strip=False,
        help_text="Prompt templates name inputs as {{variables}}; evaluation sets are CSV or JSONL; "
        "playbooks and security requirements are Markdown with headings; routing rules and dataset "
        "references are YAML or JSON; diagrams are Mermaid.",
    )
    changelog = forms.CharField(label="Changelog", max_length=CHANGELOG_LENGTH, initial="Initial version.")

    def clean_tags(self) -> list[str]:
        return [tag.strip() for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class PublishVersionForm(forms.Form):
    """AssetVersion.EDITABLE_FIELDS; publish_version normalises the content and holds the rules."""

    content = forms.CharField(label="Content", widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}), strip=False)
    changelog = forms.CharField(
        label="Changelog",
        required=False,  # publish_version asks for it, in the same words as to REST clients
        max_length=CHANGELOG_LENGTH,
        help_text="What changed, so consumers can decide whether to move.",
    )


class LabelMoveForm(forms.Form):
    name = forms.CharField(label="Label name", max_length=40, help_text="e.g. recommended or deprecated.")
    version = forms.TypedChoiceField(label="Version", coerce=int)

    def __init__(self, data=None, *, numbers: list[int], initial=None):
        super().__init__(data, initial=initial)
        self.fields["version"].choices = [(n, f"v{n}") for n in numbers]
        self.fields["version"].error_messages["invalid_choice"] = "No version %(value)s of this asset."


class VersionPairForm(forms.Form):
    """Two versions to compare; "from" is a Python keyword, hence the fields built here."""

    def __init__(self, data=None, *, numbers: list[int], initial=None):
        super().__init__(data, initial=initial)
        known = ", ".join(f"v{n}" for n in numbers)
        for name, label in (("from", "From version"), ("to", "To version")):
            self.fields[name] = forms.TypedChoiceField(
                label=label,
                coerce=int,
                choices=[(n, f"v{n}") for n in numbers],
                error_messages={"invalid_choice": f"No version %(value)s; this asset has {known}."},
            )

    def clean(self):
        data = super().clean()
        if data.get("from") is not None and data.get("from") == data.get("to"):
            raise forms.ValidationError(f"Choose two different versions: v{data['to']} is on both sides.")
        return data


class AdoptAssetForm(forms.Form):
    asset = forms.ModelChoiceField(label="Asset", queryset=Asset.objects.order_by("name"), empty_label="Choose…")
    version = forms.IntegerField(label="Version", required=False, min_value=1, help_text="Leave empty for the latest.")


class WorkflowPublishForm(forms.Form):
    """Per workflow asset type: its content, and the public listing everyone signed in will read.

    Field names are the types with underscores: `prompt_template` holds the content,
    `prompt_template_name`, `_description`, `_owner_team` and `_tags` its listing.
    """

    prompt_template = forms.CharField(
        label="Prompt template: content",
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        strip=False,
        help_text="Name inputs as {{variables}}, e.g. {{ticket_text}}.",
    )
    evaluation_set = forms.CharField(
        label="Evaluation set: content",
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        strip=False,
        help_text="CSV with a header row, or one JSON object per line.",
    )
    playbook = forms.CharField(
        label="Playbook: content",
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        strip=False,
        help_text="Markdown with headings: how to run, escalate and support it.",
    )
    changelog = forms.CharField(
        label="Changelog", required=False, max_length=CHANGELOG_LENGTH, help_text="What changed since the last publish."
    )

    def __init__(self, data=None, *, listings: dict[str, dict], contents: dict[str, str]):
        """`listings` and `contents` per asset type: what publishing would leave, shown for editing."""
        initial = {_field(kind): text for kind, text in contents.items()}
        for kind, listing in listings.items():
            initial |= {_field(kind, key): value for key, value in listing.items()}
            initial[_field(kind, "tags")] = ", ".join(listing["tags"])
        super().__init__(data, initial=initial)
        for kind in WORKFLOW_ASSET_TYPES:
            label = Asset.Type(kind).label
            self.fields[_field(kind, "name")] = forms.CharField(label=f"{label}: public name", max_length=200)
            self.fields[_field(kind, "description")] = forms.CharField(
                label=f"{label}: public description",
                required=False,
                max_length=DESCRIPTION_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[_field(kind, "owner_team")] = forms.CharField(
                label=f"{label}: owning team", required=False, max_length=100
            )
            self.fields[_field(kind, "tags")] = forms.CharField(
                label=f"{label}: tags", required=False, max_length=500, help_text="Comma-separated."
            )

    def sections(self) -> list[dict]:
        """Per asset type, for the template: its label, content field and listing fields."""
        return [
            {
                "label": Asset.Type(kind).label,
                "content": self[_field(kind)],
                "listing": [self[_field(kind, key)] for key in ("name", "description", "owner_team", "tags")],
            }
            for kind in WORKFLOW_ASSET_TYPES
        ]

    def contents(self) -> dict[str, str]:
        return {kind: self.cleaned_data[_field(kind)] for kind in WORKFLOW_ASSET_TYPES}

    def listings(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            kind: {
                "name": data[_field(kind, "name")],
                "description": data[_field(kind, "description")].replace("\r\n", "\n"),
                "owner_team": data[_field(kind, "owner_team")],
                "tags": [tag.strip() for tag in data[_field(kind, "tags")].split(",") if tag.strip()],
            }
            for kind in WORKFLOW_ASSET_TYPES
        }


def _field(kind: str, key: str = "") -> str:
    """A workflow form field's name: the asset type with underscores, then the listing key if any."""
    return "_".join(filter(None, [kind.replace("-", "_"), key]))


class ReuseReviewForm(forms.Form):
    on = forms.DateField(
        label="Reuse review date",
        # ISO, whatever the locale: a type="date" input shows nothing for 05/01/2026.
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="When adjacent teams review this workflow for reuse.",
    )


class ReuseReviewOutcomeForm(forms.ModelForm):
    """What the reuse review found, once held; record_reuse_review_outcome checks it (every path alike)."""

    class Meta:
        model = Initiative
        fields = Initiative.REUSE_REVIEW_OUTCOME_FIELDS
        widgets = {
            "reuse_review_held_on": DateInput(),
            "reuse_review_adopting": forms.Textarea(attrs={"rows": 2}),
            "reuse_review_changes": forms.Textarea(attrs={"rows": 2}),
        }
