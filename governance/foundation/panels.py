"""The foundation's pieces of other pages: the initiative page's "Foundation" card and the decision pack's
executive checklist. Built here, not in a view, so those pages import no foundation view."""

from governance.foundation import services as foundation
from governance.foundation.evidence import checklist_rows
from governance.foundation.forms import ChecklistAnswerForm
from governance.models import InitiativeControl, Layer
from initiatives.models import Initiative


def control_counts(rows: list) -> dict:
    """How many of `rows` (ControlRow) are in place, waived and missing, of how many: the one count the
    initiative page's card and the foundation page's progress bars show."""
    Status = InitiativeControl.Status
    return {
        "in_place": sum(r.status == Status.IN_PLACE for r in rows),
        "waived": sum(r.status == Status.WAIVED for r in rows),
        "missing": sum(r.status == Status.MISSING for r in rows),
        "total": len(rows),
    }


def foundation_context(initiative: Initiative, user) -> dict:
    """The "Foundation" card of the initiative page: risk tier, controls per layer, data sources."""
    rows = foundation.control_rows(initiative)
    layers = [{"label": Layer(layer).label, **control_counts(rows[layer])} for layer in Layer.values]
    return {"foundation_layers": layers, "data_source_count": initiative.data_sources.count()}


def checklist_context(review, *, can_answer: bool, bound: dict | None = None, due: tuple = ()) -> dict:
    """The gate's executive checklist for the decision pack: each question, its answer, and a form.

    `due` holds the questions the viewer must see answered before their approval counts.
    """
    due_ids = {item.pk for item in due}
    rows = []
    for row in checklist_rows(review):
        item, answer = row.item, row.answer
        initial = {"answer": answer.answer, "note": answer.note} if answer else {}
        form = (bound or {}).get(item.pk) or ChecklistAnswerForm(prefix=f"q{item.pk}", initial=initial)
        form = form if can_answer and review.is_open else None
        rows.append({"item": item, "answer": answer, "form": form, "due": item.pk in due_ids})
    return {"checklist": rows, "checklist_due": [item.question for item in due]}
