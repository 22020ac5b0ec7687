from django import forms
from django.contrib.auth import get_user_model

from governance.models import GateReview
from initiatives.models import Charter, Initiative, Role
from initiatives.people import person_name
from opmodel.fields import max_length_of


class DateInput(forms.DateInput):
    """A browser date picker; it only shows values written as ISO dates, whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002  (Django's own argument name)
        super().__init__(attrs, format=format)


# Said alike by the pages' user pickers and the API's username fields (initiatives.serializers.UsernameField).
NOT_AN_ACTIVE_USER = "Choose a person with an active account."


class UserChoiceField(forms.ModelChoiceField):
    """A picker of the people with an active account, listed and shown by name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": NOT_AN_ACTIVE_USER})
        active = get_user_model().objects.filter(is_active=True)
        kwargs.setdefault("queryset", active.order_by("first_name", "last_name", "username"))
        super().__init__(**kwargs)

    def label_from_instance(self, user):
        return person_name(user)


class InitiativeForm(forms.ModelForm):
    class Meta:
        model = Initiative
        fields = Initiative.EDITABLE_FIELDS
        labels = {"started_on": "Started on", "business_unit": "Business unit", "risk_tier": "Risk tier"}
        widgets = {"started_on": DateInput()}
        help_texts = {
            "title": "Name the workflow and the outcome, e.g. “Support triage: handling time −20 %”.",
            "risk_tier": "High risk adds approvers at each gate; low risk lightens them.",
        }


class CharterForm(forms.ModelForm):
    """The charter's rules (plan dates in order, text limits, no negative cost) are the model's, met on full_clean.

    Most fields may stay blank in a draft but must be filled before sign-off (Charter.is_complete); each of
    those carries `required_for_signoff`, which the page shows in words beside its label.
    """

    owner = UserChoiceField(
        label="Owner",
        required=False,
        help_text="The person accountable for the outcome.",
    )

    class Meta:
        model = Charter
        fields = Charter.EDITABLE_FIELDS
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
            **{name: DateInput() for name in Charter.PLAN_DATES},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (*Charter.REQUIRED_FIELDS, *Charter.PILOT_THEATER_FIELDS):
            self.fields[name].required_for_signoff = True


class RoleAssignmentForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
    user = UserChoiceField(label="Person")


class ReviewRequestForm(forms.Form):
    override_reason = forms.CharField(
        label="Override reason",
        required=False,
        max_length=max_length_of(GateReview, "override_reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when a criterion is not met; approvers see it.",
    )


class ResumeForm(forms.Form):
    comment = forms.CharField(label="Why it resumes", widget=forms.Textarea(attrs={"rows": 2}))
