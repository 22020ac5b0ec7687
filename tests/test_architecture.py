"""The layout holds: the import-linter contracts in pyproject.toml are kept, and they do fail on a ring."""

import subprocess
import sys
from pathlib import Path

from tests.architecture import strongly_connected

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *args],
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_projects_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_ring_through_an_import_inside_a_function_breaks_the_contract(tmp_path):
    package = tmp_path / "ringed"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "first.py").write_text("from ringed import second\n")
    (package / "second.py").write_text("def later():\n    from ringed import third\n")
    (package / "third.py").write_text("import ringed.first\n")
    (package / "apart.py").write_text("import ringed.first\n")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = ringed\n"
        "contract_types =\n    acyclic_modules: tests.architecture.AcyclicModulesContract\n\n"
        "[importlinter:contract:rings]\nname = No rings\ntype = acyclic_modules\n"
    )

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "ringed.second -> ringed.third (l.2)" in result.stdout
    assert "ringed.apart" not in result.stdout


def test_strongly_connected_finds_each_ring_once():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}, "f": set()}

    rings = sorted(sorted(ring) for ring in strongly_connected(edges, edges.__getitem__) if len(ring) > 1)

    assert rings == [["a", "b", "c"], ["d", "e"]]
