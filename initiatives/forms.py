from django import forms
from django.contrib.auth import get_user_model

from initiatives.models import Charter, Initiative, Role


class DateInput(forms.DateInput):
    """A browser date picker; it only shows values written as ISO dates, whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002  (Django's own argument name)
        super().__init__(attrs, format=format)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        full = user.get_full_name()
        return f"{full} ({user.username})" if full else user.username


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = ["title", "business_unit", "risk_tier", "started_on"]
        labels = {"started_on": "Started on", "business_unit": "Business unit", "risk_tier": "Risk tier"}
        widgets = {"started_on": DateInput()}
        help_texts = {
            "title": "Name the workflow and the outcome, e.g. “Support triage: handling time −20 %”.",
            "risk_tier": "High risk adds approvers at each gate; low risk lightens them.",
        }


class CharterForm(forms.ModelForm):
    owner = UserChoiceField(
        label="Owner",
        required=False,
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        help_text="The person accountable for the outcome.",
    )

    class Meta:
        model = Charter
        fields = [
            "problem_user",
            "problem_task",
            "expected_business_result",
            "constraints",
            "outcome_statement",
            "owner",
            "target_users",
            "guardrails",
            "expected_impact",
            "scope",
            "outcome_supported",
            "data_dependencies",
            "control_needed",
            "reuse_plan",
            "plan_start_on",
            "scorecard_due_on",
            "foundation_due_on",
            "launch_due_on",
            "customer_facing",
            "automated_decisions",
            "cost_per_1000_inferences",
            "expected_monthly_volume",
        ]
        widgets = {
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in (
                    "problem_task",
                    "expected_business_result",
                    "constraints",
                    "outcome_statement",
                    "target_users",
                    "guardrails",
                    "expected_impact",
                    "scope",
                    "outcome_supported",
                    "data_dependencies",
                    "control_needed",
                    "reuse_plan",
                )
            },
            **{
                name: DateInput()
                for name in ("plan_start_on", "scorecard_due_on", "foundation_due_on", "launch_due_on")
            },
        }

    def clean(self):
        cleaned = super().clean()
        dates = [cleaned.get(n) for n in ("plan_start_on", "scorecard_due_on", "foundation_due_on", "launch_due_on")]
        given = [d for d in dates if d]
        if given != sorted(given):
            self.add_error("launch_due_on", "The 90-day plan dates must run in order: day 1, day 30, day 60, day 90.")
        return cleaned


class RoleAssignmentForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    user = UserChoiceField(
        label="Person", queryset=get_user_model().objects.filter(is_active=True).order_by("username")
    )


class ReviewRequestForm(forms.Form):
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when a criterion is not met; approvers see it.",
    )


class ResumeForm(forms.Form):
    comment = forms.CharField(label="Why it resumes", widget=forms.Textarea(attrs={"rows": 2}))
