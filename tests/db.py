"""Database helpers for tests that need what a second process would have."""

from django.db import DEFAULT_DB_ALIAS, connections


def second_session():
    """Another session on the test database, as another worker or web process would have. Close it."""
    main = connections[DEFAULT_DB_ALIAS]
    return type(main)({**main.settings_dict}, alias=DEFAULT_DB_ALIAS)


AUDIT_TRIGGER = "governance_auditevent_append_only"


def tamper_with_audit(sql: str, params=()) -> None:
    """Raw SQL against the audit table as someone with table-owner rights, who can switch its
    append-only trigger off (PostgreSQL), would run it."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            cursor.execute(f"ALTER TABLE governance_auditevent DISABLE TRIGGER {AUDIT_TRIGGER}")
        cursor.execute(sql, params)
        if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
            cursor.execute(f"ALTER TABLE governance_auditevent ENABLE TRIGGER {AUDIT_TRIGGER}")
