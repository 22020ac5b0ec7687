"""Named leases: one holder at a time, taken with a conditional UPDATE and held until they expire."""

from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kpis.models import JobLease


def take_lease(name: str, holder: str, ttl: timedelta) -> bool:
    """True when `holder` now holds the lease; False while someone else's lease is unexpired."""
    now = timezone.now()
    with _lease_write():
        if JobLease.objects.filter(name=name, expires_at__lte=now).update(holder=holder, expires_at=now + ttl):
            return True
        if JobLease.objects.filter(name=name).exists():
            return False  # held by someone else
    try:  # the very first run: create the lease, then take it like any other run
        with transaction.atomic():
            JobLease.objects.create(name=name, expires_at=now)
    except IntegrityError:
        pass  # created by a concurrent caller, which is all we needed
    with _lease_write():
        return JobLease.objects.filter(name=name, expires_at__lte=now).update(holder=holder, expires_at=now + ttl) == 1


@contextmanager
def _lease_write():
    """A transaction whose commit does not wait for the disk: a lease lost in a crash is simply free,
    which is what the crash made it anyway."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield
