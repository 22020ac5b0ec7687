from datetime import date
from urllib.parse import urlencode

from django import forms
from django.utils import timezone

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard
from kpis.scorecards import FLAG_LABELS

# A heatmap health cell counts the initiatives that are not killed (killed ones have a column of their
# own), so following it needs a status that means exactly that.
NOT_KILLED = "not-killed"
DEFAULT_SORT = "title"
# Sort keys with the direction of a column's first click: names A to Z, amounts largest first.
SORT_KEYS = {
    "title": "",
    "business_unit": "",
    "stage": "",
    "status": "",
    "health": "",
    "realised_value": "-",
    "modelled_value": "-",
    "monthly_cost": "-",
}


class PortfolioFilters(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *Stage.choices])
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *Initiative.Status.choices, (NOT_KILLED, "Active or on hold")],
    )
    health = forms.ChoiceField(label="Health", required=False, choices=[("", "Any health"), *Scorecard.Health.choices])
    flag = forms.ChoiceField(label="Failure mode", required=False, choices=[("", "Any or none"), *FLAG_LABELS.items()])
    diagnosis = forms.ChoiceField(
        label="Diagnosis", required=False, choices=[("", "Any diagnosis"), *Scorecard.Diagnosis.choices]
    )
    risk_tier = forms.ChoiceField(
        label="Risk tier", required=False, choices=[("", "Any risk tier"), *Initiative.RiskTier.choices]
    )
    business_unit = forms.ChoiceField(label="Business unit", required=False)
    owner = forms.ChoiceField(label="Owner", required=False)
    as_of = forms.DateField(label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[(f"{direction}{key}", key) for key in SORT_KEYS for direction in ("", "-")],
    )

    FILTERS = ("stage", "status", "health", "flag", "diagnosis", "risk_tier", "business_unit", "owner")

    def __init__(self, data, *, business_units: list[str], owners: list[tuple[str, str]]):
        self.today = timezone.localdate()
        data = data.copy()
        if not data.get("as_of"):
            data["as_of"] = self.today.isoformat()  # so the date input shows the default
        super().__init__(data)
        self.fields["business_unit"].choices = [("", "Any business unit")] + [(u, u) for u in business_units]
        self.fields["owner"].choices = [("", "Any owner"), *owners]
        self.fields["as_of"].widget.attrs["max"] = self.today.isoformat()

    def clean_as_of(self) -> date | None:
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > self.today:
            raise forms.ValidationError("The as-of date cannot be in the future.")
        return as_of

    def chosen(self) -> dict:
        """Each filter's valid value, or its default where the value was bad (the form shows why)."""
        if not hasattr(self, "_chosen"):  # asked for by every link on the page: worked out once
            self.is_valid()
            values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
            values["as_of"] = self.cleaned_data.get("as_of") or self.today
            values["sort"] = values["sort"] or DEFAULT_SORT
            self._chosen = values
        return self._chosen

    def query(self, **changes) -> str:
        """The query string of this page with `changes` made (None drops a filter), for a link that narrows
        or sorts it. Only valid values are carried, and none at its default, so links stay short."""
        values = {**self.chosen(), **changes}
        defaults = {"as_of": self.today, "sort": DEFAULT_SORT}
        kept = {name: value for name, value in values.items() if value and value != defaults.get(name)}
        return "?" + urlencode(kept)
