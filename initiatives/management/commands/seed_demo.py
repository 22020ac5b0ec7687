"""`python manage.py seed_demo`: a demo portfolio built through the real services.

Every stage and status change goes through governance.services (request_review,
decide), so each initiative carries a genuine gate history and the audit chain
stays intact. Each outcome tree is built through kpis.services when the initiative
starts; the measurements are written through kpis.ingest, at each KPI's cadence,
as the story in TREES says. The reusable-asset library (initiatives/demo/assets.py)
is played the same way through governance.library.services: versions, label moves (security
requirements through a security/risk approval), adoptions, published workflows and
reuse review dates; and step two of the framework (initiatives/demo/foundation.py)
through governance.foundation.services: data sources (several shared between initiatives),
controls by layer with their evidence or waiver, and a risk owner's raised tier. The shadow-AI
register (initiatives/demo/shadow.py) is recorded and triaged through governance.shadow.services. The
charter's risk answers and the executive checklist answers are part of each
initiative's replay.

Every step of all three is played in one timeline, oldest first (initiatives/demo/replay.py):
a gate request sees the measurements up to its day, the controls and sources recorded by
then and the assets published by then. A review whose criteria all pass is requested without
an override; the others carry the reason the story gives (the seed fails if one is missing).

Each service call runs at the story's time (opmodel.clock.story_time), so the audit events
and asset versions it records carry the story's dates; the audit events of the whole run
are chained in the order of those dates (governance.audit.in_time_order), never edited.
Timestamps of reviews, decisions, roles, stages (and the stage/status history) and KPIs
are backdated afterwards with queryset updates. Last, a weekly history of scorecards since
the first initiative started is computed from the data as it was (recompute_scorecards
--since), so the portfolio as of any past date tells the story.

Running it again changes nothing: users are matched by username and initiatives by slug,
and whatever already exists (with its tree and measurements) is skipped; the library is
skipped as a whole once any of its assets exists, the foundation once any of its data
sources does, the shadow-AI register once any of its tools is on it. Measurement noise comes
from a random generator seeded with the initiative's slug, so every run on the same day writes
the same values.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from governance import audit
from governance.models import (
    Asset,
    AssetUsage,
    AssetVersion,
    ChecklistAnswer,
    DataSource,
    InitiativeControl,
    ShadowAiUse,
)
from initiatives.demo.assets import ASSETS
from initiatives.demo.foundation import SOURCES
from initiatives.demo.people import DEMO_PASSWORD, USERS
from initiatives.demo.portfolio import DEMOS
from initiatives.demo.replay import FoundationReplay, LibraryReplay, Replay, ShadowReplay, play
from initiatives.demo.shadow import FINDINGS
from initiatives.models import LEADERSHIP_GROUP, Initiative, Stage
from kpis.models import Kpi, Measurement
from kpis.recompute import past_days, recompute_as_of, recompute_scorecards
from opmodel.middleware import current_request_id


class Command(BaseCommand):
    help = "Load the demo portfolio (users, initiatives, gate histories, asset library) via the services. Idempotent."

    def handle(self, *args, **options):
        now = timezone.now()
        # Tag every audit event of this run, as a web request would.
        token = current_request_id.set("seed-demo")
        try:
            # One transaction, so the audit events of the whole story are chained in date order.
            with transaction.atomic(), audit.in_time_order():
                users = self._users()
                created = [demo for demo in DEMOS if not Initiative.objects.filter(slug=demo.slug).exists()]
                library_created = not Asset.objects.filter(slug__in=[spec.slug for spec in ASSETS]).exists()
                foundation_created = not DataSource.objects.filter(name__in=[spec.name for spec in SOURCES]).exists()
                shadow_created = not ShadowAiUse.objects.filter(tool__in=[f.tool for f in FINDINGS]).exists()
                events = [event for demo in created for event in Replay(demo, users, now).events()]
                if library_created:
                    events += LibraryReplay(users, now).events()
                if foundation_created:
                    events += FoundationReplay(users, now).events()
                if shadow_created:
                    events += ShadowReplay(users, now).events()
                play(events)
        finally:
            current_request_id.reset(token)
        # Scorecards for what was just created, so the first page load has them (beat keeps them fresh),
        # and a weekly history of them since the first demo initiative started, so the portfolio's as-of
        # date tells the story (recompute_scorecards --since).
        recompute_scorecards()
        if created:
            first = Initiative.objects.filter(slug__in=[d.slug for d in DEMOS]).aggregate(Min("started_on"))
            recompute_as_of(past_days(first["started_on__min"]))
        self._report(created, library_created, foundation_created, shadow_created)

    @transaction.atomic
    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        # One hash for every demo account: the password is published anyway, and twelve
        # PBKDF2 runs at Django's default cost would take most of the command's time.
        password = ""
        for spec in USERS:
            user = User.objects.filter(username=spec.username).first()
            if user is None:
                password = password or make_password(DEMO_PASSWORD)
                user = User(
                    username=spec.username,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    email=f"{spec.first_name}.{spec.last_name}@example.com".lower(),
                    is_staff=spec.username == "admin",
                    is_superuser=spec.username == "admin",
                    password=password,
                )
                user.save()
            users[spec.username] = user
        users["leader"].groups.add(Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0])
        return users

    def _report(self, created: list, library_created: bool, foundation_created: bool, shadow_created: bool) -> None:
        self.stdout.write(
            f"Demo portfolio: {len(created)} initiative(s) created, {len(DEMOS) - len(created)} already present."
        )
        stages = Stage.ordered()
        demos = Initiative.objects.filter(slug__in=[d.slug for d in DEMOS])
        kpi_counts = dict(Kpi.objects.values_list("initiative").annotate(n=Count("id")))
        point_counts = dict(Measurement.objects.values_list("kpi__initiative").annotate(n=Count("id")))
        for initiative in sorted(demos, key=lambda i: (stages.index(i.stage), i.status, i.title)):
            self.stdout.write(
                f"  {initiative.title:<58} {initiative.get_stage_display():<20} {initiative.get_status_display():<8}"
                f" {kpi_counts.get(initiative.pk, 0):>3} KPIs {point_counts.get(initiative.pk, 0):>6,} points"
            )
        self.stdout.write(
            f"Asset library {'created' if library_created else 'already present'}: {Asset.objects.count()} assets, "
            f"{AssetVersion.objects.count()} versions, used by "
            f"{AssetUsage.objects.values('initiative').distinct().count()} initiatives."
        )
        shared = DataSource.objects.annotate(n=Count("initiatives")).filter(n__gte=2).count()
        self.stdout.write(
            f"Foundation {'created' if foundation_created else 'already present'}: "
            f"{DataSource.objects.count()} data sources ({shared} shared), "
            f"{InitiativeControl.objects.count()} control records, "
            f"{ChecklistAnswer.objects.count()} checklist answers."
        )
        sanctioned = ShadowAiUse.objects.filter(status=ShadowAiUse.Status.SANCTIONED).count()
        self.stdout.write(
            f"Shadow-AI register {'created' if shadow_created else 'already present'}: "
            f"{ShadowAiUse.objects.count()} items, {sanctioned} with a sanctioned path."
        )
        self.stdout.write("")
        self.stdout.write(
            f"Demo logins at {settings.SITE_URL}/accounts/login/ "
            f"(accounts that existed before keep their own password):"
        )
        rows = [("username", "password", "name", "what they can do")]
        rows += [(u.username, DEMO_PASSWORD, f"{u.first_name} {u.last_name}", u.can_do) for u in USERS]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for i, row in enumerate(rows):
            self.stdout.write(
                "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 16)
