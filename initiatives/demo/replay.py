"""Plays the demo initiatives and the asset library through the real services, then backdates what they wrote.

Each replay lists its steps as events dated in days ago; seed_demo plays every event of every replay in
one timeline, oldest first. So whatever a gate checks (the outcome tree and its measurements so far, the
data sources and controls, the published assets, the reuse review date) is in place when the story says
it was, and a review passes on that evidence or names why it was requested without it.

Each service call runs at the story's time (opmodel.clock.story_time), so the audit events and asset
versions it records carry the story's dates; seed_demo chains the audit events in that order."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from governance import services as governance
from governance.foundation import services as foundation
from governance.library import services as library
from governance.models import (
    Asset,
    AssetLabel,
    AssetUsage,
    ChecklistAnswer,
    ChecklistItem,
    Control,
    DataSource,
    GateDecision,
    GateReview,
    InitiativeControl,
    LabelMoveRequest,
    Notification,
    ShadowAiUse,
)
from governance.shadow import services as shadow
from initiatives import services as initiatives
from initiatives.demo import assets as demo_assets
from initiatives.demo import foundation as demo_foundation
from initiatives.demo import shadow as demo_shadow
from initiatives.demo.assets import Adopt, AssetSpec, Label, PublishWorkflow, ReuseReviewHeld, ScheduleReuseReview
from initiatives.demo.portfolio import AfterAction, Decide, Demo, Edit, Request
from initiatives.demo.trees import TREES, Plan, series
from initiatives.models import Initiative, RoleAssignment, StageChange
from kpis import services as kpis
from kpis.ingest import MAX_BATCH, record_measurements
from kpis.models import AfterActionReview, Driver, IngestBatch, Kpi
from opmodel.clock import story_time
from opmodel.compat import parse_iso_datetime

# Within one day: an initiative is set up first, then its foundation is recorded, the library moves,
# and gate steps are taken; the measurements still missing are written last.
SETUP, FOUNDATION, LIBRARY, GATES, POINTS = range(5)


@dataclass(frozen=True)
class Event:
    days_ago: int
    rank: int  # order within the day (SETUP ... POINTS); events of equal rank keep their listed order
    play: Callable[[], None]


def play(events: list[Event]) -> None:
    """Every event, oldest first."""
    for event in sorted(events, key=lambda e: (-e.days_ago, e.rank)):
        event.play()


def office_time(now: datetime, days_ago: int, tick: int) -> datetime:
    # Office hours, a little later for each step, so same-day steps keep their order.
    day = now - timedelta(days=days_ago)
    return day.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(minutes=23 * tick)


class Replay:
    """Plays one initiative's history through the services, then backdates what it wrote."""

    def __init__(self, demo: Demo, users: dict, now: datetime):
        self.demo, self.users, self.now = demo, users, now
        self.creator = users[demo.created_by]
        self.tick = 0
        self.initiative = None
        self.review = None
        self.last = now
        self.recorded_until = None  # the measurements up to this time are written

    def at(self, days_ago: int) -> datetime:
        self.tick += 1
        self.last = office_time(self.now, days_ago, self.tick)
        return self.last

    def events(self) -> list[Event]:
        """The set-up when the initiative started, each gate step on its day (a charter edit on the day of
        the step before it), and the measurements still missing at the end."""
        demo = self.demo
        events = [Event(demo.started_days_ago, SETUP, self.setup)]
        day = demo.started_days_ago
        for step in demo.steps:
            day = getattr(step, "days_ago", day)
            events.append(Event(day, GATES, lambda step=step: self.step(step)))
        events.append(Event(0, POINTS, self.record_points))
        return events

    def step(self, step) -> None:
        if isinstance(step, Request):
            self.request(step)
        elif isinstance(step, Decide):
            self.decide(step)
        elif isinstance(step, AfterAction):
            self.after_action(step)
        elif isinstance(step, Edit):
            with story_time(self.last + timedelta(hours=1)):  # answering the step before
                initiatives.update_charter(self.initiative.pk, acting_user=self.creator, **step.changes)
        else:
            self.assign(step.role, step.username, step.days_ago, accept=True)

    def setup(self) -> None:
        """Create the initiative with its roles, charter and outcome tree."""
        demo = self.demo
        started_at = self.at(demo.started_days_ago)
        with story_time(started_at):
            self.initiative = initiatives.create_initiative(
                acting_user=self.creator,
                title=demo.title,
                business_unit=demo.business_unit,
                risk_tier=demo.risk_tier,
                started_on=started_at.date(),
                slug=demo.slug,
            )
        Initiative.objects.filter(pk=self.initiative.pk).update(created_at=started_at, stage_entered_at=started_at)
        RoleAssignment.objects.filter(initiative=self.initiative).update(assigned_at=started_at, accepted_at=started_at)
        for role, username in demo.roles.items():
            self.assign(role, username, demo.started_days_ago - 1, accept=role not in demo.unaccepted)
        with story_time(started_at):
            initiatives.update_charter(
                self.initiative.pk, acting_user=self.creator, **self.charter_fields(started_at.date())
            )
            self.build_tree(started_at)

    def build_tree(self, started_at: datetime) -> None:
        """1. apply the templates; 2. add the custom drivers and KPIs; 3. set each plan's baseline, target, owner."""
        tree, pk, user = TREES[self.demo.slug], self.initiative.pk, self.creator
        for template in tree.templates:
            kpis.apply_template(pk, acting_user=user, template=template)
        for driver_name, specs in tree.custom.items():
            driver = Driver.objects.filter(objective__initiative_id=pk, name=driver_name).first()
            driver = driver or kpis.add_driver(pk, acting_user=user, name=driver_name)
            for spec in specs:
                fields = {name: value for name, value in asdict(spec).items() if name != "suffix"}
                kpis.add_kpi(pk, acting_user=user, driver=driver, key=f"{self.demo.slug}.{spec.suffix}", **fields)
        for kpi in Kpi.objects.filter(initiative_id=pk):
            plan = tree.plans.get(kpi.key.removeprefix(f"{self.demo.slug}."))
            if plan is not None:
                kpis.update_kpi(kpi.pk, acting_user=user, **self.kpi_changes(plan))
        Kpi.objects.filter(initiative_id=pk).update(created_at=started_at, updated_at=started_at)

    def kpi_changes(self, plan: Plan) -> dict:
        tree, started = TREES[self.demo.slug], self.demo.started_days_ago
        # The baseline closes two weeks before launch (or two weeks into an unlaunched initiative);
        # the target falls about 90 days after the start, as the charter's plan says.
        baseline_days_ago = tree.launched_days_ago + 14 if tree.launched_days_ago else started - 14
        changes = {"owner": self.users[plan.owner or self.demo.created_by] if plan.owner is not None else None}
        if plan.baseline is not None:
            changes.update(baseline_value=plan.baseline, baseline_date=self.day(baseline_days_ago))
        if plan.target is not None:
            changes.update(target_value=plan.target, target_date=self.day(started - 90))
        for name in ("name", "unit", "cadence"):
            if getattr(plan, name):
                changes[name] = getattr(plan, name)
        if plan.bound is not None:
            changes["guardrail_bound"] = plan.bound
        return changes

    def day(self, days_ago: int) -> date:
        return (self.now - timedelta(days=days_ago)).date()

    def record_points(self, until: datetime | None = None) -> None:
        """The measurements taken up to `until` (all of them by default) not written yet."""
        since = self.recorded_until
        items = [
            item
            for item in series(TREES[self.demo.slug], self.demo, self.now)
            if (since is None or parse_iso_datetime(item["timestamp"]) > since)
            and (until is None or parse_iso_datetime(item["timestamp"]) <= until)
        ]
        if until is not None:
            self.recorded_until = until
        for start in range(0, len(items), MAX_BATCH):
            record_measurements(
                items[start : start + MAX_BATCH], acting_user=self.creator, channel=IngestBatch.Channel.SEED
            )

    def charter_fields(self, started_on: date) -> dict:
        fields = dict(self.demo.charter, plan_start_on=started_on)
        # The risk answers come with the first charter, so they never make an approval stale.
        fields.update(demo_foundation.CHARTER_RISK.get(self.demo.slug, {}))
        if "owner" in fields:
            fields["owner"] = self.users[fields["owner"]]
        if not self.demo.draft:
            fields.update(
                scorecard_due_on=started_on + timedelta(days=30),
                foundation_due_on=started_on + timedelta(days=60),
                launch_due_on=started_on + timedelta(days=90),
            )
        return fields

    def assign(self, role: str, username: str, days_ago: int, *, accept: bool) -> None:
        user = self.users[username]
        assigned_at = self.at(days_ago)
        with story_time(assigned_at):
            assignment = initiatives.assign_role(self.initiative.pk, acting_user=self.creator, role=role, user=user)
        RoleAssignment.objects.filter(pk=assignment.pk).update(assigned_at=assigned_at)
        if accept:
            with story_time(assigned_at + timedelta(hours=2)):
                initiatives.accept_role(assignment.pk, acting_user=user)
            RoleAssignment.objects.filter(pk=assignment.pk).update(accepted_at=assigned_at + timedelta(hours=2))

    def after_action(self, step: AfterAction) -> None:
        """The after-action review, held and written on its day, linked to the KPIs that show its result."""
        when = self.at(step.days_ago)
        keys = [f"{self.demo.slug}.{suffix}" for suffix in step.kpis]
        with story_time(when):
            review = kpis.save_after_action_review(
                self.initiative.pk,
                acting_user=self.creator,
                held_on=when.date(),
                work_removed=step.work_removed,
                work_replacing=step.work_replacing,
                result=step.result,
                kpis=list(Kpi.objects.filter(key__in=keys)),
            )
        AfterActionReview.objects.filter(pk=review.pk).update(updated_at=when)

    def request(self, step: Request) -> None:
        """Request the next gate on the data as it stood that day; without a reason every criterion must pass."""
        requester = self.users[step.by or self.demo.created_by]
        when = self.at(step.days_ago)
        self.record_points(until=when)
        # story_time is also the criteria's clock: the results stored count days up to the request.
        with story_time(when):
            self.review = governance.request_review(
                self.initiative.pk, acting_user=requester, override_reason=step.reason
            )
        GateReview.objects.filter(pk=self.review.pk).update(requested_at=when)

    def decide(self, step: Decide) -> None:
        when = self.at(step.days_ago)
        stage_before = Initiative.objects.values_list("stage", flat=True).get(pk=self.initiative.pk)
        changes_before = StageChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        if step.decision == GateDecision.Kind.APPROVE:
            self.answer_checklist(step, when)
        newest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with story_time(when):
            decision = governance.decide(
                self.review.pk,
                acting_user=self.users[step.by],
                decision=step.decision,
                comment=step.comment,
                recycle_to=step.recycle_to,
            )
        GateDecision.objects.filter(pk=decision.pk).update(decided_at=when)
        # The requester, PM and sponsor heard of it back then: the digest must not mail it again today.
        Notification.objects.filter(pk__gt=newest).update(created_at=when, emailed_at=when)
        GateReview.objects.filter(pk=self.review.pk, closed_at__isnull=False).update(closed_at=when)
        Initiative.objects.filter(pk=self.initiative.pk).exclude(stage=stage_before).update(stage_entered_at=when)
        # The stage/status history this decision wrote (at most one change) dates from the story's day too.
        StageChange.objects.filter(initiative=self.initiative, pk__gt=changes_before).update(changed_at=when)

    def answer_checklist(self, step: Decide, when: datetime) -> None:
        """The approver answers the checklist questions their approval rests on, just before approving.

        Scripted answers first (CHECKLIST_ANSWERS), then whatever the approval still needs, read from
        the initiative's own story (demo_foundation.story_answer).
        """
        user, review = self.users[step.by], GateReview.objects.select_related("policy").get(pk=self.review.pk)
        scripted = demo_foundation.CHECKLIST_ANSWERS.get((self.demo.slug, review.gate, step.by), ())
        answers = [(ChecklistItem.objects.get(gate=review.gate, question=q), a, n) for q, a, n in scripted]
        scripted_ids = {item.pk for item, _, _ in answers}
        initiative = Initiative.objects.select_related("charter").get(pk=self.initiative.pk)
        for item in governance.checklist_due(user, review):
            if item.pk not in scripted_ids:
                answers.append((item, *demo_foundation.story_answer(initiative, item.question)))
        for item, answer, note in answers:
            with story_time(when - timedelta(hours=1)):
                record = foundation.answer_checklist(
                    review.pk, acting_user=user, item_id=item.pk, answer=answer, note=note
                )
            ChecklistAnswer.objects.filter(pk=record.pk).update(answered_at=when - timedelta(hours=1))


DRAFT_DAYS_AGO = 5  # when the define-outcome drafts listed their data sources


class FoundationReplay:
    """Records each initiative's foundation (data sources, controls by layer, a raised risk tier), then backdates it."""

    def __init__(self, users: dict, now: datetime):
        self.users, self.now = users, now
        self.day, self.tick = None, 0
        self.specs = {spec.name: spec for spec in demo_foundation.SOURCES}
        self.controls = list(Control.objects.filter(is_active=True))

    def at(self, days_ago: int) -> datetime:
        self.tick = self.tick + 1 if days_ago == self.day else 1
        self.day = days_ago
        return office_time(self.now, days_ago, self.tick)

    def events(self) -> list[Event]:
        """Each initiative's inventory on its plan's day (a shared source is created by the initiative that
        recorded it first); initiatives without a plan (the define-outcome drafts) list their sources a few
        days ago."""
        plans = demo_foundation.PLANS
        days = {slug: plans[slug].days_ago if slug in plans else DRAFT_DAYS_AGO for slug in demo_foundation.USES}
        return [Event(day, FOUNDATION, lambda slug=slug, day=day: self.record(slug, day)) for slug, day in days.items()]

    def record(self, slug: str, days_ago: int) -> None:
        initiative = Initiative.objects.filter(slug=slug).select_related("created_by").first()
        if initiative is None:
            return
        self.record_sources(initiative, days_ago)
        plan = demo_foundation.PLANS.get(slug)
        if plan is not None:
            self.record_controls(initiative, plan)
            if plan.raise_to:
                tier, reason = plan.raise_to
                with story_time(self.at(plan.days_ago)):
                    foundation.raise_risk_tier(initiative.pk, acting_user=self.users["risk"], tier=tier, reason=reason)

    def holder(self, initiative, role: str):
        assignment = RoleAssignment.objects.filter(initiative=initiative, role=role).select_related("user").first()
        return assignment.user if assignment else None

    def record_sources(self, initiative, days_ago: int) -> None:
        # The data platform records them; on an initiative without one, its product manager does.
        user = self.holder(initiative, "data-platform") or initiative.created_by
        for name in demo_foundation.USES[initiative.slug]:
            existing = DataSource.objects.filter(name=name).first()
            when = self.at(days_ago)
            if existing is not None:
                with story_time(when):
                    foundation.link_data_source(initiative.pk, acting_user=user, source=existing)
                continue
            spec = self.specs[name]
            fields = {k: v for k, v in asdict(spec).items() if k != "owner"}
            with story_time(when):
                source = foundation.save_data_source(
                    initiative.pk, acting_user=user, owner=self.users[spec.owner] if spec.owner else None, **fields
                )
            DataSource.objects.filter(pk=source.pk).update(updated_at=when)

    def record_controls(self, initiative, plan: demo_foundation.Plan) -> None:
        risk = self.users["risk"]
        for control in self.controls:
            if plan.recorded is not None and control.key not in plan.recorded:
                continue  # still missing: the foundation page shows the gap
            user = self.holder(initiative, control.owner_role) or risk
            when = self.at(plan.days_ago)
            if control.key in plan.waived:
                user, record = (
                    risk,
                    {"status": InitiativeControl.Status.WAIVED, "waiver_reason": plan.waived[control.key]},
                )
            else:
                evidence = plan.evidence.get(control.key) or demo_foundation.EVIDENCE[control.key]
                record = {
                    "status": InitiativeControl.Status.IN_PLACE,
                    "evidence": evidence.format(code=plan.code, slug=initiative.slug),
                }
            with story_time(when):
                record = foundation.set_control(initiative.pk, acting_user=user, control_key=control.key, **record)
            InitiativeControl.objects.filter(pk=record.pk).update(updated_at=when)


@dataclass(frozen=True)
class Publish:
    """Version `number` of an asset: the first creates the asset."""

    days_ago: int
    spec: AssetSpec
    number: int


class LibraryReplay:
    """Plays the asset library's story (versions, labels, adoptions, workflows, reuse review dates), then
    backdates each step."""

    def __init__(self, users: dict, now: datetime):
        self.users, self.now = users, now
        self.day, self.tick = None, 0
        self.assets: dict[str, Asset] = {}

    def initiative(self, slug: str) -> Initiative | None:
        return Initiative.objects.filter(slug=slug).select_related("created_by").first() if slug else None

    def at(self, days_ago: int) -> datetime:
        self.tick = self.tick + 1 if days_ago == self.day else 1
        self.day = days_ago
        return office_time(self.now, days_ago, self.tick)

    def events(self) -> list[Event]:
        publishes = [
            Publish(version.days_ago, spec, number)
            for spec in demo_assets.ASSETS
            for number, version in enumerate(spec.versions, start=1)
        ]
        steps = publishes + demo_assets.LABELS + demo_assets.ADOPTIONS + demo_assets.WORKFLOWS
        steps += demo_assets.REUSE_REVIEWS + demo_assets.REUSE_REVIEWS_HELD
        handlers = {
            Publish: self.publish,
            Label: self.label,
            Adopt: self.adopt,
            PublishWorkflow: self.publish_workflow,
            ScheduleReuseReview: self.schedule_reuse_review,
            ReuseReviewHeld: self.reuse_review_held,
        }
        return [Event(step.days_ago, LIBRARY, lambda step=step: handlers[type(step)](step)) for step in steps]

    def publish(self, step: Publish) -> None:
        spec, when = step.spec, self.at(step.days_ago)
        version, owner = spec.versions[step.number - 1], self.users[spec.owner]
        if step.number == 1:
            with story_time(when):
                asset = library.create_asset(
                    acting_user=owner,
                    name=spec.name,
                    type=spec.type,
                    content=version.content,
                    changelog=version.changelog,
                    description=spec.description,
                    tags=list(spec.tags),
                    owner_team=spec.owner_team,
                    owner=owner,
                    source_initiative=self.initiative(spec.source),
                )
            if asset.slug != spec.slug:
                raise ValueError(f"{spec.name!r} became {asset.slug!r}; set AssetSpec.slug to match.")
            self.assets[spec.slug] = asset
            Asset.objects.filter(pk=asset.pk).update(created_at=when, updated_at=when)
            return
        newest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        asset = self.assets[spec.slug]
        with story_time(when):
            library.publish_version(asset.pk, acting_user=owner, content=version.content, changelog=version.changelog)
        Asset.objects.filter(pk=asset.pk).update(updated_at=when)
        # Emailed back then: the notification digest must not mail months-old news to the demo accounts.
        Notification.objects.filter(pk__gt=newest).update(created_at=when, emailed_at=when)

    def label(self, step: Label) -> None:
        asset, when = self.assets[step.asset], self.at(step.days_ago)
        with story_time(when):
            moved = library.move_label(
                asset.pk, acting_user=self.users[step.by], name=step.name, version_number=step.version
            )
        if isinstance(moved, LabelMoveRequest):  # a security requirement: security / risk approves the move
            LabelMoveRequest.objects.filter(pk=moved.pk).update(requested_at=when)
            when = self.at(step.approved_days_ago)
            with story_time(when):
                library.decide_label_request(
                    moved.pk, acting_user=self.users[step.approved_by], approve=True, comment=step.comment
                )
            LabelMoveRequest.objects.filter(pk=moved.pk).update(decided_at=when)
        AssetLabel.objects.filter(asset=asset, name=step.name).update(moved_at=when)

    def adopt(self, step: Adopt) -> None:
        initiative, when = self.initiative(step.initiative), self.at(step.days_ago)
        with story_time(when):
            usage = library.adopt_version(
                initiative.pk,
                acting_user=self.users[step.by] if step.by else initiative.created_by,
                asset=self.assets[step.asset],
                version_number=step.version,
            )
        AssetUsage.objects.filter(pk=usage.pk).update(adopted_at=when)

    def publish_workflow(self, step: PublishWorkflow) -> None:
        initiative, when = self.initiative(step.initiative), self.at(step.days_ago)
        with story_time(when):
            versions = library.publish_workflow(
                initiative.pk,
                acting_user=self.users[step.by] if step.by else initiative.created_by,
                contents=step.contents,
                changelog=step.changelog,
            )
        published = [version.asset_id for version in versions]
        known = {asset.pk for asset in self.assets.values()}
        Asset.objects.filter(pk__in=set(published) - known).update(created_at=when, updated_at=when)
        AssetUsage.objects.filter(initiative=initiative, asset_id__in=published).update(adopted_at=when)

    def schedule_reuse_review(self, step: ScheduleReuseReview) -> None:
        """The date is in the future (the service refuses a past one), so a leader sees the next review."""
        initiative, when = self.initiative(step.initiative), self.at(step.days_ago)
        if initiative.reuse_review_on is None:
            on = timezone.localdate(self.now) + timedelta(days=step.days_ahead)
            with story_time(when):
                library.schedule_reuse_review(initiative.pk, acting_user=initiative.created_by, on=on)

    def reuse_review_held(self, step: ReuseReviewHeld) -> None:
        initiative, when = self.initiative(step.initiative), self.at(step.days_ago)
        with story_time(when):
            library.record_reuse_review_outcome(
                initiative.pk,
                acting_user=self.users[step.by],
                reuse_review_held_on=when.date(),
                reuse_review_adopting=step.adopting,
                reuse_review_changes=step.changes,
            )


class ShadowReplay:
    """Records the shadow-AI register's findings and triages them (initiatives/demo/shadow.py), then backdates each."""

    def __init__(self, users: dict, now: datetime):
        self.users, self.now = users, now
        self.day, self.tick = None, 0
        self.items: dict[str, ShadowAiUse] = {}

    def at(self, days_ago: int) -> datetime:
        self.tick = self.tick + 1 if days_ago == self.day else 1
        self.day = days_ago
        return office_time(self.now, days_ago, self.tick)

    def events(self) -> list[Event]:
        steps = [*demo_shadow.FINDINGS, *demo_shadow.TRIAGES]
        handle = {demo_shadow.Finding: self.record, demo_shadow.Triage: self.triage}
        return [Event(step.days_ago, LIBRARY, lambda step=step: handle[type(step)](step)) for step in steps]

    def record(self, finding) -> None:
        when = self.at(finding.days_ago)
        fields = {name: getattr(finding, name) for name in ShadowAiUse.EDITABLE_FIELDS}
        with story_time(when):
            item = shadow.record_shadow_use(acting_user=self.users[finding.recorded_by], **fields)
        ShadowAiUse.objects.filter(pk=item.pk).update(created_at=when, updated_at=when)
        self.items[finding.tool] = item

    def triage(self, step) -> None:
        when = self.at(step.days_ago)
        initiative = Initiative.objects.get(slug=step.initiative) if step.initiative else None
        asset = Asset.objects.get(slug=step.asset) if step.asset else None
        item = self.items[step.tool]
        with story_time(when):
            shadow.triage_shadow_use(
                item.pk, acting_user=self.users[step.by], status=step.status, initiative=initiative, asset=asset
            )
        ShadowAiUse.objects.filter(pk=item.pk).update(updated_at=when)
