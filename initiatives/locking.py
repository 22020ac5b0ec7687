"""The row lock every verb that changes an initiative takes first.

Every writer locks the initiative row before anything else (governance.services.decide says why),
so two writers on one initiative wait for each other instead of deadlocking. This module imports
only models, so the services of every app can use it.
"""

from django.core.exceptions import PermissionDenied

from initiatives.models import Initiative


def lock_initiative(initiative_id: int, user=None, *, may=None, to: str = "") -> Initiative:
    """The initiative, locked until the transaction ends; PermissionDenied unless `may(user, initiative)`.

    `may` is a rule of governance.permissions; its `who` names the people it lets through, so every
    refusal reads "Only <who> may <to>." Checked after the lock, so the rule sees the row as it is.
    """
    initiative = Initiative.objects.select_for_update().get(pk=initiative_id)
    if may is not None and not may(user, initiative):
        raise PermissionDenied(f"Only {may.who} may {to}.")
    return initiative
