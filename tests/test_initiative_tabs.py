"""The initiative page in tabs: each at its own address, each building only what it shows, the history a
page at a time and of one kind, the outcome tree with a trend chart per KPI."""

from datetime import datetime, timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from governance import audit
from governance.models import AuditEvent
from governance.panels import EVENTS_PER_PAGE
from initiatives.shortcuts import tab_url
from kpis import services as kpi_services
from kpis.charts import TREE_CHART_POINTS, sampled_points
from kpis.models import Driver, Kpi, Measurement
from opmodel.compat import UTC

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
# The element only each tab renders.
PANELS = {
    "overview": 'id="next-gate"',
    "tree": 'id="outcome-tree"',
    "foundation": 'id="foundation"',
    "assets": 'id="assets"',
    "history": 'id="audit"',
}


def add_kpi(initiative, user, n: int, *, points: int = 0) -> Kpi:
    driver = Driver.objects.filter(objective__initiative=initiative).first()
    driver = driver or kpi_services.add_driver(initiative.pk, acting_user=user, name="Faster handling")
    kpi = kpi_services.add_kpi(
        initiative.pk,
        acting_user=user,
        driver=driver,
        key=f"{initiative.slug}.kpi-{n}",
        name=f"KPI {n}",
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
    )
    Measurement.objects.bulk_create(
        Measurement(kpi=kpi, timestamp=START + timedelta(days=day), value=day, source="api") for day in range(points)
    )
    return kpi


def add_events(initiative, user, count: int, action: str = "charter.updated") -> None:
    with transaction.atomic():
        for n in range(count):
            audit.record(action, initiative, actor=user, after={"n": n}, initiative_id=initiative.pk)


def page(client, initiative, **query) -> str:
    return client.get(initiative.get_absolute_url(), query).content.decode()


class TestTabs:
    def test_the_page_opens_at_the_overview(self, client, initiative, alice):
        client.force_login(alice)

        html = page(client, initiative)

        assert PANELS["overview"] in html
        assert all(panel not in html for tab, panel in PANELS.items() if tab != "overview")
        assert f'<a href="{initiative.get_absolute_url()}" data-sections' in html
        assert html.count('aria-current="page"') == 1
        assert '<nav class="tabs" aria-label="Initiative sections">' in html

    @pytest.mark.parametrize("tab", ["tree", "foundation", "assets", "history"])
    def test_each_tab_has_its_address_and_shows_only_its_panel(self, client, initiative, alice, tab):
        client.force_login(alice)

        html = page(client, initiative, tab=tab)

        assert PANELS[tab] in html
        assert all(panel not in html for other, panel in PANELS.items() if other != tab)
        current = html[html.index('<nav class="tabs"') :].split("</nav>")[0]
        link = current[current.index('aria-current="page"') - 200 :].split('aria-current="page"')[0]
        assert f'href="{tab_url(initiative, tab)}"' in link

    def test_an_unknown_tab_opens_the_overview(self, client, initiative, alice):
        client.force_login(alice)
        assert PANELS["overview"] in page(client, initiative, tab="nope")

    @pytest.mark.parametrize("tab", ["tree", "history"])
    def test_an_outsider_gets_404_on_every_tab(self, client, initiative, charlie, tab):
        client.force_login(charlie)
        assert client.get(initiative.get_absolute_url(), {"tab": tab}).status_code == 404

    def test_the_title_names_the_tab(self, client, initiative, alice):
        client.force_login(alice)
        assert f"<title>History · {initiative.title} · OpModel</title>" in page(client, initiative, tab="history")

    def test_forms_of_a_tab_return_to_it(self, client, initiative, alice):
        client.force_login(alice)
        response = client.post(reverse("kpis:driver_add", args=[initiative.slug]), {"name": "Adoption"})
        assert response["Location"] == tab_url(initiative, "tree")

    @pytest.mark.parametrize("tab", ["overview", "tree", "foundation", "assets", "history"])
    def test_a_tab_costs_the_same_queries_however_much_the_initiative_holds(
        self, client, make_initiative, alice, tab, django_assert_max_num_queries
    ):
        small, large = make_initiative("Small one"), make_initiative("Large one")
        add_kpi(small, alice, 1, points=1)
        for n in range(6):
            add_kpi(large, alice, n, points=3 * TREE_CHART_POINTS)
        add_events(large, alice, 2 * EVENTS_PER_PAGE)
        client.force_login(alice)
        with django_assert_max_num_queries(30) as few:
            client.get(small.get_absolute_url(), {"tab": tab})

        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(large.get_absolute_url(), {"tab": tab})


class TestTreeTab:
    def test_each_kpi_with_points_has_a_trend_chart(self, client, initiative, alice):
        measured, empty = add_kpi(initiative, alice, 1, points=3), add_kpi(initiative, alice, 2)
        client.force_login(alice)

        response = client.get(initiative.get_absolute_url(), {"tab": "tree"})

        (driver,) = response.context["drivers"]
        assert [kpi.pk for kpi in driver.charted] == [measured.pk]
        html = response.content.decode()
        assert f'data-figure="kpi-trend-{measured.pk}"' in html and f'id="kpi-trend-{measured.pk}"' in html
        assert f"kpi-trend-{empty.pk}" not in html
        assert "vendor/plotly-cartesian.min.js" in html

    def test_a_long_history_is_thinned_evenly_and_says_so(self, client, initiative, alice):
        kpi = add_kpi(initiative, alice, 1, points=2 * TREE_CHART_POINTS + 50)
        client.force_login(alice)

        html = page(client, initiative, tab="tree")

        drawn = len(sampled_points([kpi])[kpi.pk])
        assert f"{drawn} of its {2 * TREE_CHART_POINTS + 50} points, evenly spaced" in html

    def test_other_tabs_load_no_chart_library(self, client, initiative, alice):
        client.force_login(alice)
        assert "plotly" not in page(client, initiative)


class TestSampledPoints:
    def test_it_keeps_every_point_of_a_short_history(self, initiative, alice):
        kpi = add_kpi(initiative, alice, 1, points=5)
        assert [p["value"] for p in sampled_points([kpi])[kpi.pk]] == [0, 1, 2, 3, 4]

    def test_it_spans_a_long_history_and_keeps_the_newest_point(self, initiative, alice):
        kpi = add_kpi(initiative, alice, 1, points=1000)

        values = [p["value"] for p in sampled_points([kpi], at_most=200)[kpi.pk]]

        assert len(values) == 200
        assert values[-1] == 999 and values[0] < 5
        assert values == sorted(values)

    def test_it_reads_every_kpi_in_one_query(self, initiative, alice, django_assert_num_queries):
        kpis = [add_kpi(initiative, alice, n, points=10 * n) for n in range(1, 4)]
        with django_assert_num_queries(1):
            points = sampled_points(kpis, at_most=15)
        assert {kpi.pk: len(points[kpi.pk]) for kpi in kpis} == {kpis[0].pk: 10, kpis[1].pk: 10, kpis[2].pk: 15}


class TestHistoryTab:
    def test_it_pages_the_trail_newest_first(self, client, initiative, alice):
        before = AuditEvent.objects.filter(initiative_id=initiative.pk).count()
        add_events(initiative, alice, 2 * EVENTS_PER_PAGE)
        total = before + 2 * EVENTS_PER_PAGE
        client.force_login(alice)

        first = client.get(initiative.get_absolute_url(), {"tab": "history"})
        last = client.get(initiative.get_absolute_url(), {"tab": "history", "page": 3})

        newest = AuditEvent.objects.filter(initiative_id=initiative.pk).order_by("-id")
        assert list(first.context["events"]) == list(newest[:EVENTS_PER_PAGE])
        assert list(last.context["events"]) == list(newest[2 * EVENTS_PER_PAGE :])
        assert "Initiative created" in last.content.decode()
        html = first.content.decode()
        assert f"{total} events" in html and "Page 1 of 3" in html
        assert 'href="?tab=history&amp;page=2#audit" rel="next">Older →</a>' in html

    def test_it_filters_by_kind_and_keeps_the_filter_across_pages(self, client, initiative, alice):
        add_events(initiative, alice, EVENTS_PER_PAGE + 1, action="role.assigned")
        client.force_login(alice)

        response = client.get(initiative.get_absolute_url(), {"tab": "history", "kind": "role"})

        html = response.content.decode()
        assert {event.action for event in response.context["events"]} == {"role.assigned"}
        assert '<option value="role" selected>Roles</option>' in html
        assert 'href="?tab=history&amp;kind=role&amp;page=2#audit"' in html
        assert "Charter edited" not in html.split('id="audit"')[1]

    def test_an_unknown_kind_shows_every_kind(self, client, initiative, alice):
        client.force_login(alice)
        response = client.get(initiative.get_absolute_url(), {"tab": "history", "kind": "nope"})
        assert response.context["kind"] == ""
        assert len(response.context["events"]) == AuditEvent.objects.filter(initiative_id=initiative.pk).count()

    def test_a_change_names_its_field_without_the_form_field_style(self, client, initiative, alice):
        client.force_login(alice)
        trail = page(client, initiative, tab="history").split('id="audit"')[1]
        assert '<span class="changed-field">Outcome statement</span>' in trail
        assert 'class="field"' not in trail
