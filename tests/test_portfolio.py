"""The portfolio page and its CSV export: filters, as-of snapshots, charts, visibility, query count."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from governance.models import Gate, GatePolicy, GateReview
from initiatives import services
from initiatives.models import Initiative, Stage, StageChange
from initiatives.portfolio.figures import Point, value_risk_figure
from kpis.models import Scorecard
from kpis.recompute import recompute_scorecards

URL, EXPORT = "/portfolio/", "/portfolio/export.csv"
PILOT_THEATER = {"code": "pilot-theater", "label": "Pilot theater", "reason": "200 days since start."}
NO_SCALE_OWNER = {"code": "no-scale-owner", "label": "No scale owner", "reason": "Launched without one."}


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def place(initiative, **fields) -> Initiative:
    """Put an initiative where a test needs it (stage, status, business unit, dates) without the services."""
    Initiative.objects.filter(pk=initiative.pk).update(**fields)
    initiative.refresh_from_db()
    return initiative


def scorecard(initiative, health, *, at=None, **fields) -> Scorecard:
    values = {"stage": initiative.stage, "status": initiative.status, "confidence": "fresh", **fields}
    return Scorecard.objects.create(initiative=initiative, computed_at=at or timezone.now(), health=health, **values)


def table(response) -> list[str]:
    assert response.status_code == 200
    return [row.title for row in response.context["page"].object_list]


def export(client, query: str = "") -> list[list[str]]:
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.getvalue().decode())))


@pytest.fixture
def portfolio(make_initiative, sam):
    """Three initiatives that differ in stage, status, health, business unit and charter owner."""
    triage = make_initiative("Support triage")
    scorecard(triage, "green", time_reallocated_hours=10, realised_value=600, modelled_value=900, flags=[PILOT_THEATER])
    invoices = place(
        make_initiative("Invoice matching", owner=sam), stage=Stage.MEASURE_IMPACT, business_unit="Finance"
    )
    scorecard(invoices, "red", readiness_met=2, readiness_total=5, flags=[NO_SCALE_OWNER, PILOT_THEATER])
    contracts = place(make_initiative("Contract review"), stage=Stage.SCALED, status="on-hold", business_unit="Legal")
    return {"triage": triage, "invoices": invoices, "contracts": contracts}


@pytest.mark.parametrize("url", [URL, EXPORT])
def test_it_asks_anonymous_users_to_log_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_lists_every_initiative_with_its_scorecard(login, lee, portfolio):
    response = login(lee).get(URL)
    assert table(response) == ["Contract review", "Invoice matching", "Support triage"]
    html = response.content.decode()
    assert "not computed yet" in html  # Contract review has no scorecard
    assert 'EUR 600<br><small class="muted">10 h/week</small>' in html
    assert "2 / 5" in html
    assert 'href="/initiatives/support-triage/"' in html
    assert 'href="/portfolio/export.csv"' in html


def test_the_heatmap_counts_match_the_scorecards(login, lee, portfolio):
    heatmap = login(lee).get(URL).context["portfolio"].heatmap["data"][0]
    assert heatmap["x"] == ["Green", "Amber", "Red", "No data", "Killed"]
    assert heatmap["y"] == [s.label for s in Stage]
    assert heatmap["z"] == [
        [1, 0, 0, 0, 0],  # define outcome: Support triage, green
        [0, 0, 0, 0, 0],
        [0, 0, 1, 0, 0],  # measure impact: Invoice matching, red
        [0, 0, 0, 0, 0],
        [0, 0, 0, 1, 0],  # scaled: Contract review (on hold), no scorecard
    ]
    assert heatmap["text"] == heatmap["z"]


def test_the_heatmap_counts_killed_initiatives_apart(login, lee, portfolio, make_initiative):
    stopped = place(make_initiative("Call summaries"), stage=Stage.MEASURE_IMPACT, status="killed")
    scorecard(stopped, "red")  # its last health is not counted in the red cell

    response = login(lee).get(URL)
    heatmap = response.context["portfolio"].heatmap["data"][0]

    assert heatmap["z"][list(Stage).index(Stage.MEASURE_IMPACT)] == [0, 0, 1, 0, 1]  # Invoice matching; the kill
    assert sum(row[-1] for row in heatmap["z"]) == response.context["portfolio"].killed == 1
    assert "Killed initiatives are counted apart" in response.content.decode()


def test_the_heatmap_counts_what_the_scheduled_recompute_stored(login, lee, make_initiative):
    for title in ("Quote drafting", "Claims intake", "Churn alerts"):
        make_initiative(title)
    place(Initiative.objects.get(title="Claims intake"), stage=Stage.SECURE_FOUNDATION)
    recompute_scorecards(full=True)
    z = login(lee).get(URL).context["portfolio"].heatmap["data"][0]["z"]
    healths = [h for h, _ in Scorecard.Health.choices]
    expected = [[0] * 5 for _ in Stage]
    for card in Scorecard.objects.all():
        expected[list(Stage).index(card.stage)][healths.index(card.health)] += 1
    assert z == expected
    assert sum(map(sum, z)) == 3


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("stage=measure-impact", ["Invoice matching"]),
        ("status=on-hold", ["Contract review"]),
        ("health=green", ["Support triage"]),
        ("health=no-data", ["Contract review"]),
        ("business_unit=Finance", ["Invoice matching"]),
        ("owner=sam", ["Invoice matching"]),
        ("owner=alice", ["Contract review", "Support triage"]),
        ("owner=alice&health=green", ["Support triage"]),
        ("stage=secure-foundation", []),
    ],
)
def test_each_filter_narrows_the_table_and_the_export_identically(login, lee, portfolio, query, titles):
    client = login(lee)
    assert table(client.get(f"{URL}?{query}")) == titles
    lines = export(client, query)
    assert lines[0][:5] == ["Initiative", "Business unit", "Stage", "Status", "Health"]
    assert [line[0] for line in lines[1:]] == titles


def test_the_export_holds_every_row_of_every_page(login, lee, make_initiative, settings):
    for n in range(3):
        make_initiative(f"Initiative {n}")
    client = login(lee)
    response = client.get(EXPORT)
    assert response["Content-Disposition"] == (
        f'attachment; filename="portfolio-as-of-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    lines = export(client)
    assert [line[0] for line in lines[1:]] == ["Initiative 0", "Initiative 1", "Initiative 2"]
    assert lines[1][2:6] == ["Define outcome", "Active", "No data", ""]


def test_the_table_has_50_rows_a_page(login, lee, alice):
    Initiative.objects.bulk_create(
        Initiative(
            slug=f"i-{n:02}",
            title=f"Initiative {n:02}",
            business_unit="Ops",
            started_on=timezone.localdate(),
            stage_entered_at=timezone.now(),
            created_by=alice,
        )
        for n in range(51)
    )
    client = login(lee)
    assert len(table(client.get(URL))) == 50
    assert table(client.get(f"{URL}?page=2")) == ["Initiative 50"]
    assert len(export(client)) == 52  # header and all 51 rows


def test_export_neutralises_spreadsheet_formulas(login, lee, make_initiative):
    make_initiative("=HYPERLINK(1)")
    assert export(login(lee))[1][0] == "'=HYPERLINK(1)"


def test_as_of_a_past_date_shows_the_older_snapshot(login, lee, initiative):
    now = timezone.now()
    place(initiative, created_at=now - timedelta(days=30))
    scorecard(initiative, "red", at=now - timedelta(days=10), stage=Stage.DEFINE_OUTCOME)
    place(initiative, stage=Stage.SECURE_FOUNDATION)
    StageChange.objects.create(  # as the sign-off three days ago wrote it
        initiative=initiative,
        changed_at=now - timedelta(days=3),
        from_stage=Stage.DEFINE_OUTCOME,
        from_status="active",
        from_stage_entered_at=now - timedelta(days=30),
        to_stage=Stage.SECURE_FOUNDATION,
        to_status="active",
    )
    scorecard(initiative, "green", at=now - timedelta(days=1))
    client = login(lee)

    def row_as_of(days_ago: int):
        response = client.get(f"{URL}?as_of={(now - timedelta(days=days_ago)).date():%Y-%m-%d}")
        rows = response.context["page"].object_list
        return (rows[0].health, rows[0].stage) if rows else None

    assert row_as_of(0) == ("green", Stage.SECURE_FOUNDATION)
    assert row_as_of(5) == ("red", Stage.DEFINE_OUTCOME)  # the stage of then, not today's
    assert row_as_of(10) == ("red", Stage.DEFINE_OUTCOME)  # computed during that day
    assert row_as_of(20) == ("no-data", Stage.DEFINE_OUTCOME)  # existed, not computed yet
    assert row_as_of(40) is None  # created after that date


def test_latest_per_initiative_picks_the_newest_card_at_each_date(make_initiative):
    now = timezone.now()
    first, second = make_initiative("First"), make_initiative("Second")
    for days_ago, health in [(9, "red"), (5, "amber"), (5, "green"), (1, "amber")]:
        scorecard(first, health, at=now - timedelta(days=days_ago))
    scorecard(second, "green", at=now - timedelta(days=3))
    cards = list(Scorecard.objects.all())
    for days_ago in [0, 2, 4, 5, 7, 20]:
        end = now - timedelta(days=days_ago)
        expected = set()
        for initiative in (first, second):
            mine = [c for c in cards if c.initiative_id == initiative.pk and c.computed_at <= end]
            if mine:
                expected.add(max(mine, key=lambda c: (c.computed_at, c.pk)))
        assert set(Scorecard.objects.latest_per_initiative(as_of=end)) == expected


def test_outsiders_see_only_what_they_may(login, portfolio, lee, charlie, alice):
    services.create_initiative(acting_user=lee, title="Leadership secret", business_unit="Board")
    assert len(table(login(lee).get(URL))) == 4
    assert table(login(alice).get(URL)) == ["Contract review", "Invoice matching", "Support triage"]
    response = login(charlie).get(URL)
    assert table(response) == []
    assert sum(map(sum, response.context["portfolio"].heatmap["data"][0]["z"])) == 0
    assert "Leadership secret" not in response.content.decode()
    assert "No initiatives you can see yet" in response.content.decode()
    assert export(login(charlie)) == [export(login(lee))[0]]
    # Filter choices come from visible initiatives only: no leaking business units or owners.
    form = login(alice).get(URL).context["form"]
    assert "Board" not in dict(form.fields["business_unit"].choices)
    assert list(form.fields["owner"].choices) == [
        ("", "Any owner"),
        ("alice", "Alice Product"),
        ("sam", "Sam Sponsor"),
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stage=bogus", "Select a valid choice. bogus is not one of the available choices. Showing every stage"),
        ("status=nope", "Showing every status instead."),
        ("health=purple", "Showing every health instead."),
        ("business_unit=Nowhere", "Showing every business unit instead."),
        ("owner=mallory", "Showing every owner instead."),
        ("as_of=31/02/2026", "Enter a valid date. Showing today instead."),
        ("as_of=2999-01-01", "The as-of date cannot be in the future. Showing today instead."),
        ("page=banana", None),
    ],
)
def test_bad_parameters_give_a_message_and_fall_back_to_the_default(login, lee, portfolio, query, message):
    client = login(lee)
    response = client.get(f"{URL}?{query}")
    assert table(response) == ["Contract review", "Invoice matching", "Support triage"]
    if message:
        assert message in response.content.decode()
    assert response.context["portfolio"].as_of == timezone.localdate()
    assert len(export(client, query)) == 4


def test_the_empty_state_says_how_scorecards_get_computed(login, lee, charlie, initiative):
    html = login(lee).get(URL).content.decode()
    assert "No scorecards yet: they are computed every 5 minutes by Celery beat" in html
    assert "python manage.py recompute_scorecards --all" in html
    recompute_scorecards(full=True)
    assert "No scorecards yet" not in login(lee).get(URL).content.decode()
    assert "No initiative matches these filters" in login(lee).get(f"{URL}?stage=scaled").content.decode()


def test_stuck_initiatives_are_listed_longest_first(login, lee, make_initiative, settings):
    settings.STUCK_AFTER_DAYS = 60
    now = timezone.now()
    place(make_initiative("Fresh"), stage_entered_at=now - timedelta(days=10))
    place(make_initiative("Stuck"), stage_entered_at=now - timedelta(days=61))
    place(make_initiative("Very stuck"), stage_entered_at=now - timedelta(days=200))
    place(make_initiative("Parked"), stage_entered_at=now - timedelta(days=300), status="on-hold")
    response = login(lee).get(URL)
    stuck = response.context["portfolio"].stuck
    assert [(r.title, r.days_in_stage) for r in stuck] == [("Very stuck", 200), ("Stuck", 61)]
    assert "Very stuck" in response.content.decode()


def _review(initiative, status, *, closed_days_ago=None, requested_days_ago=30) -> GateReview:
    now = timezone.now()
    return GateReview.objects.create(
        initiative=initiative,
        gate=Gate.CHARTER_SIGNOFF,
        policy=GatePolicy.objects.current(Gate.CHARTER_SIGNOFF, initiative.risk_tier),
        from_stage=Stage.DEFINE_OUTCOME,
        to_stage=Stage.SECURE_FOUNDATION,
        status=status,
        requested_by=initiative.created_by,
        requested_at=now - timedelta(days=requested_days_ago),
        closed_at=now - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
        snapshot_hash="0" * 64,
    )


def test_gate_outcomes_count_the_reviews_closed_within_the_filtered_set(login, lee, portfolio):
    triage, invoices = portfolio["triage"], portfolio["invoices"]
    place(triage, created_at=timezone.now() - timedelta(days=60))
    for status in ["approved", "approved", "killed", "held", "recycled", "changes-requested", "rejected"]:
        _review(triage, status, closed_days_ago=5)
    _review(triage, "open")
    _review(invoices, "rejected", closed_days_ago=5)  # another business unit
    _review(triage, "killed", closed_days_ago=1, requested_days_ago=4)
    client = login(lee)

    def outcomes(query):
        data = client.get(f"{URL}?{query}").context["portfolio"]
        return dict(data.gate_outcomes), data.closed_reviews, data.review_counts["open"]

    expected = {
        "Approved": 2,
        "Killed": 2,
        "Held": 1,
        "Recycled": 1,
        "Changes requested": 1,
        "Rejected": 1,
    }
    assert outcomes("business_unit=Customer+Support") == (expected, 8, 1)
    assert outcomes("")[0]["Rejected"] == 2
    # Three days ago the last kill was still awaiting its decision.
    three_days_ago = (timezone.now() - timedelta(days=3)).date()
    assert outcomes(f"business_unit=Customer+Support&as_of={three_days_ago}") == ({**expected, "Killed": 1}, 7, 2)


def test_the_failure_mode_summary_counts_initiatives_not_flags(login, lee, portfolio):
    counts = login(lee).get(URL).context["portfolio"].flag_counts
    assert [(label, n) for _, label, n, _ in counts] == [
        ("Pilot theater", 2),
        ("No scale owner", 1),
        ("Stale data", 0),
        ("Approval overdue", 0),
        ("Behind plan", 0),
        ("Cost rising", 0),
        ("Drift rising", 0),
    ]


def test_value_versus_risk_plots_realised_value_by_tier_sized_by_modelled_value(login, lee, make_initiative):
    low = make_initiative("Low risk", risk_tier="low")
    high = make_initiative("High risk", risk_tier="high")
    scorecard(low, "green", realised_value=600.0, modelled_value=900.0)
    scorecard(high, "red", realised_value=120.0, modelled_value=225.0)
    scorecard(make_initiative("Unmeasured"), "amber")
    figure = login(lee).get(URL).context["portfolio"].value_risk
    traces = {t["name"]: t for t in figure["data"]}
    assert list(traces) == ["Green", "Amber", "Red", "No data"]
    assert (traces["Green"]["y"], traces["Green"]["text"], traces["Green"]["customdata"]) == (
        [600.0],
        ["Low risk"],
        [["?health=green&risk_tier=low&sort=-realised_value", 900.0, "Low risk"]],
    )
    assert traces["Red"]["text"] == ["High risk"] and traces["Amber"]["y"] == []
    assert round(traces["Green"]["x"][0]) == 0 and round(traces["Red"]["x"][0]) == 2
    assert traces["Green"]["marker"]["size"][0] > traces["Red"]["marker"]["size"][0]
    assert figure["layout"]["xaxis"]["ticktext"] == ["Low", "Medium", "High"]

    # Its table lists the same points, with the labels a reader sees, and the same links.
    rows = login(lee).get(URL).context["portfolio"].value_risk_rows
    assert rows == [
        ("Low risk", "Low", "Green", 600.0, 900.0, "?health=green&risk_tier=low&sort=-realised_value"),
        ("High risk", "High", "Red", 120.0, 225.0, "?health=red&risk_tier=high&sort=-realised_value"),
    ]


def test_value_versus_risk_spreads_points_of_one_tier():
    points = [Point(f"R{n}", "medium", "green", 10.0 * n, None, "?") for n in range(3)]
    xs = value_risk_figure(points)["data"][0]["x"]
    assert len(set(xs)) == 3 and all(0.5 < x < 1.5 for x in xs)


def _build(alice, sam, n: int) -> None:
    """n initiatives, each with a charter owner, roles, two scorecards and two gate reviews."""
    for i in range(n):
        initiative = services.create_initiative(acting_user=alice, title=f"Initiative {i}", business_unit=f"BU {i % 4}")
        services.update_charter(initiative.pk, acting_user=alice, owner=sam if i % 2 else alice)
        scorecard(initiative, "amber", at=timezone.now() - timedelta(days=3), flags=[PILOT_THEATER])
        scorecard(initiative, "green", realised_value=60.0 * i, modelled_value=90.0 * i)
        _review(initiative, "approved", closed_days_ago=2)
        _review(initiative, "open")


# Eleven of its own (session, user, leadership check, filter choices, counts, table page, chart points, longest
# in stage, gate outcomes, reuse, the shadow-AI card), one for the layout (the nav's unread notifications) and
# one to spare: a query per row would exceed it even at n=3.
QUERY_BOUND = 13


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize("who", ["lee", "alice"])
@pytest.mark.parametrize(
    "url", [URL, f"{URL}?owner=sam&as_of=2020-01-01&health=no-data", f"{URL}?diagnosis=not-enough-data", EXPORT]
)
def test_the_page_and_export_run_a_constant_number_of_queries(
    login, request, alice, sam, lee, django_assert_max_num_queries, n, who, url
):
    _build(alice, sam, n)
    client = login(request.getfixturevalue(who))
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(url)
        assert response.status_code == 200
        response.getvalue()  # the export's rows are read as it streams


def test_a_user_without_scorecards_or_filters_sees_the_page(login, db):
    user = User.objects.create_user("newcomer", password="pw-for-tests-only")
    response = login(user).get(URL)
    assert response.status_code == 200
    assert table(response) == []


def test_reuse_rate_and_prompt_reuse(login, portfolio, lee):
    from governance.library import services as library
    from initiatives.models import Initiative

    support, invoice = Initiative.objects.get(title="Support triage"), Initiative.objects.get(title="Invoice matching")
    prompt = library.create_asset(
        acting_user=lee,
        name="Triage prompt",
        type="prompt-template",
        content="Classify {{ticket}}.",
        source_initiative=support,
    )
    library.adopt_version(support.pk, acting_user=lee, asset=prompt)  # its own: not reuse
    library.adopt_version(invoice.pk, acting_user=lee, asset=prompt)  # from elsewhere: reuse
    shown = login(lee).get(URL).context["portfolio"]
    assert shown.reuse_rate == 1 / shown.count
    assert shown.prompt_reuse == 0.5


def test_money_is_rounded_and_carries_the_currency_in_the_export_and_on_the_page(login, lee, make_initiative, settings):
    settings.VALUE_CURRENCY = "USD"
    summaries = make_initiative("Call summaries")
    scorecard(summaries, "green", time_reallocated_hours=95.96, realised_value=5757.599999999999)
    client = login(lee)

    lines = export(client)
    header, [line] = lines[0], lines[1:]

    assert "Value returned per week (USD)" in header
    row = dict(zip(header, line, strict=True))
    assert row["Value returned per week (USD)"] == "5757.60"
    assert row["Hours returned per week"] == "96.0"
    html = client.get(URL).content.decode()
    assert "USD 5,758<br>" in html and "5757.59" not in html


def test_the_scorecard_panel_shows_money_in_the_currency(login, lee, initiative):
    scorecard(
        initiative,
        "green",
        time_saved_hours=10,
        modelled_value=600.4,
        time_reallocated_hours=5,
        realised_value=300.2,
        cost_per_transaction=0.0038,
        monthly_cost=684.000001,
        monthly_cost_at_2x=1368.000002,
    )

    html = login(lee).get(f"/initiatives/{initiative.slug}/").content.decode()

    assert "EUR 300 a week" in html and "EUR 600 a week" in html
    assert "EUR 0.0038 per transaction" in html and "EUR 684 a month; EUR 1,368 at 2× volume" in html


# Exploring: sorting, totals, and the links behind the heatmap, the failure modes and the bubbles.


@pytest.fixture
def valued(make_initiative):
    """Four initiatives with value and cost; one of them killed, one without a scorecard."""
    cards = {
        "Quote drafting": ("green", Stage.MEASURE_IMPACT, "active", 300.0, 500.0, 40.0),
        "Claims intake": ("red", Stage.MEASURE_IMPACT, "active", 900.0, 1000.0, 120.0),
        "Churn alerts": ("red", Stage.MEASURE_IMPACT, "killed", 100.0, None, 10.0),
    }
    for title, (health, stage, status, realised, modelled, cost) in cards.items():
        initiative = place(make_initiative(title, risk_tier="high"), stage=stage, status=status)
        scorecard(
            initiative,
            health,
            realised_value=realised,
            modelled_value=modelled,
            monthly_cost=cost,
            flags=[PILOT_THEATER] if health == "red" else [],
        )
    make_initiative("Agent handbook")


def test_columns_sort_both_ways_and_say_so(login, lee, valued):
    client = login(lee)
    assert table(client.get(f"{URL}?sort=-realised_value")) == [
        "Claims intake",
        "Quote drafting",
        "Churn alerts",
        "Agent handbook",  # no figure: last both ways
    ]
    assert table(client.get(f"{URL}?sort=realised_value")) == [
        "Churn alerts",
        "Quote drafting",
        "Claims intake",
        "Agent handbook",
    ]
    assert table(client.get(f"{URL}?sort=health"))[:1] == ["Quote drafting"]  # green first, in declared order
    headings = {h["column"].label: h for h in client.get(f"{URL}?sort=-realised_value").context["portfolio"].columns}
    assert headings["Realised a week"]["aria_sort"] == "descending"
    assert headings["Realised a week"]["link"] == "?sort=realised_value"  # clicked again: reversed
    assert headings["Initiative"]["aria_sort"] is None
    assert headings["Initiative"]["link"] == "?"  # the default order needs no parameter
    assert headings["Monthly cost"]["link"] == "?sort=-monthly_cost"  # amounts: largest first
    html = client.get(f"{URL}?sort=-realised_value").content.decode()
    assert 'aria-sort="descending"' in html and html.count("aria-sort=") == 1


def test_stages_sort_in_the_frameworks_order_and_a_bad_sort_falls_back_to_titles(login, lee, portfolio):
    client = login(lee)
    assert table(client.get(f"{URL}?sort=stage")) == ["Support triage", "Invoice matching", "Contract review"]
    assert table(client.get(f"{URL}?sort=-stage")) == ["Contract review", "Invoice matching", "Support triage"]
    assert table(client.get(f"{URL}?sort=password")) == ["Contract review", "Invoice matching", "Support triage"]


def test_the_export_follows_the_tables_order(login, lee, valued):
    lines = export(login(lee), "sort=-realised_value")
    assert [line[0] for line in lines[1:]] == ["Claims intake", "Quote drafting", "Churn alerts", "Agent handbook"]


def test_the_totals_row_sums_every_shown_initiative_in_the_currency(login, lee, valued, settings):
    settings.VALUE_CURRENCY = "USD"
    response = login(lee).get(URL)
    assert response.context["portfolio"].totals == {
        "realised_value": 1300.0,
        "modelled_value": 1500.0,
        "monthly_cost": 170.0,
    }
    tfoot = response.content.decode().split('<tr class="totals">')[1].split("</tr>")[0]
    assert "Total of 4 initiatives" in tfoot
    assert "USD 1,300" in tfoot and "USD 1,500" in tfoot and "USD 170" in tfoot
    narrowed = login(lee).get(f"{URL}?health=red").context["portfolio"].totals
    assert narrowed == {"realised_value": 1000.0, "modelled_value": 1000.0, "monthly_cost": 130.0}


def test_totals_cover_every_page_not_only_the_shown_one(login, lee, alice, monkeypatch):
    monkeypatch.setattr("initiatives.portfolio.queries.PAGE_SIZE", 2)
    for n in range(5):
        scorecard(
            Initiative.objects.create(
                slug=f"i-{n}",
                title=f"I {n}",
                business_unit="Ops",
                started_on=timezone.localdate(),
                stage_entered_at=timezone.now(),
                created_by=alice,
            ),
            "green",
            stage=Stage.DEFINE_OUTCOME,
            status="active",
            realised_value=10.0,
        )
    response = login(lee).get(f"{URL}?page=3")
    assert table(response) == ["I 4"]
    assert response.context["portfolio"].totals["realised_value"] == 50.0
    assert "Total of all 5 initiatives (every page)" in response.content.decode()


def test_each_heatmap_cell_links_to_exactly_the_initiatives_it_counts(login, lee, valued, portfolio):
    client = login(lee)
    shown = client.get(URL).context["portfolio"]
    figure = shown.heatmap["data"][0]
    assert figure["customdata"] == shown.heatmap_links
    followed = 0
    for counts, links in zip(figure["z"], figure["customdata"], strict=True):
        for count, link in zip(counts, links, strict=True):
            if count:
                assert client.get(f"{URL}{link}").context["portfolio"].count == count, link
                followed += 1
    assert followed >= 5
    measure_impact = figure["customdata"][list(Stage).index(Stage.MEASURE_IMPACT)]
    assert measure_impact[2] == "?stage=measure-impact&status=not-killed&health=red"
    assert measure_impact[4] == "?stage=measure-impact&status=killed"
    html = client.get(URL).content.decode()
    assert 'href="?stage=measure-impact&amp;status=not-killed&amp;health=red#initiatives">2</a>' in html  # no JS


def test_heatmap_links_keep_the_other_filters_and_a_chosen_live_status(login, lee, valued):
    links = login(lee).get(f"{URL}?status=active&risk_tier=high&sort=-monthly_cost").context["portfolio"]
    assert (
        links.heatmap_links[0][0]
        == "?stage=define-outcome&status=active&health=green&risk_tier=high&sort=-monthly_cost"
    )


def test_failure_mode_counts_link_to_the_initiatives_flagged(login, lee, valued):
    client = login(lee)
    counts = {code: (n, link) for code, _, n, link in client.get(URL).context["portfolio"].flag_counts}
    assert counts["pilot-theater"] == (2, "?flag=pilot-theater")
    assert table(client.get(f"{URL}?flag=pilot-theater")) == ["Churn alerts", "Claims intake"]
    assert table(client.get(f"{URL}?flag=no-scale-owner")) == []
    html = client.get(URL).content.decode()
    assert 'href="?flag=pilot-theater#initiatives"' in html


def test_a_bubble_links_to_its_risk_tier_and_health_largest_first(login, lee, valued):
    client = login(lee)
    figure = client.get(URL).context["portfolio"].value_risk
    red = next(t for t in figure["data"] if t["name"] == "Red")
    link = red["customdata"][0][0]
    assert link == "?health=red&risk_tier=high&sort=-realised_value"
    assert table(client.get(f"{URL}{link}")) == ["Claims intake", "Churn alerts"]
    assert red["text"] == ["Claims intake", ""]  # the largest of the tier is named


def test_the_chart_plots_the_largest_values_and_says_how_many_it_left_out(login, lee, valued, monkeypatch):
    monkeypatch.setattr("initiatives.portfolio.queries.POINTS_SHOWN", 2)
    response = login(lee).get(URL)
    shown = response.context["portfolio"]
    assert [p.title for p in shown.points] == ["Claims intake", "Quote drafting"]
    assert shown.points_left_out == 1
    assert "The 2 largest realised values are plotted; 1 smaller one left out." in response.content.decode()


def test_the_export_streams_and_builds_urls_from_one_prefix(login, lee, portfolio):
    response = login(lee).get(EXPORT)
    assert response.streaming
    lines = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert {line[-1] for line in lines[1:]} == {
        f"/initiatives/{slug}/" for slug in Initiative.objects.values_list("slug", flat=True)
    }


def test_the_page_and_export_stay_bounded_with_many_initiatives(
    login, lee, alice, django_assert_max_num_queries, settings
):
    """120 initiatives, a third stuck, most with two scorecards: every view of the page, past ones and those
    filtered by health included, runs the same statements as with three."""
    settings.STUCK_AFTER_DAYS = 30
    long_ago = timezone.now() - timedelta(days=90)
    Initiative.objects.bulk_create(
        Initiative(
            slug=f"many-{n:03}",
            title=f"Many {n:03}",
            business_unit=f"BU {n % 5}",
            risk_tier=["low", "medium", "high"][n % 3],
            started_on=timezone.localdate(),
            stage_entered_at=long_ago if n % 3 == 0 else timezone.now(),
            created_by=alice,
            created_at=long_ago,
        )
        for n in range(120)
    )
    Scorecard.objects.bulk_create(
        Scorecard(
            initiative=initiative,
            computed_at=timezone.now() - timedelta(days=days),
            stage=initiative.stage,
            status=initiative.status,
            health=["green", "amber", "red"][initiative.pk % 3],
            confidence="fresh",
            flags=[PILOT_THEATER] if initiative.pk % 2 else [],
            realised_value=float(initiative.pk),
            modelled_value=2.0 * initiative.pk,
            monthly_cost=1.0,
        )
        for initiative in Initiative.objects.all()[:100]
        for days in (0, 20)
    )
    client = login(lee)
    past = (timezone.now() - timedelta(days=10)).date()
    for url in [
        URL,
        f"{URL}?page=3&sort=-realised_value",
        f"{URL}?health=red&flag=pilot-theater",
        f"{URL}?as_of={past}&sort=health",
        EXPORT,
    ]:
        with django_assert_max_num_queries(QUERY_BOUND):
            response = client.get(url)
            assert response.status_code == 200
            body = response.getvalue()
    assert body.count(b"\n") == 121
    shown = client.get(URL).context["portfolio"]
    assert shown.count == 120 and len(shown.stuck) == 20 and shown.stuck_count == 40
    assert len(client.get(f"{URL}?page=3").context["page"].object_list) == 20


def test_a_rows_failure_modes_read_in_the_frameworks_order_once_each(login, lee, initiative):
    stored = [
        {"code": "behind-plan", "label": "Behind plan", "day": 30, "days": 2},
        {"code": "pilot-theater", "label": "Pilot theater", "days": 120},
        {"code": "pilot-theater", "label": "Pilot theater", "since_launch": 1},
        {"code": "retired-mode", "label": "A mode no longer raised"},
    ]
    scorecard(initiative, "red", flags=stored)

    [row] = login(lee).get(URL).context["page"].object_list

    assert row.flag_labels == ["Pilot theater", "Behind plan", "A mode no longer raised"]
