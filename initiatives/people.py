"""How OpModel names a person to people: in pages, emails, decision packs, evidence and the control model."""


def person_name(user) -> str:
    """Their full name, else their username (a user who never gave a name); "—" when there is nobody.

    Usernames stay in the audit trail and the API, where they identify; people read names.
    """
    if user is None:
        return "—"
    return name_from_columns(user.username, user.first_name, user.last_name)


def name_from_columns(username: str | None, first_name: str | None, last_name: str | None) -> str:
    """A person's name from a row's columns, for lists that load no user (person_name reads it too): the full
    name, else the username ("" when there is nobody)."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""
