"""Who changes an outcome tree and who writes its measurements: one rule, governance.permissions'.

Role holders and leaders do both; a KPI's owner without a role writes that KPI's measurements only;
the creator who handed the PM role on does neither, as the README says ("the outcome tree by role
holders"), though they still edit the charter.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from initiatives import services
from initiatives.models import Role
from kpis import services as kpi_services
from kpis.ingest import BatchRejected, record_measurements
from kpis.models import Measurement

pytestmark = pytest.mark.django_db


def point(kpi) -> list[dict]:
    return [{"kpi": kpi.key, "timestamp": timezone.now().isoformat(), "value": 1.0}]


@pytest.fixture
def handed_on(kpi, alice, dana):
    """Alice created the initiative and its tree, then made Dana its PM (an accountable role: Alice's goes)."""
    initiative = kpi.initiative
    services.assign_role(initiative.pk, acting_user=alice, role=Role.PRODUCT_MANAGER, user=dana)
    assert not initiative.role_assignments.filter(user=alice).exists()
    return initiative


def test_the_creator_without_a_role_neither_edits_the_tree_nor_writes_measurements(handed_on, kpi, alice):
    with pytest.raises(PermissionDenied, match="Only the initiative's role holders or a portfolio leader may"):
        kpi_services.add_driver(handed_on.pk, acting_user=alice, name="Fewer escalations")
    with pytest.raises(BatchRejected) as rejected:
        record_measurements(point(kpi), acting_user=alice)
    assert rejected.value.status == 403
    assert not Measurement.objects.exists()
    services.update_charter(handed_on.pk, acting_user=alice, scope="EMEA desk only")  # the charter stays hers


def test_a_kpi_owner_without_a_role_writes_its_measurements_but_not_the_tree(kpi, alice, charlie):
    kpi_services.update_kpi(kpi.pk, acting_user=alice, owner=charlie)

    assert record_measurements(point(kpi), acting_user=charlie).created == 1
    with pytest.raises(PermissionDenied):
        kpi_services.update_kpi(kpi.pk, acting_user=charlie, name="Renamed by its owner")


def test_any_role_holder_does_both(kpi, alice, rita):
    services.assign_role(kpi.initiative_id, acting_user=alice, role=Role.SECURITY_RISK, user=rita)

    assert record_measurements(point(kpi), acting_user=rita).created == 1
    assert kpi_services.update_kpi(kpi.pk, acting_user=rita, name="Handling time").name == "Handling time"
