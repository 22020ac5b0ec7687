"""governance.permissions.with_measurement_rights: who may write measurements to which KPI, for a whole
ingest batch in one query. Leaders may write every KPI; role holders their initiative's; a KPI's owner
without a role only the KPI they own."""

import pytest

from governance.permissions import with_measurement_rights
from kpis import services as kpi_services
from kpis.models import Kpi

pytestmark = pytest.mark.django_db


def writable(user, *kpis) -> list[bool]:
    rights = dict(
        with_measurement_rights(user, Kpi.objects.filter(pk__in=[k.pk for k in kpis])).values_list("pk", "writable")
    )
    return [bool(rights[k.pk]) for k in kpis]


@pytest.fixture
def owned(kpi, initiative, alice, charlie):
    """A second KPI on Alice's initiative, owned by Charlie, who holds no role there."""
    return kpi_services.add_kpi(
        initiative.pk,
        acting_user=alice,
        driver=kpi.driver,
        key="support-triage.first-response",
        name="First response",
        unit="minutes",
        kind=Kpi.Kind.LAGGING,
        direction=Kpi.Direction.DECREASE,
        owner=charlie,
    )


def test_a_leader_without_a_role_may_write_every_kpi(kpi, owned, lee):
    assert not kpi.initiative.role_assignments.filter(user=lee).exists()
    assert writable(lee, kpi, owned) == [True, True]


def test_a_role_holder_may_write_every_kpi_of_the_initiative(kpi, owned, alice):
    assert writable(alice, kpi, owned) == [True, True]


def test_a_kpi_owner_without_a_role_may_write_only_the_kpi_they_own(kpi, owned, charlie):
    assert writable(charlie, owned, kpi) == [True, False]
