"""`manage.py backup` and `restore` (what `make backup` and `make restore` run): a backup restored into a
fresh database holds the same initiatives, measurements and snapshots, and its audit chain verifies there
against the checkpoint the backup wrote."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from governance.models import AuditEvent
from initiatives.models import Initiative
from kpis.ingest import record_measurements
from kpis.models import Measurement, Scorecard
from kpis.recompute import recompute_scorecards
from tests.lifecycle import decide, request, support_tree

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BASE_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": settings.SECRET_KEY,
        "AUDIT_KEY": settings.AUDIT_KEY,
        "AUDIT_CHECKPOINT_DIR": str(settings.AUDIT_CHECKPOINT_DIR),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def fresh_database(tmp_path):
    """The URL of an empty database of the same kind as the test database; dropped afterwards."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    db = connection.settings_dict
    name = f"{db['NAME']}_restored"
    params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"]}
    admin = psycopg2.connect(dbname="postgres", **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def portfolio(initiative, alice, sam):
    support_tree(initiative, alice, prefix="support")
    decide(request(initiative, alice), sam)
    key = initiative.kpis.filter(kind="lagging").values_list("key", flat=True).first()
    items = [
        {"kpi": key, "timestamp": f"2026-10-{day:02d}T09:00:00+00:00", "value": 10 - day / 10} for day in range(1, 29)
    ]
    record_measurements(items, acting_user=alice)
    recompute_scorecards(full=True)
    counts = (Initiative.objects.count(), Measurement.objects.count(), Scorecard.objects.count())
    assert all(counts) and AuditEvent.objects.exists()
    return counts


def test_a_backup_restores_into_a_fresh_database_with_nothing_lost(portfolio, fresh_database, tmp_path):
    path = tmp_path / "opmodel.backup"
    out = StringIO()
    call_command("backup", output=path, stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == str(path)
    assert "audit chain intact" in out.getvalue() and "checkpoint #1 written" in out.getvalue()

    restored = _manage("restore", str(path), "--yes", database_url=fresh_database)

    assert restored.returncode == 0, restored.stderr
    initiatives, measurements, snapshots = portfolio
    assert f"{initiatives} initiatives, {measurements} measurements, {snapshots} scorecard snapshots" in restored.stdout
    verified = _manage("verify_audit", "--no-checkpoint", database_url=fresh_database)
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {AuditEvent.objects.count()} events checked against 1 checkpoint(s)." in (
        verified.stdout
    )


def test_a_restore_of_a_missing_file_names_it(fresh_database, tmp_path):
    missing = tmp_path / "nothing-here.dump"
    result = _manage("restore", str(missing), "--yes", database_url=fresh_database)
    assert result.returncode != 0
    assert f"No backup at {missing}." in result.stderr
