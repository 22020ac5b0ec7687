"""Making someone a portfolio leader, or no longer one, with its audit event: the admin's user page and single
sign-on's leader claim (governance/sso/services.py) both go through here, so the audit trail reads the same for both."""

from django.contrib.auth.models import Group
from django.db import transaction

from governance import audit
from initiatives.models import LEADERSHIP_GROUP, leaders


def leads(user_id) -> bool:
    """Whether the stored user is a portfolio leader (superuser or in the leadership group)."""
    return leaders().filter(pk=user_id).exists()


def record_change(user, *, actor, after: dict) -> None:
    """The audit event of a change in who leads; `after["leader"]` says which way it went."""
    audit.record(
        "leadership.granted" if after["leader"] else "leadership.revoked",
        user,
        actor=actor,
        before={"leader": not after["leader"]},
        after=after,
    )


@transaction.atomic
def set_leader(user, leader: bool, *, actor, via: str) -> bool:
    """Put the user in the leadership group or take them out; audited when that changes whether they lead
    (a superuser leads either way). `via` says what decided it, for the audit event. True if it changed."""
    before = leads(user.pk)
    group = Group.objects.get_or_create(name=LEADERSHIP_GROUP)[0]
    if leader:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    now = leads(user.pk)
    user.__dict__.pop("_opmodel_is_leader", None)  # is_leader's memo on this object is stale now
    if now == before:
        return False
    groups = sorted(user.groups.values_list("name", flat=True))
    record_change(
        user, actor=actor, after={"leader": now, "superuser": user.is_superuser, "groups": groups, "via": via}
    )
    return True
