"""`make mutation`'s configuration still names what exists: modules, test files, definitions and the
lines of the equivalent mutants. Code moves (a criterion to its own module, a helper renamed) show here,
in the ordinary suite, rather than as a mutation run that silently mutates or skips the wrong thing."""

import os
import subprocess
from pathlib import Path

import pytest

from tests import mutation
from tests.mutation import ROOT, Module, definitions, equivalents, settings

CONFIG, MODULES = settings()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.path)
def test_each_module_its_test_files_and_its_definitions_exist(module):
    assert (ROOT / module.path).is_file()
    # A test file, or one test of it (file::name).
    assert module.tests and all((ROOT / test.partition("::")[0]).is_file() for test in module.tests)
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


def test_the_command_each_mutant_is_tested_with_runs_a_test():
    # With only pytest-django loaded, as in the run: options of another plugin in the configured addopts
    # would make every baseline fail before any test ran.
    probe = Module("probe.py", [f"{Path(__file__).relative_to(ROOT)}::test_the_threshold_stays_at_least_95_per_cent"])
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")

    ran = subprocess.run(mutation.test_command(probe).split(), cwd=ROOT, env=env, capture_output=True, text=True)

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout
