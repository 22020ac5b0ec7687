"""How a service's ValidationError reaches a person: on the form it came from, or as a page message."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render


def apply_errors(form, error: ValidationError) -> None:
    """Put a service's errors on the form: each beside its field, the rest above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def save_form(form, write):
    """Run the service `write(cleaned_data)` when the form is valid and return what it returns; its
    validation errors go beside the form's fields and the result is falsy."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


def form_page(request, form, *, title: str, submit: str, back: tuple[str, str]):
    """A form posted from a panel of a larger page that came back with errors, shown on a page of its own:
    the error summary on top, what was typed kept, the same button, and `back` (label, URL) to the page.
    Rebuilding the whole page it came from would compute every other panel to show one field's error."""
    context = {"form": form, "title": title, "submit": submit, "back_label": back[0], "back_url": back[1]}
    return render(request, "form_page.html", context)


def report_error(request, error: Exception) -> None:
    """A failed action with no form to show it on: its messages, as one page message."""
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
