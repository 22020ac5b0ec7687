"""The register's forms: filters, recording or editing an item, triage and the CSV import."""

from django import forms
from django.db.models import Q

from governance.models import Asset, DataSource, ShadowAiUse
from initiatives.models import Initiative
from opmodel.csvfiles import CsvUploadForm


class ShadowAiFilterForm(forms.Form):
    """The page's filters, in the values ShadowAiFilter reads."""

    status = forms.ChoiceField(
        label="Triage", required=False, choices=[("", "Any triage"), *ShadowAiUse.Status.choices]
    )
    classification = forms.ChoiceField(
        label="Data classification",
        required=False,
        choices=[("", "Any classification"), *DataSource.Classification.choices],
    )
    found_via = forms.ChoiceField(
        label="How it was found", required=False, choices=[("", "Any way"), *ShadowAiUse.FoundVia.choices]
    )


class _LinkChoices:
    """The initiative choices are those the user can see (the service links no other), assets the library's."""

    def _limit_links(self, user):
        # The one already linked stays offered, so a steward who cannot see it may still save the item.
        visible = Q(pk__in=Initiative.objects.visible_to(user).values("pk")) | Q(pk=self.instance.initiative_id)
        self.fields["initiative"].queryset = Initiative.objects.filter(visible).order_by("title")
        self.fields["initiative"].empty_label = "No initiative"
        self.fields["asset"].queryset = Asset.objects.order_by("name")
        self.fields["asset"].empty_label = "No library asset"


class ShadowAiForm(_LinkChoices, forms.ModelForm):
    """Record an item or change it, triage included: what a steward knows at once is saved at once."""

    class Meta:
        model = ShadowAiUse
        fields = [*ShadowAiUse.EDITABLE_FIELDS, *ShadowAiUse.TRIAGE_FIELDS]
        widgets = {"data_touched": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_links(user)
        self.fields["classification"].choices = [("", "Not known yet"), *DataSource.Classification.choices]
        self.fields["found_via"].choices = [("", "Choose how it was found"), *ShadowAiUse.FoundVia.choices]

    def _post_clean(self):
        pass  # the service validates the item (ShadowAiUse.clean) and reports its errors by field


class TriageForm(_LinkChoices, forms.ModelForm):
    class Meta:
        model = ShadowAiUse
        fields = list(ShadowAiUse.TRIAGE_FIELDS)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_links(user)

    def _post_clean(self):
        pass  # as above: the service's rule, not a second copy of it


class ImportForm(CsvUploadForm):
    max_megabytes = 2
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: tool, team, people, data, classification, found_via (self-reported, survey, "
        "expense-report or proxy-log). Up to 5,000 rows; one bad row and nothing is imported.",
    )
