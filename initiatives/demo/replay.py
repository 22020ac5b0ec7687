"""Plays one demo initiative through the real services, then backdates what it wrote."""

from dataclasses import asdict
from datetime import date, datetime, timedelta

from governance import services as governance
from governance.models import GateDecision, GateReview
from initiatives import services as initiatives
from initiatives.demo.portfolio import Decide, Demo, Edit, Request
from initiatives.demo.trees import TREES, Plan, series
from initiatives.models import Initiative, RoleAssignment
from kpis import services as kpis
from kpis.ingest import MAX_BATCH, record_measurements
from kpis.models import Driver, IngestBatch, Kpi


class Replay:
    """Plays one initiative's history through the services, then backdates what it wrote."""

    def __init__(self, demo: Demo, users: dict, now: datetime):
        self.demo, self.users, self.now = demo, users, now
        self.creator = users[demo.created_by]
        self.tick = 0
        self.initiative = None
        self.review = None

    def at(self, days_ago: int) -> datetime:
        # Office hours, a little later for each step, so same-day steps keep their order.
        self.tick += 1
        day = self.now - timedelta(days=days_ago)
        return day.replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(minutes=23 * self.tick)

    def run(self) -> None:
        demo = self.demo
        started_at = self.at(demo.started_days_ago)
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
        initiatives.update_charter(
            self.initiative.pk, acting_user=self.creator, **self.charter_fields(started_at.date())
        )
        self.build_tree(started_at)
        for step in demo.steps:
            if isinstance(step, Request):
                self.request(step)
            elif isinstance(step, Decide):
                self.decide(step)
            elif isinstance(step, Edit):
                initiatives.update_charter(self.initiative.pk, acting_user=self.creator, **step.changes)
            else:
                self.assign(step.role, step.username, step.days_ago, accept=True)
        self.record_points()

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

    def record_points(self) -> None:
        items = series(TREES[self.demo.slug], self.demo, self.now)
        for start in range(0, len(items), MAX_BATCH):
            record_measurements(
                items[start : start + MAX_BATCH], acting_user=self.creator, channel=IngestBatch.Channel.SEED
            )

    def charter_fields(self, started_on: date) -> dict:
        fields = dict(self.demo.charter, plan_start_on=started_on)
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
        assignment = initiatives.assign_role(self.initiative.pk, acting_user=self.creator, role=role, user=user)
        assigned_at = self.at(days_ago)
        RoleAssignment.objects.filter(pk=assignment.pk).update(assigned_at=assigned_at)
        if accept:
            initiatives.accept_role(assignment.pk, acting_user=user)
            RoleAssignment.objects.filter(pk=assignment.pk).update(accepted_at=assigned_at + timedelta(hours=2))

    def request(self, step: Request) -> None:
        requester = self.users[step.by or self.demo.created_by]
        self.review = governance.request_review(self.initiative.pk, acting_user=requester, override_reason=step.reason)
        GateReview.objects.filter(pk=self.review.pk).update(requested_at=self.at(step.days_ago))

    def decide(self, step: Decide) -> None:
        when = self.at(step.days_ago)
        stage_before = Initiative.objects.values_list("stage", flat=True).get(pk=self.initiative.pk)
        decision = governance.decide(
            self.review.pk,
            acting_user=self.users[step.by],
            decision=step.decision,
            comment=step.comment,
            recycle_to=step.recycle_to,
        )
        GateDecision.objects.filter(pk=decision.pk).update(decided_at=when)
        GateReview.objects.filter(pk=self.review.pk, closed_at__isnull=False).update(closed_at=when)
        Initiative.objects.filter(pk=self.initiative.pk).exclude(stage=stage_before).update(stage_entered_at=when)
