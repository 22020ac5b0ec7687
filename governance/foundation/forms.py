"""Forms of the foundation page (controls, data sources, risk tier) and of the executive checklist."""

from django import forms

from governance.models import ChecklistAnswer, DataSource, InitiativeControl
from initiatives.forms import UserChoiceField
from initiatives.models import Initiative
from opmodel.fields import max_length_of


class ControlForm(forms.ModelForm):
    """One control of the foundation page; prefixed with the control's key, so each has its own fields.

    Its rules (evidence when in place, a reason when waived) are InitiativeControl.clean.
    """

    class Meta:
        model = InitiativeControl
        fields = InitiativeControl.EDITABLE_FIELDS
        widgets = {"evidence": forms.Textarea(attrs={"rows": 2}), "waiver_reason": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "evidence": "A link or a short description; required when in place.",
            "waiver_reason": "Required when waived.",
        }


class DataSourceForm(forms.ModelForm):
    """Validates a source (its name is unique); the foundation service writes it."""

    owner = UserChoiceField(label="Owner", required=False)

    class Meta:
        model = DataSource
        fields = DataSource.EDITABLE_FIELDS
        widgets = {"retrieval_scope": forms.Textarea(attrs={"rows": 2})}


class LinkDataSourceForm(forms.Form):
    source = forms.ModelChoiceField(
        label="Existing data source", queryset=DataSource.objects.none(), empty_label="Choose…"
    )

    def __init__(self, data=None, *, initiative, user):
        super().__init__(data)
        sources = DataSource.objects.visible_to(user).exclude(initiatives=initiative)
        self.fields["source"].queryset = sources.order_by("name")


class RaiseRiskTierForm(forms.Form):
    risk_tier = forms.ChoiceField(label="New risk tier", choices=Initiative.RiskTier.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=max_length_of(Initiative, "risk_floor_reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Approvers read it; it stays on record.",
    )


class ChecklistAnswerForm(forms.Form):
    # No answer is preset: an approver picks one, and an unanswered question blocks their approval.
    answer = forms.ChoiceField(label="Answer", choices=[("", "Choose an answer…"), *ChecklistAnswer.Answer.choices])
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=max_length_of(ChecklistAnswer, "note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when the answer is no.",
    )
