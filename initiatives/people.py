"""How OpModel names a person to people: in pages, emails, decision packs, evidence and the control model."""


def person_name(user) -> str:
    """Their full name, else their username (a user who never gave a name); "—" when there is nobody.

    Usernames stay in the audit trail and the API, where they identify; people read names.
    """
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def name_from_columns(username: str | None, first_name: str | None, last_name: str | None) -> str:
    """What person_name gives, from a row's columns, for lists that load no user: the full name, else the
    username ("" when there is nobody)."""
    return f"{first_name or ''} {last_name or ''}".strip() or username or ""
