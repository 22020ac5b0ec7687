"""CSV upload: the API's validation and errors, shown per line, and nothing half-written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kpis import services
from kpis.models import IngestBatch, Measurement


@pytest.fixture
def kpi(initiative, alice):
    driver = services.add_driver(initiative.pk, acting_user=alice, name="Faster handling")
    return services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=driver,
        key="support.handle-time",
        name="Handling time",
        unit="min",
        kind="lagging",
        direction="decrease",
    )


def upload(client, initiative, text: str):
    url = reverse("kpis:upload", args=[initiative.slug])
    return client.post(url, {"file": SimpleUploadedFile("points.csv", text.encode(), "text/csv")})


def test_a_valid_file_is_written_and_a_second_upload_changes_nothing(client, initiative, alice, kpi):
    client.force_login(alice)
    text = (
        "kpi,timestamp,value,source\n"
        f"{kpi.key},2026-10-01T09:00:00+00:00,11.5,helpdesk\n"
        f"{kpi.key},2026-10-02T09:00:00+00:00,11.0,\n"
    )
    first = upload(client, initiative, text)
    assert "2 created, 0 updated, 0 unchanged" in first.content.decode()
    assert sorted(Measurement.objects.values_list("source", flat=True)) == ["api", "helpdesk"]
    second = upload(client, initiative, text)
    assert "0 created, 0 updated, 2 unchanged" in second.content.decode()
    assert IngestBatch.objects.filter(channel="csv").count() == 2


def test_bad_lines_are_listed_by_line_number_and_nothing_is_written(client, initiative, alice, kpi):
    client.force_login(alice)
    text = (
        "kpi,timestamp,value\n"
        f"{kpi.key},2026-10-01T09:00:00+00:00,11.5\n"
        f"{kpi.key},2026-10-02T09:00:00,11\n"
        f"unknown.kpi,2026-10-02T09:00:00Z,11\n"
        f"{kpi.key},2026-10-03T09:00:00Z,NaN\n"
    )
    response = upload(client, initiative, text)
    rows = [(e["line"], e["field"]) for e in response.context["line_errors"]]
    assert rows == [(3, "timestamp"), (4, "kpi"), (5, "value")]
    html = response.content.decode()
    assert "UTC offset" in html and "Unknown KPI" in html and "finite" in html
    assert not Measurement.objects.exists()


def test_a_source_of_up_to_a_hundred_characters_is_accepted(client, initiative, alice, kpi):
    client.force_login(alice)
    text = (
        "kpi,timestamp,value,source\n"
        f"{kpi.key},2026-10-01T09:00:00+00:00,11.5,{'s' * 100}\n"
        f"{kpi.key},2026-10-02T09:00:00+00:00,11.0,{'s' * 101}\n"
    )
    response = upload(client, initiative, text)
    assert [(e["line"], e["field"]) for e in response.context["line_errors"]] == [(3, "source")]

    response = upload(client, initiative, text.rsplit("\n", 2)[0] + "\n")
    assert "1 created" in response.content.decode()
    assert Measurement.objects.get().source == "s" * 100


def test_a_file_without_the_required_columns_is_explained(client, initiative, alice, kpi):
    client.force_login(alice)
    response = upload(client, initiative, "when,amount\n2026-10-01,3\n")
    assert "must name the columns kpi, timestamp, value" in response.content.decode()


def test_a_file_that_is_not_utf8_is_explained(client, initiative, alice, kpi):
    client.force_login(alice)
    url = reverse("kpis:upload", args=[initiative.slug])
    response = client.post(url, {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00k\x00p", "text/csv")})
    assert "Could not read the file as UTF-8 CSV" in response.content.decode()


def test_outsiders_cannot_upload(client, initiative, charlie, kpi):
    client.force_login(charlie)
    assert upload(client, initiative, f"kpi,timestamp,value\n{kpi.key},2026-10-01T09:00:00Z,1\n").status_code == 404
    assert not Measurement.objects.exists()
