"""Approvers clicking at the same moment: the stage advances exactly once.

Real row locks need a server database and one connection per thread, so these
tests run on PostgreSQL only, with committed data (transaction=True).
"""

import threading
import time

import pytest
from django.db import connection, transaction

from governance.audit import verify_chain
from governance.errors import TransitionError
from governance.models import AuditEvent, GateReview
from governance.services import decide
from initiatives import services as initiative_services
from initiatives.models import Initiative, Role, Stage
from tests.lifecycle import answer_every_question, give_role, pass_charter_signoff, request

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks to race on"),
    # serialized_rollback restores the gate policies seeded by migration, which a flush removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _run_together(*calls):
    """Start every call at the same instant, each in its own thread and connection; return result or exception."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a decision is stuck waiting for a lock"
    return outcomes


def _approve(review, user):
    return lambda: decide(review.pk, acting_user=user, decision="approve")


def _stage_changes(initiative, to_stage):
    events = AuditEvent.objects.filter(initiative_id=initiative.pk, action="initiative.stage_changed")
    return [e for e in events if e.after["stage"] == to_stage]


def test_the_last_two_slots_approved_at_once_advance_the_stage_once(initiative, alice, sam, rita, dana):
    pass_charter_signoff(initiative, requester=alice, approver=sam)
    give_role(initiative, Role.SECURITY_RISK, rita, by=alice)
    give_role(initiative, Role.DATA_PLATFORM, dana, by=alice)
    review = request(initiative, alice)
    answer_every_question(review, rita)  # whichever approval lands second completes the review

    outcomes = _run_together(_approve(review, rita), _approve(review, dana))

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    initiative.refresh_from_db()
    review.refresh_from_db()
    assert initiative.stage == Stage.MEASURE_IMPACT
    assert review.status == GateReview.Status.APPROVED
    assert review.decisions.filter(decision="approve", is_stale=False).count() == 2
    assert len(_stage_changes(initiative, Stage.MEASURE_IMPACT)) == 1
    assert verify_chain().ok


def test_two_approvers_racing_for_one_slot_advance_the_stage_once(initiative, alice, sam, lee):
    review = request(initiative, alice)
    answer_every_question(review, sam)

    outcomes = _run_together(_approve(review, sam), _approve(review, lee))

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], TransitionError), outcomes
    initiative.refresh_from_db()
    assert initiative.stage == Stage.SECURE_FOUNDATION
    assert review.decisions.count() == 1
    assert len(_stage_changes(initiative, Stage.SECURE_FOUNDATION)) == 1
    assert verify_chain().ok


def test_two_requests_at_once_open_one_review(initiative, alice, sam):
    outcomes = _run_together(lambda: request(initiative, alice), lambda: request(initiative, sam))

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], TransitionError), outcomes
    assert GateReview.objects.filter(initiative=initiative).count() == 1
    assert AuditEvent.objects.filter(action="gate.requested").count() == 1


def test_a_charter_edit_racing_an_approval_does_not_deadlock(initiative, alice, sam):
    review = request(initiative, alice)
    answer_every_question(review, sam)
    edit_holds_initiative = threading.Event()

    def edit():
        with transaction.atomic():
            Initiative.objects.select_for_update().get(pk=initiative.pk)
            edit_holds_initiative.set()
            time.sleep(0.5)  # let the approval reach its locks
            return initiative_services.update_charter(initiative.pk, acting_user=alice, guardrails="CSAT >= 4.3")

    def approve():
        edit_holds_initiative.wait(timeout=10)
        return decide(review.pk, acting_user=sam, decision="approve")

    outcomes = _run_together(edit, approve)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    initiative.refresh_from_db()
    review.refresh_from_db()
    # The approval waited for the edit, so it binds to the edited charter and is not stale.
    assert initiative.stage == Stage.SECURE_FOUNDATION
    assert review.snapshot["charter"]["guardrails"] == "CSAT >= 4.3"
    assert review.decisions.get().snapshot_hash == review.snapshot_hash
    assert not review.decisions.get().is_stale
    assert verify_chain().ok
