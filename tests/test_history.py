"""True history: any past day shows what stood on it (stage and status from the decisions' history, KPI
figures from the points recorded by then, gate outcomes decided by then), and past snapshots are computed
from the data as it was (recompute_scorecards --as-of / --since)."""

from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from governance.audit import verify_chain
from governance.models import AssetVersion, AuditEvent, GateReview
from governance.services import resume_initiative
from initiatives.models import Initiative, Role, Stage, StageChange
from initiatives.portfolio.queries import build_portfolio
from kpis.models import Measurement, Scorecard
from kpis.recompute import end_of_day, recompute_scorecards
from kpis.scorecard_sql import insert_scorecards, store_past_scorecards
from opmodel.compat import UTC
from tests.lifecycle import api_as, decide, give_role, request

ACTIVE, ON_HOLD, KILLED = Initiative.Status.ACTIVE, Initiative.Status.ON_HOLD, Initiative.Status.KILLED
DEFINE, FOUNDATION = Stage.DEFINE_OUTCOME, Stage.SECURE_FOUNDATION


def ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def day_of(days_ago: float) -> date:
    return ago(days_ago).astimezone(UTC).date()


def backdate(initiative, days_ago: float, review=None) -> None:
    """Move what the last step wrote to `days_ago`, as the demo's replay does: the history row, the
    stage entry, the review's request or closing."""
    when = ago(days_ago)
    last = StageChange.objects.filter(initiative=initiative).order_by("-id").first()
    if last is not None and last.changed_at > when:
        StageChange.objects.filter(pk=last.pk).update(changed_at=when)
        if last.from_stage != last.to_stage:
            Initiative.objects.filter(pk=initiative.pk).update(stage_entered_at=when)
    if review is not None:
        review.refresh_from_db()
        field = "requested_at" if review.status == GateReview.Status.OPEN else "closed_at"
        GateReview.objects.filter(pk=review.pk).update(**{field: when})
    initiative.refresh_from_db()


def states_at(initiatives: list[dict], when) -> dict[int, dict]:
    """What stood at `when` for each of `initiatives` (dicts with id, stage, status, stage_entered_at, as
    they are now), told from the history in Python: the state the first change after `when` left, or the
    current one when none did. The reference the portfolio's SQL and the past snapshots are held to."""
    states = {i["id"]: {name: i[name] for name in ("stage", "status", "stage_entered_at")} for i in initiatives}
    later = StageChange.objects.filter(initiative_id__in=list(states), changed_at__gt=when).order_by(
        "initiative_id", "changed_at", "id"
    )
    seen = set()
    for change in later.values("initiative_id", "from_stage", "from_status", "from_stage_entered_at"):
        if change["initiative_id"] not in seen:
            seen.add(change["initiative_id"])
            states[change["initiative_id"]] = {
                "stage": change["from_stage"],
                "status": change["from_status"],
                "stage_entered_at": change["from_stage_entered_at"],
            }
    return states


# (days ago, stage, status) after each step of the story below.
STORY = [
    (40, FOUNDATION, ACTIVE),  # charter signed off
    (28, FOUNDATION, ON_HOLD),  # foundation review: held
    (20, FOUNDATION, ACTIVE),  # resumed
    (12, DEFINE, ACTIVE),  # second foundation review: recycled to define outcome
    (5, FOUNDATION, ACTIVE),  # charter signed off again
    (3, FOUNDATION, KILLED),  # third foundation review: killed
]


@pytest.fixture
def story(initiative, alice, lee, rita):
    """Alice's initiative, created 60 days ago, through every kind of stage and status change: Lee signs
    charters off, Rita (security / risk) decides the foundation reviews."""
    Initiative.objects.filter(pk=initiative.pk).update(created_at=ago(60), stage_entered_at=ago(60))
    initiative.refresh_from_db()
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)

    def gate(requested: int, decided: int, decision: str, **extra):
        review = request(initiative, alice)
        backdate(initiative, requested, review)
        decider = lee if review.gate == "charter-signoff" else rita
        decide(review, decider, decision, **({"comment": "Decided."} if decision != "approve" else {}), **extra)
        backdate(initiative, decided, review)
        return review

    gate(41, 40, "approve")
    gate(30, 28, "hold")
    resume_initiative(initiative.pk, acting_user=lee, comment="Budget released.")
    backdate(initiative, 20)
    gate(14, 12, "recycle", recycle_to=DEFINE)
    gate(6, 5, "approve")
    gate(4, 3, "kill")
    return initiative


def expected_on(day: date) -> tuple[str, str]:
    """The stage and status the story says stood at the end of `day`."""
    stage, status = DEFINE, ACTIVE
    for days_ago, then_stage, then_status in STORY:
        if day_of(days_ago) <= day:
            stage, status = then_stage, then_status
    return stage, status


def days_around_each_change() -> list[date]:
    return sorted({day_of(days_ago) + timedelta(days=d) for days_ago, _, _ in STORY for d in (-1, 0)})


def test_each_decision_records_the_state_it_left_and_the_one_it_made(story):
    changes = StageChange.objects.filter(initiative=story)
    assert [(c.from_stage, c.from_status, c.to_stage, c.to_status) for c in changes] == [
        (DEFINE, ACTIVE, FOUNDATION, ACTIVE),
        (FOUNDATION, ACTIVE, FOUNDATION, ON_HOLD),
        (FOUNDATION, ON_HOLD, FOUNDATION, ACTIVE),
        (FOUNDATION, ACTIVE, DEFINE, ACTIVE),
        (DEFINE, ACTIVE, FOUNDATION, ACTIVE),
        (FOUNDATION, ACTIVE, FOUNDATION, KILLED),
    ]
    # Each change keeps when the stage it left had been entered: the creation, then each stage move.
    entered = [c.from_stage_entered_at for c in changes]
    assert abs(entered[0] - ago(60)) < timedelta(minutes=1)
    assert entered[1] == entered[2] == entered[3] == changes[0].changed_at
    assert entered[4] == changes[3].changed_at and entered[5] == changes[4].changed_at


def test_a_refused_decision_records_no_change(initiative, alice):
    review = request(initiative, alice)
    with pytest.raises(Exception, match="segregation"):
        decide(review, alice)
    assert not StageChange.objects.exists()


def test_the_state_on_each_day_around_each_change(story):
    rows = Initiative.objects.filter(pk=story.pk).values("id", "stage", "status", "stage_entered_at")
    for day in days_around_each_change():
        state = states_at(list(rows), end_of_day(day))[story.pk]
        assert (state["stage"], state["status"]) == expected_on(day), day


def test_the_portfolio_as_of_each_day_shows_the_stage_and_status_of_then(story, lee, client):
    client.force_login(lee)
    for day in days_around_each_change():
        response = client.get(f"/portfolio/?as_of={day:%Y-%m-%d}")
        [row] = response.context["page"].object_list
        assert (row.stage, row.status) == expected_on(day), day
    before_it_existed = client.get(f"/portfolio/?as_of={day_of(61):%Y-%m-%d}")
    assert list(before_it_existed.context["page"].object_list) == []
    [row] = client.get("/portfolio/").context["page"].object_list
    assert (row.stage, row.status) == (FOUNDATION, KILLED)


def test_a_past_day_without_snapshots_names_the_commands_that_compute_it(story, lee, client):
    client.force_login(lee)
    day = day_of(10)
    html = client.get(f"/portfolio/?as_of={day:%Y-%m-%d}").content.decode()
    assert f"python manage.py recompute_scorecards --as-of {day:%Y-%m-%d}" in html
    assert f"python manage.py recompute_scorecards --since {day:%Y-%m-%d}" in html
    assert "recompute_scorecards --all" not in html  # that computes today only
    call_command("recompute_scorecards", "--as-of", f"{day:%Y-%m-%d}", stdout=StringIO())
    html = client.get(f"/portfolio/?as_of={day:%Y-%m-%d}").content.decode()
    assert "No scorecards" not in html


def test_gate_outcomes_count_the_reviews_decided_by_then(story, lee):
    def outcomes(days_ago: int) -> dict:
        portfolio = build_portfolio(lee, {"as_of": f"{day_of(days_ago):%Y-%m-%d}"})
        counts = {label: n for label, n in portfolio.gate_outcomes if n}
        return {**counts, "open": portfolio.review_counts["open"]}

    assert outcomes(45) == {"open": 0}
    assert outcomes(35) == {"Approved": 1, "open": 0}
    assert outcomes(29) == {"Approved": 1, "open": 1}  # the foundation review, requested 30 days ago
    assert outcomes(25) == {"Approved": 1, "Held": 1, "open": 0}
    assert outcomes(10) == {"Approved": 1, "Held": 1, "Recycled": 1, "open": 0}
    assert outcomes(0) == {"Approved": 2, "Held": 1, "Recycled": 1, "Killed": 1, "open": 0}


def test_a_past_snapshot_stands_where_the_initiative_stood(story):
    for day in days_around_each_change():
        call_command("recompute_scorecards", "--as-of", f"{day:%Y-%m-%d}", stdout=StringIO())
        card = Scorecard.objects.get(initiative=story, computed_at=end_of_day(day))
        stage, status = expected_on(day)
        assert (card.stage, card.status) == (stage, status), day
        assert card.next_gate == {DEFINE: "charter-signoff", FOUNDATION: "foundation-ready"}[stage]


def test_the_scorecard_api_as_of_a_day_shows_the_stage_and_status_of_then(story, alice):
    call_command("recompute_scorecards", "--since", f"{day_of(60):%Y-%m-%d}", stdout=StringIO())
    client = api_as(alice)
    for days_ago in (29, 25, 10, 4):
        body = client.get(f"/api/v1/initiatives/{story.slug}/scorecard/", {"as_of": f"{day_of(days_ago):%Y-%m-%d}"})
        assert body.status_code == 200, body.content
        stored = Scorecard.objects.latest_per_initiative(as_of=end_of_day(day_of(days_ago))).get(initiative=story)
        assert (body.json()["stage"], body.json()["status"]) == expected_on(stored.computed_at.date())
    assert client.get(f"/api/v1/initiatives/{story.slug}/scorecard/", {"as_of": "2026-01-01"}).status_code == 404


@pytest.fixture
def measured(kpi, initiative):
    """Alice's KPI (daily) with a point 20, 10 and 2 days ago; the initiative created 30 days ago."""
    Initiative.objects.filter(pk=initiative.pk).update(created_at=ago(30), stage_entered_at=ago(30))
    kpi.cadence = "daily"
    kpi.save(update_fields=["cadence"])
    for days_ago, value in [(20, 12.0), (10, 9.0), (2, 7.0)]:
        Measurement.objects.create(kpi=kpi, timestamp=ago(days_ago), value=value)
    return kpi


def test_a_backfill_stores_weekly_snapshots_from_the_data_as_it_was(measured, initiative):
    recompute_scorecards(full=True)
    today_card = Scorecard.objects.get(initiative=initiative)
    initiative.mark_dirty()
    since = day_of(24)
    out = StringIO()
    call_command("recompute_scorecards", "--since", f"{since:%Y-%m-%d}", stdout=out)

    days = [since + timedelta(days=7 * n) for n in range(4)]  # 24, 17, 10 and 3 days ago
    assert f"Stored 4 past scorecard(s) for 4 day(s) ({days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d})." in out.getvalue()
    past = Scorecard.objects.filter(initiative=initiative).exclude(pk=today_card.pk).order_by("computed_at")
    assert [card.computed_at for card in past] == [end_of_day(day) for day in days]
    latest = [card.kpi_rows()[0]["latest_value"] for card in past]
    assert latest == [None, 12.0, 9.0, 9.0]  # the newest point by each day's end, never a later one
    # Staleness is judged at each day's end: a daily KPI with no point yet, then its last point about
    # 3, 0 and 7 days before.
    assert [card.kpi_rows()[0]["stale"] for card in past] == [True, True, False, True]

    # A rerun replaces those snapshots rather than adding more; the dirty mark waits for the real recompute.
    call_command("recompute_scorecards", "--since", f"{since:%Y-%m-%d}", stdout=StringIO())
    assert Scorecard.objects.filter(initiative=initiative).count() == 5
    initiative.refresh_from_db()
    assert initiative.scorecard_dirty_at is not None
    # Past snapshots are never the latest: today's stays the one shown.
    assert Scorecard.objects.latest_per_initiative().get(initiative=initiative) == today_card
    assert Scorecard.objects.filter(initiative=initiative).first() == today_card


def test_a_normal_recompute_is_unchanged_by_the_history(measured, initiative):
    recompute_scorecards(full=True)
    card = Scorecard.objects.get(initiative=initiative)
    assert card.kpi_rows()[0]["latest_value"] == 7.0
    assert card.computed_at > ago(1)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--as-of", "today"], "is not a date; write it as YYYY-MM-DD"),
        (["--as-of", "TODAY"], "Choose a day before today"),
        (["--since", "TODAY"], "not in the past"),
        (["--all", "--since", "2026-01-01"], "not allowed with argument"),
    ],
)
def test_bad_days_are_refused_with_a_reason(db, arguments, message):
    arguments = [a.replace("TODAY", f"{timezone.now().astimezone(UTC).date():%Y-%m-%d}") for a in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("recompute_scorecards", *arguments, stdout=StringIO())
    assert not Scorecard.objects.exists()


def test_a_snapshot_as_of_a_day_stands_for_its_end():
    assert end_of_day(date(2026, 8, 1)) == datetime.combine(date(2026, 8, 1), time.max, tzinfo=UTC)


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    call_command("seed_demo", stdout=StringIO())
    return User.objects.get(username="leader")


def test_every_demo_initiative_shows_the_earlier_stage_the_day_before_each_change(demo, client):
    client.force_login(demo)
    changes = list(StageChange.objects.select_related("initiative"))
    assert len({c.initiative_id for c in changes}) >= 10
    assert {c.to_status for c in changes} >= {KILLED, ON_HOLD}
    for change in changes:
        day = change.changed_at.astimezone(UTC).date()
        for shown, (stage, status) in [
            (day - timedelta(days=1), (change.from_stage, change.from_status)),
            (day, (change.to_stage, change.to_status)),
        ]:
            response = client.get(f"/portfolio/?as_of={shown:%Y-%m-%d}&status=")
            rows = {row.slug: row for row in response.context["page"].object_list}
            row = rows[change.initiative.slug]
            assert (row.stage, row.status) == (stage, status), (change.initiative.slug, shown)
    # Killed or held initiatives were active before: as of the day before, the page says so.
    for change in changes:
        if change.to_status != ACTIVE:
            before = change.changed_at.astimezone(UTC).date() - timedelta(days=1)
            portfolio = build_portfolio(demo, {"as_of": f"{before:%Y-%m-%d}", "status": ACTIVE})
            assert change.initiative.slug in {row.slug for row in portfolio.rows()}


def test_the_demo_has_weekly_snapshots_that_stand_where_each_initiative_stood(demo, client):
    client.force_login(demo)
    first = Initiative.objects.order_by("started_on").first()
    past = Scorecard.objects.filter(computed_at__lte=end_of_day(day_of(1)))  # not today's
    days = sorted({card.computed_at for card in past})
    assert days[0] == end_of_day(first.started_on)
    assert all(later - earlier == timedelta(days=7) for earlier, later in zip(days, days[1:], strict=False))
    rows = list(Initiative.objects.values("id", "stage", "status", "stage_entered_at"))
    for moment in days:
        states = states_at(rows, moment)
        for card in past.filter(computed_at=moment):
            assert (card.stage, card.status) == (
                states[card.initiative_id]["stage"],
                states[card.initiative_id]["status"],
            ), (card.initiative_id, moment)
    assert "No scorecards" not in client.get(f"/portfolio/?as_of={day_of(100):%Y-%m-%d}").content.decode()


def test_the_demo_audit_trail_and_versions_carry_the_dates_of_the_story(demo):
    assert verify_chain().ok
    times = list(AuditEvent.objects.order_by("id").values_list("occurred_at", flat=True))
    assert times == sorted(times)  # chain order is the story's order
    assert times[0] < ago(200)
    for change in StageChange.objects.all():
        action = "initiative.stage_changed" if change.from_stage != change.to_stage else "initiative.status_changed"
        assert AuditEvent.objects.filter(
            initiative_id=change.initiative_id, action=action, occurred_at=change.changed_at
        ).exists(), change
    published = dict(
        AuditEvent.objects.filter(action="asset.version_published").values_list("object_id", "occurred_at")
    )
    versions = list(AssetVersion.objects.all())
    assert len(versions) >= 10
    for version in versions:
        assert version.created_at == published[str(version.pk)], version
    assert min(v.created_at for v in versions) < ago(60)


def _unordered(items: list) -> list[str]:
    """A stored list compared in no order, nor the order of a stale-data flag's KPIs (present() sorts them)."""
    return sorted(repr({**i, "kpis": sorted(i["kpis"])} if isinstance(i, dict) and "kpis" in i else i) for i in items)


def test_a_past_snapshot_of_the_present_moment_is_the_present_snapshot(demo):
    """The past statement applies the present one's rules (which tests/test_scorecard_sql.py proves equal to
    the Python reference) to the data as it was: at a moment after every change, both write the same."""
    now = timezone.now()
    fields = [f.name for f in Scorecard._meta.concrete_fields if f.name not in ("id", "computed_at")]
    ids = list(Initiative.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        insert_scorecards(now, ids)
        present = list(Scorecard.objects.filter(computed_at=now).order_by("initiative_id").values(*fields))
        transaction.set_rollback(True)
    with transaction.atomic():
        store_past_scorecards(now)
        past = list(Scorecard.objects.filter(computed_at=now).order_by("initiative_id").values(*fields))
        transaction.set_rollback(True)
    assert len(present) == len(ids) == 12
    for then, now_ in zip(past, present, strict=True):
        for name in fields:
            if name in ("kpis", "criteria", "flags"):  # lists aggregated in no set order; shown sorted
                assert _unordered(then[name]) == _unordered(now_[name]), (then["initiative"], name)
            else:
                assert then[name] == now_[name], (then["initiative"], name)
