from django import forms

from governance.models import GateDecision
from initiatives.models import Stage
from opmodel.fields import max_length_of


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=GateDecision.Kind.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=max_length_of(GateDecision, "comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for every decision except approve.",
    )
    recycle_to = forms.ChoiceField(
        label="Recycle to",
        required=False,
        choices=[("", "Previous stage")] + list(Stage.choices),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="The client that will use it, e.g. “BI nightly job”."
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty for a token that never expires.",
    )
