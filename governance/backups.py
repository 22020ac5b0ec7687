"""Backups that lose nothing: PostgreSQL through pg_dump and pg_restore, SQLite through its online backup.

A backup first verifies the audit chain and checkpoints its head, so a restored copy verifies against
that checkpoint. Restoring an older backup loses what was written after it; `verify_audit` then
reports the later checkpoints' heads as a deleted tail, which is the truth about the restored copy.
"""

# subprocess runs pg_dump and pg_restore with arguments from settings, never a shell.
import os
import sqlite3
import subprocess  # nosec B404
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from governance.audit import verify_chain, write_checkpoint


def default_path() -> Path:
    suffix = "dump" if connection.vendor == "postgresql" else "sqlite3"
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return Path(settings.VAR_DIR) / "backups" / f"opmodel-{stamp}.{suffix}"


def backup(path: Path) -> str:
    """Write a consistent copy of the database to `path`; returns what the audit check said."""
    report = verify_chain()
    note = f"audit chain intact, {report.checked} events" if report.ok else f"audit chain NOT intact: {report.problem}"
    if report.ok and report.checked:
        checkpoint = write_checkpoint(report)
        note += f", checkpoint #{checkpoint['seq']} written"
    path.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "postgresql":
        _pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={path}")
    else:
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)  # the online backup API: consistent while others write
        target.close()
    return note


def restore(path: Path) -> None:
    """Replace the configured database's contents with the backup at `path`, in one transaction."""
    if not path.is_file():
        raise FileNotFoundError(f"No backup at {path}.")
    if connection.vendor == "postgresql":
        connection.close()
        _pg("pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", str(path))
    else:
        connection.ensure_connection()
        with sqlite3.connect(path) as source:
            source.backup(connection.connection)
        source.close()


def _pg(program: str, *args: str) -> None:
    db = connection.settings_dict
    target = ["--dbname", db["NAME"]] if program == "pg_restore" else [db["NAME"]]
    command = [program, "--host", db["HOST"] or "localhost", "--port", str(db["PORT"] or 5432)]
    command += ["--username", db["USER"] or "postgres", "--no-password", *args, *target]
    environment = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode:
        raise BackupError(f"{program} failed: {done.stderr.strip()}")


class BackupError(Exception):
    pass
