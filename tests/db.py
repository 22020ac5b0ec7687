"""Database helpers for tests that need what a second process would have."""

from django.db import DEFAULT_DB_ALIAS, connections


def second_session():
    """Another session on the test database, as another worker or web process would have. Close it."""
    main = connections[DEFAULT_DB_ALIAS]
    return type(main)({**main.settings_dict}, alias=DEFAULT_DB_ALIAS)
