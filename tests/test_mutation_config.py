"""`make mutation`'s configuration still names what exists: modules, test files, definitions and the
lines of the equivalent mutants. Code moves (a criterion to its own module, a helper renamed) show here,
in the ordinary suite, rather than as a mutation run that silently mutates or skips the wrong thing."""

from pathlib import Path

import pytest

from tests.mutation import ROOT, definitions, equivalents, settings

CONFIG, MODULES = settings()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.path)
def test_each_module_its_test_files_and_its_definitions_exist(module):
    assert (ROOT / module.path).is_file()
    assert module.tests and all((ROOT / test).is_file() for test in module.tests)
    names = {name for _, _, name in definitions((ROOT / module.path).read_text())}
    assert set(module.only + module.skip) <= names, f"{module.path} has no {set(module.only + module.skip) - names}"


def test_each_equivalent_mutant_is_of_a_listed_module_and_a_line_it_has():
    paths = {module.path for module in MODULES}
    for module, line, _mutant in equivalents():
        assert module in paths
        lines = {text.strip() for text in Path(ROOT / module).read_text().splitlines()}
        assert line in lines, f"{module} no longer has the line {line!r}: update tests/mutation_equivalents.toml"


def test_the_threshold_stays_at_least_95_per_cent():
    assert CONFIG["threshold"] >= 95
