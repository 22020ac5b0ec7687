"""Model fields whose limits hold on every path: the pages, the API, the admin and the services."""

from django.core import validators
from django.db import models

# How much a person may type in a long text, in characters. A statement of the charter, a piece of
# evidence or a retrieval scope is a short paragraph; a decision's comment, a reason, a note or a
# description may argue a case. Pages count down to the limit as people type (static/js/forms.js).
STATEMENT_LENGTH = 1_000
NOTE_LENGTH = 5_000


class LimitedTextField(models.TextField):
    """A TextField whose max_length is a rule, not a hint.

    Django checks max_length on a CharField only: on a TextField it merely sizes the form's textarea.
    The validator added here, as CharField adds its own, makes full_clean, ModelForms, the admin and
    ModelSerializers refuse a longer text in the same words; the column stays unbounded text.
    """

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(validators.MaxLengthValidator(self.max_length))


def max_length_of(model, field_name: str) -> int:
    """The limit a model field sets, for a plain form or serializer field that takes the same text."""
    return model._meta.get_field(field_name).max_length
