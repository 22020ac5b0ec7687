import logging
from collections import defaultdict
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import InterfaceError, OperationalError
from django.urls import reverse
from django.utils import timezone

from kpis.leases import take_lease
from kpis.models import Kpi
from kpis.recompute import recompute_scorecards
from kpis.scorecards import is_stale

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def recompute_scorecards_task(full: bool = False) -> int:
    """Recompute dirty scorecards (or all of them). A run that finds another in progress does nothing."""
    result = recompute_scorecards(full=full)
    if result.skipped:
        log.info("Scorecard recompute skipped: another run is in progress.")
    else:
        log.info("Recomputed %d scorecard(s)%s.", result.recomputed, " (full run)" if full else "")
    return result.recomputed


@shared_task
def notify_stale_kpis_task() -> int:
    """Email each KPI owner the stale KPIs they own on active, launched initiatives; once a day at most."""
    if not take_lease("stale-kpi-emails", "beat", timedelta(hours=20)):
        return 0
    now = timezone.now()
    kpis = (
        Kpi.objects.on_launched_initiatives()
        .filter(owner__isnull=False, owner__is_active=True)
        .select_related("owner", "initiative")
        .with_latest_values()
    )
    stale_by_owner = defaultdict(list)
    for kpi in kpis:
        if is_stale(kpi, now):
            stale_by_owner[kpi.owner].append(kpi)
    messages = [
        (
            f"{len(stale)} KPI(s) you own have no recent data",
            "These KPIs have had no point for two periods of their cadence:\n\n"
            + "\n".join(
                f"- {k.name} ({k.initiative.title}): {settings.SITE_URL}{reverse('kpis:detail', args=[k.key])}"
                for k in stale
            ),
            settings.DEFAULT_FROM_EMAIL,
            [owner.email],
        )
        for owner, stale in stale_by_owner.items()
        if owner.email
    ]
    return send_mass_mail(messages, fail_silently=False) if messages else 0
