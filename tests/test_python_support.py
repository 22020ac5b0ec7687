"""The code runs on every Python Django 5.2 supports (3.10 to 3.13; `make run` accepts them all), while
CI runs 3.11: nothing may use what Python 3.10 lacks. opmodel/compat.py has the 3.10 spelling."""

import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SOURCES = sorted(
    path
    for folder in ("opmodel", "initiatives", "kpis", "governance", "benchmarks", "tests")
    for path in (BASE_DIR / folder).rglob("*.py")
    if path.name != "compat.py"
) + [BASE_DIR / "manage.py"]

NEW_IN_311 = {
    r"^from datetime import [^\n]*\bUTC\b|\bdatetime\.UTC\b": "datetime.UTC: use `from opmodel.compat import UTC`",
    r"\bdatetime\.fromisoformat\(": "3.10's fromisoformat refuses `Z`: use opmodel.compat.parse_iso_datetime",
    r"^\s*import tomllib|^\s*from tomllib\b": "tomllib is 3.11",
    r"\bStrEnum\b": "enum.StrEnum is 3.11",
    r"^from typing import [^\n]*\bSelf\b|\btyping\.Self\b": "typing.Self is 3.11",
    r"^\s*except\s*\*": "except* is 3.11",
    r"\bTaskGroup\b|asyncio\.timeout\(": "asyncio.TaskGroup and asyncio.timeout are 3.11",
}


def test_the_sources_are_found():
    assert len(SOURCES) > 50


@pytest.mark.parametrize("pattern", NEW_IN_311)
def test_nothing_uses_what_python_3_10_lacks(pattern):
    this_file = Path(__file__).resolve()
    found = [
        f"{path.relative_to(BASE_DIR)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in SOURCES
        if path != this_file
        for text in [path.read_text()]
        for match in re.finditer(pattern, text, re.M)
    ]

    assert not found, f"{NEW_IN_311[pattern]}: {', '.join(found)}"


def test_ruff_checks_for_the_oldest_supported_python():
    assert 'target-version = "py310"' in (BASE_DIR / "pyproject.toml").read_text()
