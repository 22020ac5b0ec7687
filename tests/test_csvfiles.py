"""opmodel.csvfiles: the one way a page reads an uploaded CSV (measurements upload, shadow-AI import)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from governance.shadow.forms import ImportForm
from kpis.forms import MeasurementsUploadForm
from opmodel.csvfiles import read_rows


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.csv", content, content_type="text/csv")


def test_each_upload_form_refuses_a_file_over_its_own_limit():
    two_and_a_bit_mb = b"x" * (2 * 1024 * 1024 + 1)

    shadow = ImportForm(files={"file": upload(two_and_a_bit_mb)})
    measurements = MeasurementsUploadForm(files={"file": upload(two_and_a_bit_mb)})

    assert shadow.errors["file"] == ["The file is larger than 2 MB; split it into smaller files."]
    assert measurements.is_valid()  # its limit is 5 MB


def test_rows_are_read_by_their_header_in_any_case_with_text_stripped():
    rows, problem = read_rows(
        upload(b"\xef\xbb\xbf KPI ,Timestamp,value\n a.b , 2026-01-01T00:00:00Z ,1\n"),
        required=("kpi", "timestamp", "value"),
        columns=("kpi", "timestamp", "value"),
    )

    assert problem == ""
    assert rows == [{"kpi": "a.b", "timestamp": "2026-01-01T00:00:00Z", "value": "1"}]


def test_a_missing_column_or_a_file_that_is_not_utf8_is_named():
    columns = ("tool", "team", "people")

    assert read_rows(upload(b"tool,team\nx,y\n"), required=columns, columns=columns) == (
        [],
        "The first line must name the columns tool, team, people (missing: people).",
    )
    rows, problem = read_rows(upload(b"tool,team,people\n\xff\xfe,y,1\n"), required=columns, columns=columns)
    assert rows == [] and problem.startswith("Could not read the file as UTF-8 CSV")
