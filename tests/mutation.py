"""`make mutation`: how many deliberate bugs in the rules that matter the tests catch (cosmic-ray).

For each module listed in pyproject.toml ([tool.opmodel.mutation]):
1. copy the work tree to mutants/<module>/, so that editing files during the run changes nothing;
2. run the module's test files there once, unchanged: they must pass, and their time sets the timeout;
3. let cosmic-ray list the mutants, then skip those of operators left out, of definitions out of scope
   (PostgreSQL-only code, say) and the equivalent ones listed in tests/mutation_equivalents.toml;
4. let cosmic-ray run the test files against each mutant left, on SQLite, stopping at the first failure;
5. print each module's survivors (also in mutants/survivors.txt) and its score, then the total.

`python tests/mutation.py kpis/ingest.py` runs one module; JOBS=2 runs two modules at a time.
"""

import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import toml  # cosmic-ray's own TOML reader, on every Python this project supports
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "mutants"
COSMIC_RAY = Path(sys.executable).parent / "cosmic-ray"
ADDOPTS = "-p no:cacheprovider --strict-markers"


@dataclass
class Module:
    path: str
    tests: list[str]
    # Top-level functions, classes or constants: only these are mutated (all when empty), these never are.
    only: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


@dataclass
class Score:
    module: str
    killed: int = 0
    survivors: list[str] = field(default_factory=list)
    equivalent: int = 0
    error: str = ""

    @property
    def run(self) -> int:
        return self.killed + len(self.survivors)

    @property
    def percent(self) -> float:
        return 100 * self.killed / self.run if self.run else 100.0

    def line(self) -> str:
        if self.error:
            return f"{self.module}: {self.error}"
        return f"{self.module}: {self.killed} killed of {self.run} ({self.percent:.1f} %), {self.equivalent} equivalent"


def settings() -> tuple[dict, list[Module]]:
    config = toml.loads((ROOT / "pyproject.toml").read_text())["tool"]["opmodel"]["mutation"]
    return config, [Module(**module) for module in config["modules"]]


def equivalents() -> dict[tuple[str, str, str], str]:
    """(module, line, mutant) -> why the mutant changes no behaviour."""
    listed = toml.loads((ROOT / "tests" / "mutation_equivalents.toml").read_text()).get("equivalent", [])
    return {(e["module"], e["line"].strip(), e["mutant"].strip()): e["reason"] for e in listed}


def copy_tree(target: Path) -> None:
    """The files git tracks or would track, as they are now (uncommitted edits included)."""
    shutil.rmtree(target, ignore_errors=True)
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def test_command(module: Module) -> str:
    # Only pytest-django: the suite's other plugins (hypothesis, schemathesis, playwright) take a third
    # of each run's start-up, and these test files use none of them. So the configured addopts, which
    # hold playwright's options, are replaced by those that apply without it.
    return f"{sys.executable} -m pytest -x -q -p pytest_django.plugin -o addopts= {ADDOPTS} " + " ".join(module.tests)


def changed_line(code: str, mutation) -> tuple[str, str]:
    """The first line the mutant changes, before and after ('' for a line removed or added)."""
    operator = get_operator(mutation.operator_name)(**mutation.operator_args)
    # Blank lines left out: a decorator removed takes the blank lines above it along, and blank lines
    # would let the diff match them elsewhere and name another line.
    before, after = (
        [line.strip() for line in text.splitlines() if line.strip()]
        for text in (code, mutate_code(code, operator, mutation.occurrence) or code)
    )
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag != "equal":
            return (before[i1] if i2 > i1 else ""), (after[j1] if j2 > j1 else "")
    return "", ""


def definitions(code: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each top-level function and class (decorators included) and
    of each name assigned at the top level (a constant)."""
    spans = []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            spans.append((min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno, node.name))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            spans += [(node.lineno, node.end_lineno, t.id) for t in targets if isinstance(t, ast.Name)]
    return spans


def definition_of(mutation, spans: list[tuple[int, int, str]]) -> str:
    """The top-level definition a mutant is in ("" for module-level code such as a constant)."""
    line = mutation.start_pos[0]
    return next((name for first, last, name in spans if first <= line <= last), "")


def skip_out_of_scope(session: Path, module: Module, excluded: re.Pattern, known: dict) -> tuple[int, int]:
    """Mark as skipped the mutants not to run; returns (to run, equivalent)."""
    code = (OUT / module.name / module.path).read_text()
    spans = definitions(code)
    to_run = equivalent = 0
    with use_db(str(session)) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            definition = definition_of(mutation, spans)
            if excluded.match(mutation.operator_name):
                reason = "operator left out"
            elif _is_keyword_only_marker(code, mutation):
                reason = "a signature's bare *, not a multiplication"
            elif (module.only and definition not in module.only) or definition in module.skip:
                reason = "definition out of scope"
            else:
                why = known.get((module.path, *changed_line(code, mutation)))
                if why:
                    reason, equivalent = f"equivalent: {why}", equivalent + 1
                else:
                    to_run += 1
                    continue
            db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    return to_run, equivalent


def _is_keyword_only_marker(code: str, mutation) -> bool:
    """cosmic-ray takes `def f(a, *, b)` for a product; `/` there only also allows passing b by position."""
    line, column = mutation.start_pos
    after = code.splitlines()[line - 1][column:]
    return mutation.operator_name.startswith("core/ReplaceBinaryOperator_Mul_") and after.startswith("*,")


def write_config(module: Module, timeout: float) -> Path:
    path = OUT / f"{module.name}.toml"
    path.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module.path}"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f'test-command = "{test_command(module)}"\n'
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    return path


def mutate(module: Module, excluded: re.Pattern, known: dict) -> Score:
    score = Score(module.path)
    tree, session = OUT / module.name, OUT / f"{module.name}.sqlite"
    copy_tree(tree)
    started = time.monotonic()
    baseline = subprocess.run(test_command(module).split(), cwd=tree, capture_output=True, text=True)
    if baseline.returncode:
        score.error = "its tests fail without any mutant:\n" + (baseline.stdout + baseline.stderr)[-2000:]
        return score
    # A mutant that loops forever is killed by the timeout; a loaded machine must not kill the others.
    config = write_config(module, timeout=60 + 3 * (time.monotonic() - started))
    session.unlink(missing_ok=True)
    subprocess.run([COSMIC_RAY, "init", config, session], cwd=tree, check=True)
    to_run, score.equivalent = skip_out_of_scope(session, module, excluded, known)
    print(f"{module.path}: {to_run} mutants to run, {score.equivalent} equivalent skipped", flush=True)
    subprocess.run([COSMIC_RAY, "exec", config, session], cwd=tree, check=True)
    code = (tree / module.path).read_text()
    with use_db(str(session)) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            if result.worker_outcome == WorkerOutcome.NORMAL and result.test_outcome == TestOutcome.KILLED:
                score.killed += 1
            else:
                score.survivors.append(survivor(module, code, item.mutations[0], result))
    return score


def survivor(module: Module, code: str, mutation, result: WorkResult) -> str:
    """A surviving mutant, as an entry to paste into tests/mutation_equivalents.toml if it changes nothing."""
    line, mutant = changed_line(code, mutation)
    where = definition_of(mutation, definitions(code)) or "module-level code"
    return (
        f"# {mutation.operator_name} in {where}, {result.worker_outcome.value}\n"
        f'[[equivalent]]\nmodule = {_toml(module.path)}\nline = {_toml(line)}\nmutant = {_toml(mutant)}\nreason = ""'
    )


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string


def main(paths: list[str]) -> int:
    config, modules = settings()
    modules = [m for m in modules if not paths or m.path in paths]
    excluded = re.compile("|".join(f"(?:{e})" for e in config["exclude-operators"]))
    known = equivalents()
    OUT.mkdir(exist_ok=True)
    # The mutation run is on SQLite, whatever the environment says.
    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    with ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "1"))) as pool:
        scores = list(pool.map(lambda m: mutate(m, excluded, known), modules))
    survivors = [s for score in scores for s in score.survivors]
    (OUT / "survivors.txt").write_text("\n\n".join(survivors) + "\n")
    print("\n\n".join(survivors))
    for score in scores:
        print(score.line())
    killed, run = sum(s.killed for s in scores), sum(s.run for s in scores)
    print(f"mutation: {killed} killed of {run} ({100 * killed / max(run, 1):.1f} %)")
    failing = [s for s in scores if s.error or s.percent < config["threshold"]]
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
