"""How OpModel names a person to people: in pages, emails, decision packs, evidence and the control model."""


def person_name(user) -> str:
    """Their full name, else their username (a user who never gave a name); "—" when there is nobody.

    Usernames stay in the audit trail and the API, where they identify; people read names.
    """
    if user is None:
        return "—"
    return user.get_full_name() or user.username
