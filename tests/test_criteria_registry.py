"""The registry of gate criteria (governance/criteria.py). Pages list a gate's criteria by their `order`:
each gate numbers its criteria 1, 2, 3... in the order PRODUCT.md section 2 (and so the default gate
policies) lists them. A tie would leave the order to which app happens to register first.

Registering a criterion is the one step that adds it: from then on a gate policy may name it (policies
are data, published in the admin), and the recompute evaluates it. So a criterion registered after the
default policies were written is in no default policy until a leader publishes one that names it."""

import pytest

from governance import criteria
from governance.gates import Gate
from governance.models import GatePolicy

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("gate", list(Gate), ids=lambda g: g.value)
def test_each_gate_numbers_its_criteria_from_one_as_its_default_policy_lists_them(gate):
    """The default policy is the one the data migrations put in force: version 1, or a later version a
    migration published to add a criterion (the after-action review at scale-out)."""
    registered = [c for c in criteria.registered() if c.gate == gate]
    for tier in ("low", "medium", "high"):
        default = GatePolicy.objects.current(gate, tier)

        assert [c.order for c in registered] == list(range(1, len(registered) + 1))
        assert [c.key for c in registered if c.key in default.criteria] == default.criteria, tier


def test_the_scale_out_gate_asks_for_the_after_action_review_in_a_new_published_version():
    for tier in ("low", "medium", "high"):
        first, current = (
            GatePolicy.objects.get(gate=Gate.SCALE_OUT, risk_tier=tier, version=1),
            GatePolicy.objects.current(Gate.SCALE_OUT, tier),
        )

        assert "after-action-review" not in first.criteria  # a published version never changes
        assert current.version == 2
        assert current.criteria == [*first.criteria, "after-action-review"]
        assert current.approver_slots == first.approver_slots


def test_a_criterion_is_labelled_by_its_registration_and_an_unknown_key_by_itself():
    assert criteria.label("observation-window") == "Minimum observation window passed"
    assert criteria.label("retired-criterion") == "retired-criterion"
