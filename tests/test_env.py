"""Numbers from the environment (a malformed one: test_settings_env), and the planner setting they give."""

import pytest
from django.db import connection

from opmodel.env import env_float


@pytest.mark.parametrize("raw, expected", [(None, 1.1), ("", 1.1), ("4", 4.0), (" 1.5 ", 1.5)])
def test_a_number_from_the_environment(monkeypatch, raw, expected):
    if raw is None:
        monkeypatch.delenv("OPMODEL_TEST_NUMBER", raising=False)
    else:
        monkeypatch.setenv("OPMODEL_TEST_NUMBER", raw)
    assert env_float("OPMODEL_TEST_NUMBER", 1.1, minimum=0.1) == expected


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
def test_postgresql_connections_price_random_reads_for_ssd():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
