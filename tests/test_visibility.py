"""Who sees an initiative besides its creator, role holders and leaders: its charter owner and the
owners of its KPIs. Seeing is not editing; an outsider still sees nothing (tests/test_object_permissions.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from initiatives import services as initiative_services
from initiatives.models import Initiative, Role
from kpis import services
from kpis.models import Kpi


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestKpiOwner:
    """Dana owns a KPI of Alice's initiative and holds no role on it: the stale-KPI email sends her to its page."""

    @pytest.fixture
    def dana_owns(self, kpi, dana):
        Kpi.objects.filter(pk=kpi.pk).update(owner=dana)
        return kpi

    def test_sees_the_kpi_and_its_initiative(self, dana_owns, dana, initiative):
        client = client_for(dana)

        assert client.get(reverse("kpis:detail", kwargs={"key": dana_owns.key})).status_code == 200
        assert client.get(reverse("initiatives:detail", kwargs={"slug": initiative.slug})).status_code == 200
        assert initiative.title in client.get(reverse("initiatives:list")).content.decode()
        assert client.get(f"/api/v1/kpis/{dana_owns.key}/").status_code == 200
        assert list(Initiative.objects.visible_to(dana)) == [initiative]

    def test_edits_neither_the_tree_nor_the_charter(self, dana_owns, dana, initiative):
        client = client_for(dana)

        edit = client.post(reverse("kpis:edit", kwargs={"key": dana_owns.key}), {"name": "Renamed by Dana"})
        charter = client.post(
            reverse("initiatives:charter", kwargs={"slug": initiative.slug}), {"outcome_statement": "Dana's"}
        )

        assert (edit.status_code, charter.status_code) == (403, 403)
        assert Kpi.objects.get(pk=dana_owns.pk).name == dana_owns.name
        assert Initiative.objects.get(pk=initiative.pk).charter.outcome_statement != "Dana's"

    def test_a_kpi_of_another_initiative_shows_nothing_of_this_one(self, kpi, dana, make_initiative, alice):
        other = make_initiative("Quote creation")
        Kpi.objects.filter(pk=kpi.pk).update(owner=None)

        driver = services.add_driver(other.pk, acting_user=alice, name="Speed")
        services.add_kpi(
            other.pk,
            acting_user=alice,
            driver=driver,
            key="quote.speed",
            name="Speed",
            unit="s",
            kind=Kpi.Kind.LEADING,
            direction=Kpi.Direction.DECREASE,
            owner=dana,
        )

        assert list(Initiative.objects.visible_to(dana)) == [other]
        assert client_for(dana).get(reverse("kpis:detail", kwargs={"key": kpi.key})).status_code == 404


@pytest.mark.django_db
def test_the_charter_owner_sees_the_initiative_and_the_charter_form(make_initiative, rita):
    initiative = make_initiative(owner=rita)
    client = client_for(rita)

    assert client.get(reverse("initiatives:detail", kwargs={"slug": initiative.slug})).status_code == 200
    assert client.get(reverse("initiatives:charter", kwargs={"slug": initiative.slug})).status_code == 200
    assert list(Initiative.objects.visible_to(rita)) == [initiative]


@pytest.mark.django_db
def test_one_row_per_initiative_whatever_the_ways_in(make_initiative, kpi, alice, rita):
    """Rita holds two roles on it, owns its charter and two of its KPIs: still listed once."""
    initiative = make_initiative("Quote creation", owner=rita)
    for role in (Role.SECURITY_RISK, Role.LEGAL_COMPLIANCE):
        initiative_services.assign_role(initiative.pk, acting_user=alice, role=role, user=rita)
    driver = services.add_driver(initiative.pk, acting_user=alice, name="Speed")
    for key in ("quote.speed", "quote.errors"):
        services.add_kpi(
            initiative.pk,
            acting_user=alice,
            driver=driver,
            key=key,
            name=key,
            unit="x",
            kind=Kpi.Kind.LEADING,
            direction=Kpi.Direction.DECREASE,
            owner=rita,
        )

    assert list(Initiative.objects.visible_to(rita)) == [initiative]
