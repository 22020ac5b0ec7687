from django import forms

from initiatives.forms import DateInput, UserChoiceField
from kpis.catalogue import ARCHETYPES, FRAMEWORK_SETS
from kpis.models import AfterActionReview, Kpi
from kpis.services import after_action_problems
from opmodel.csvfiles import CsvUploadForm


class KpiForm(forms.ModelForm):
    owner = UserChoiceField(label="Owner", required=False)

    class Meta:
        model = Kpi
        fields = [*Kpi.CREATE_ONLY_FIELDS, *Kpi.EDITABLE_FIELDS]
        labels = {
            "key": "Key",
            "name": "Name",
            "unit": "Unit",
            "kind": "Kind",
            "direction": "Direction",
            "category": "Category",
            "baseline_value": "Baseline value",
            "baseline_date": "Baseline date",
            "target_value": "Target value",
            "target_date": "Target date",
            "guardrail_bound": "Guardrail bound",
            "cadence": "Cadence",
            "driver": "Driver",
        }
        help_texts = {"key": "Globally unique, used by REST clients, e.g. support-triage.handle-time."}
        widgets = {"baseline_date": DateInput(), "target_date": DateInput()}

    def __init__(self, *args, initiative, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["driver"].queryset = (
            initiative.objective.drivers.all()
            if hasattr(initiative, "objective")
            else self.fields["driver"].queryset.none()
        )
        self.fields["driver"].empty_label = None
        if not self.instance.pk:
            self.initial.setdefault("key", f"{initiative.slug}.")
        else:
            self.fields["key"].disabled = True


class DriverForm(forms.Form):
    name = forms.CharField(label="Driver name", max_length=200)


class ObjectiveForm(forms.Form):
    statement = forms.CharField(label="Objective", max_length=300)


class TemplateForm(forms.Form):
    template = forms.ChoiceField(
        label="Start from a template",
        choices=[
            ("Archetypes", [(t.slug, t.name) for t in ARCHETYPES]),
            ("Framework KPI sets", [(t.slug, t.name) for t in FRAMEWORK_SETS]),
        ],
    )


class MeasurementsUploadForm(CsvUploadForm):
    file = forms.FileField(
        label="CSV file", help_text="Columns: kpi, timestamp, value and optionally source. Up to 10,000 rows."
    )


class KpiCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose field label (and the error summary's link) points at the first box."""

    def id_for_label(self, id_, index="0"):
        return super().id_for_label(id_, index)


class AfterActionReviewForm(forms.ModelForm):
    """The after-action review page: the three questions, the day, and the initiative's KPIs to tick."""

    class Meta:
        model = AfterActionReview
        fields = AfterActionReview.EDITABLE_FIELDS
        widgets = {
            "held_on": DateInput(),
            "kpis": KpiCheckboxes,
            "work_removed": forms.Textarea(attrs={"rows": 3}),
            "work_replacing": forms.Textarea(attrs={"rows": 3}),
            "result": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, initiative, **kwargs):
        super().__init__(*args, **kwargs)
        self.initiative = initiative
        kpis = self.fields["kpis"]
        kpis.queryset = initiative.kpis.order_by("position", "id")
        kpis.error_messages["invalid_choice"] = "Not a KPI of this initiative: %(value)s."
        kpis.label_from_instance = lambda kpi: f"{kpi.name} ({kpi.get_kind_display().lower()}, {kpi.unit})"
        # None ticked is the service's refusal (kpis.services.save_after_action_review), in the API's words too.
        kpis.required = False

    def clean(self):
        data = super().clean()
        problems = after_action_problems(self.initiative, held_on=data.get("held_on"), kpis=data.get("kpis"))
        for name, messages in problems.items():
            if name not in self.errors:
                self.add_error(name, messages)
        return data
