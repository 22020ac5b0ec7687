"""Named leases: one holder at a time, taken with a conditional UPDATE and released or expired."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from kpis.models import JobLease


def take_lease(name: str, holder: str, ttl: timedelta) -> bool:
    """True when `holder` now holds the lease; False while someone else's lease is unexpired."""
    now = timezone.now()
    try:
        with transaction.atomic():
            JobLease.objects.get_or_create(name=name, defaults={"expires_at": now})
    except IntegrityError:
        pass  # created by a concurrent caller, which is all we needed
    free = JobLease.objects.filter(name=name, expires_at__lte=now)
    return free.update(holder=holder, expires_at=now + ttl) == 1


def release_lease(name: str, holder: str) -> None:
    JobLease.objects.filter(name=name, holder=holder).update(expires_at=timezone.now())
