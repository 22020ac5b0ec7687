"""A CSV file uploaded from a page: its size checked by the form, its rows read with a named header.

The measurements upload and the shadow-AI import both use these, so a file reads, and fails, alike.
"""

import csv
import io
from collections.abc import Sequence

from django import forms


class CsvUploadForm(forms.Form):
    """One CSV file of at most `max_megabytes`; subclasses set the limit and the field's help text."""

    max_megabytes = 5
    file = forms.FileField(label="CSV file")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_megabytes * 1024 * 1024:
            raise forms.ValidationError(
                f"The file is larger than {self.max_megabytes} MB; split it into smaller files."
            )
        return upload


def read_rows(upload, *, required: Sequence[str], columns: Sequence[str]) -> tuple[list[dict], str]:
    """The file's rows as {column: stripped text}, columns named by its first line (any case, spaces
    around them ignored); or no rows and what is wrong: a required column missing, not UTF-8, not CSV."""
    try:
        reader = csv.DictReader(io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline=""))
        header = [name.strip().lower() for name in (reader.fieldnames or [])]
        missing = [name for name in required if name not in header]
        if missing:
            return [], f"The first line must name the columns {', '.join(columns)} (missing: {', '.join(missing)})."
        reader.fieldnames = header
        rows = [{k: (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        return [], f"Could not read the file as UTF-8 CSV: {exc}."
    return rows, ""
