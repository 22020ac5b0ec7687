"""The benchmarks' data set is written in raw SQL (benchmarks/scorecards.py) so that 2,000 initiatives and a
million points load in seconds; a column added to a model without a database default would make `make bench`
fail where no test looks. Here the same statements load a few initiatives into the schema the migrations
build, and the product's recompute scores them."""

import pytest
from django.db import connection
from django.utils import timezone

from benchmarks import pages, scorecards
from initiatives.models import Charter, Initiative, RoleAssignment
from kpis.models import Kpi, Measurement, Scorecard
from kpis.scorecard_sql import insert_scorecards

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmarks run on PostgreSQL"),
]

INITIATIVES, POINTS = 8, 3


def test_the_benchmark_data_set_loads_into_the_current_schema_and_is_scored(django_user_model):
    user = django_user_model.objects.create(username="bench-sc-pm")
    params = {"user": user.pk, "initiatives": INITIATIVES, "kpis": scorecards.KPIS_PER_INITIATIVE}
    for sql in scorecards.CREATE_DATA_SET:
        scorecards.run(sql, params)
    scorecards.run(scorecards.CREATE_POINTS, {"points": POINTS})
    for sql in pages.BACKDATE:
        scorecards.run(sql)

    bench = Initiative.objects.filter(slug__startswith="bench-sc-")
    ids = list(bench.values_list("pk", flat=True))
    assert len(ids) == INITIATIVES
    assert Charter.objects.filter(initiative__in=ids).count() == INITIATIVES
    assert RoleAssignment.objects.filter(initiative__in=ids, role="product-manager").count() == INITIATIVES
    assert Kpi.objects.filter(initiative__in=ids).count() == INITIATIVES * scorecards.KPIS_PER_INITIATIVE
    assert Measurement.objects.filter(kpi__initiative__in=ids).count() == (
        INITIATIVES * scorecards.KPIS_PER_INITIATIVE * POINTS
    )
    assert all(i.created_at.date() == i.started_on for i in bench)

    assert insert_scorecards(timezone.now(), ids) == INITIATIVES
    cards = Scorecard.objects.filter(initiative__in=ids)
    assert {card.health for card in cards} - {Scorecard.Health.NO_DATA} != set()
