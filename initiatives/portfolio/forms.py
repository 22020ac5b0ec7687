from datetime import date

from django import forms
from django.utils import timezone

from initiatives.models import Initiative, Stage
from kpis.models import Scorecard


class PortfolioFilters(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False, choices=[("", "Any stage"), *Stage.choices])
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *Initiative.Status.choices])
    health = forms.ChoiceField(label="Health", required=False, choices=[("", "Any health"), *Scorecard.Health.choices])
    business_unit = forms.ChoiceField(label="Business unit", required=False)
    owner = forms.ChoiceField(label="Owner", required=False)
    as_of = forms.DateField(label="As of", required=False, widget=forms.DateInput(attrs={"type": "date"}))

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
        self.is_valid()
        values = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        values["as_of"] = self.cleaned_data.get("as_of") or self.today
        return values
