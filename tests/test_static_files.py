"""Static files: the Plotly bundle draws every chart the pages have, and goes out compressed, cached a year."""

import gzip
import json
import re
from html import unescape
from pathlib import Path

import brotli
import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse

import opmodel.settings
from governance.models import Gate, GateReview
from initiatives.demo.people import DEMO_PASSWORD
from kpis.models import Kpi

BUNDLE = "vendor/plotly-cartesian.min.js"
# Django's own and the API docs' files are collected the same way; leaving them out keeps this test quick.
NOT_OURS = ["admin", "rest_framework", "drf_spectacular_sidecar"]
YEAR = "max-age=315360000, public, immutable"


def bundle_trace_types() -> set[str]:
    """The trace types the bundle registers: each trace module declares `moduleType:"trace",name:"..."`."""
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', Path(finders.find(BUNDLE)).read_text()))


def drawn_trace_types(html: str) -> set[str]:
    """The trace types of every figure a page draws (static/js/charts.js: `data-figure` names its JSON)."""
    types = set()
    for figure_id in re.findall(r'data-figure="([^"]+)"', html):
        script = re.search(rf'<script id="{re.escape(figure_id)}" type="application/json">(.*?)</script>', html, re.S)
        # Plotly draws a trace without a type as a scatter.
        types |= {trace.get("type", "scatter") for trace in json.loads(script.group(1))["data"]}
    return types


def plotly_scripts(html: str) -> set[str]:
    return {unescape(src) for src in re.findall(r'<script src="([^"]*plotly[^"]*)"', html)}


def test_the_bundle_registers_every_trace_type_the_chart_pages_draw(client, db):
    """Every page with a chart, on the demo portfolio: a trace type the bundle lacks would draw nothing."""
    call_command("seed_demo", verbosity=0)
    client.login(username="leader", password=DEMO_PASSWORD)
    scale_out = GateReview.objects.filter(gate=Gate.SCALE_OUT, status=GateReview.Status.OPEN)
    pages = [
        reverse("initiatives:portfolio"),
        *(reverse("governance:approval_detail", args=[review.pk]) for review in scale_out),
        *(kpi.get_absolute_url() for kpi in Kpi.objects.filter(measurements__isnull=False).distinct()),
    ]
    drawn = set()
    for url in pages:
        html = client.get(url).content.decode()
        assert plotly_scripts(html) == {static(BUNDLE)}, url
        drawn |= drawn_trace_types(html)

    assert drawn <= bundle_trace_types(), f"{BUNDLE} lacks {drawn - bundle_trace_types()}"
    assert {"scatter", "heatmap"} <= drawn, "the demo's pages should draw these; has a chart page moved?"


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """Our static files, collected once with the project's storage, as `python -m opmodel web` does."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STORAGES=opmodel.settings.STORAGES, STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=NOT_OURS)
    return root


@pytest.fixture
def served(settings, collected):
    """The project's static files settings (tests/conftest.py swaps the storage for the source tree's)."""
    settings.STORAGES = opmodel.settings.STORAGES
    settings.STATIC_ROOT = collected
    return settings


@pytest.mark.parametrize("debug", [False, True], ids=["production", "make run"])
@pytest.mark.parametrize(
    ("accepts", "encoding", "decompress"),
    [("gzip, deflate, br", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)],
    ids=["br", "gzip"],
)
def test_the_bundle_goes_out_compressed_under_a_hashed_name_cached_a_year(
    client, served, debug, accepts, encoding, decompress
):
    served.DEBUG = debug
    url = static(BUNDLE)
    assert re.fullmatch(r"/static/vendor/plotly-cartesian\.min\.[0-9a-f]{12}\.js", url)

    response = client.get(url, HTTP_ACCEPT_ENCODING=accepts)

    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert response["Cache-Control"] == YEAR
    assert response["Vary"] == "Accept-Encoding"
    assert decompress(b"".join(response.streaming_content)) == Path(finders.find(BUNDLE)).read_bytes()


def test_only_hashed_names_are_served(client, served):
    assert client.get(f"/static/{BUNDLE}").status_code == 404


def test_a_restart_keeps_whole_compressed_copies_and_redoes_cut_short_ones(served, collected):
    """Brotli is slow, so web's collectstatic at each start compresses only what a previous start did not."""
    bundle = collected / static(BUNDLE).removeprefix("/static/")
    cut_short = bundle.with_name(bundle.name + ".br")
    cut_short.write_bytes(cut_short.read_bytes()[:1000])  # a start stopped while writing it
    whole = collected / (static("js/charts.js").removeprefix("/static/") + ".br")
    whole_written_at = whole.stat().st_mtime_ns

    call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=NOT_OURS)

    assert brotli.decompress(cut_short.read_bytes()) == bundle.read_bytes()
    assert whole.stat().st_mtime_ns == whole_written_at
