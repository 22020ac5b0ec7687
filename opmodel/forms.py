"""How a service's ValidationError reaches a person: on the form it came from, or as a page message."""

from django.contrib import messages
from django.core.exceptions import ValidationError


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


def report_error(request, error: Exception) -> None:
    """A failed action with no form to show it on: its messages, as one page message."""
    messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
