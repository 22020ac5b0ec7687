"""README's shell commands run as printed, in a plain shell, after `make run`.

One live instance is started the way a newcomer starts it: `make run` (with the venv's install
step taken as done, `-o .venv/.installed`, so the test never reinstalls anything) on a free PORT,
with a temporary OPMODEL_VAR_DIR, on SQLite with the demo data. Then every ```sh block of README.md
that is not in NOT_RUN runs in `bash -e -o pipefail` from the repository root, in a clean
environment: PATH, HOME and OPMODEL_VAR_DIR only, no DEBUG, SECRET_KEY or DATABASE_URL, so manage.py
finds what it needs in the local.env `make run` wrote. The commands run as printed, in README's
order, with two changes: README's 127.0.0.1:8000 becomes the instance's address, and a marker line
is printed between commands to tell their outputs apart. Stricter than an interactive shell, a
failing command fails its block. A new block runs as soon as it is written.

Expected output: a comment line right after a command (no blank line) that starts with `{` or `[`
is the command's JSON output, that starts with `"` its text output; `...` stands for what README
leaves out (other keys, further list items, any value or text). Every curl shows its output, so
a request that is refused cannot pass unnoticed. Other comments are prose.

Commands quoted in the prose are not run; those a reader might try are in NOT_RUN with the reason,
and every make target, management command and `python -m opmodel` command README names must exist.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
README = BASE_DIR / "README.md"
VENV_PYTHON = BASE_DIR / ".venv" / "bin" / "python"
README_ADDRESS = "127.0.0.1:8000"
SHELL_LANGUAGES = {"sh", "bash", "shell", "zsh", "console"}
MARK = "@@readme-output@@"

# Commands a test cannot run, with the reason. A block runs unless all of its commands are here.
NOT_RUN = {
    "make run": "it is how this test starts the instance the other blocks run against",
    "make test": "it runs the suite this test belongs to",
    "PORT=8001 make run": "the same `make run` on another port, which is what this test does (on a free one)",
    "PYTHON=/path/to/python3.x make run": "a placeholder path; the Python choice is make's (Makefile)",
    "make clean": "it deletes the .venv this test and the suite run from",
    "make bench": "minutes of load on a PostgreSQL bench database; a measurement, not a check",
    "make backup": "writes into the checkout's var/backups; tests/test_backup_restore.py runs manage.py backup",
    "make restore FILE=var/backups/opmodel-20261204T220000Z.sqlite3": (
        "an example file name, and it replaces the database the other blocks use: tests/test_backup_restore.py"
    ),
    "docker compose up": "needs Docker and builds the image; tests/test_compose_consistency.py checks the services",
    "python manage.py check --deploy": "production settings (DEBUG=0, a real SECRET_KEY): tests/test_settings_env.py",
}

pytestmark = pytest.mark.e2e


@dataclass
class Block:
    line: int  # where the block starts in README.md
    text: str
    commands: list[str] = field(default_factory=list)  # each with its continuation lines or here-document
    expected: dict[int, str] = field(default_factory=dict)  # command index -> README's output comment


def shell_blocks(markdown: str) -> list[Block]:
    blocks, current = [], None
    for number, line in enumerate(markdown.splitlines(), start=1):
        fence = re.match(r"^```(\S*)\s*$", line)
        if current is None and fence and fence.group(1) in SHELL_LANGUAGES:
            current = Block(number, "")
        elif current is not None and line.startswith("```"):
            blocks.append(parse(current))
            current = None
        elif current is not None:
            current.text += line + "\n"
    assert current is None, f"README.md: the shell block at line {current.line} is not closed"
    return blocks


def parse(block: Block) -> Block:
    """Split the block into commands (continuation lines and here-documents joined) and their outputs."""
    heredoc, command, just_ended = None, [], False
    for line in block.text.splitlines():
        if heredoc is not None:
            command.append(line)
            if line.strip() == heredoc:
                heredoc, just_ended = None, True
                block.commands.append("\n".join(command))
                command = []
            continue
        if line.startswith("#") and not command:
            text = line[1:].strip()
            if just_ended and text[:1] in ("{", "[", '"'):
                block.expected[len(block.commands) - 1] = text
            just_ended = False
            continue
        just_ended = False
        if not line.strip():
            continue
        command.append(line)
        if match := re.search(r"<<-?\s*'?(\w+)'?", line):
            heredoc = match.group(1)
        elif not line.endswith("\\"):
            block.commands.append("\n".join(command))
            command, just_ended = [], True
    assert not command, f"README.md line {block.line}: the block ends inside a command: {command}"
    return block


def script(block: Block, address: str) -> str:
    """The block's commands as printed (README's address swapped for the instance's), each followed by
    a marker line, so each command's output can be told apart."""
    marker = f"printf '\\n%s\\n' '{MARK}'"
    return "".join(f"{command}\n{marker}\n" for command in block.commands).replace(README_ADDRESS, address)


def matches(expected, actual) -> bool:
    """README's JSON with `...`: objects list some keys, lists their first items, `"..."` any value."""
    if expected == "...":
        return True
    if isinstance(expected, dict):
        keys = set(expected) - {"..."}
        if not isinstance(actual, dict) or ("..." not in expected and keys != set(actual)):
            return False
        return all(key in actual and matches(expected[key], actual[key]) for key in keys)
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == "...":
            head = expected[:-1]
            return len(actual) >= len(head) and all(map(matches, head, actual))
        return len(expected) == len(actual) and all(map(matches, expected, actual))
    return expected == actual


def expected_json(text: str):
    """Parse README's JSON-with-`...` (what follows the JSON on the line, e.g. `<- safe to retry`, is prose)."""
    as_json = re.sub(r"(?<=[{,])\s*\.\.\.\s*(?=[},])", ' "...": "..."', text)
    as_json = re.sub(r"(?<![\"\w])\.\.\.(?![\"\w])", '"..."', as_json)
    value, _ = json.JSONDecoder().raw_decode(as_json)
    return value


def check_output(block: Block, index: int, output: str) -> None:
    expected = block.expected[index]
    where = f"README.md line {block.line}: `{block.commands[index]}` printed:\n{output}\nREADME says:\n# {expected}"
    if expected.startswith('"'):
        text = json.loads(expected[: expected.rindex('"') + 1])
        pattern = ".*".join(map(re.escape, text.split("...")))
        assert re.fullmatch(pattern, output.strip(), re.DOTALL), where
        return
    try:
        actual = json.loads(output)
    except ValueError:
        pytest.fail(f"not JSON: {where}")
    assert matches(expected_json(expected), actual), where


def is_listed(block: Block) -> bool:
    listed = [command in NOT_RUN for command in block.commands]
    assert all(listed) or not any(listed), (
        f"README.md line {block.line}: a block mixes commands this test runs with ones it cannot "
        f"({', '.join(c for c in block.commands if c in NOT_RUN)}): put those in a block of their own"
    )
    return all(listed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def plain_environment(var_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "OPMODEL_VAR_DIR": str(var_dir), **extra}


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """`make run` on a free port; yields (address, var_dir, home). Stopped with Ctrl-C's SIGINT."""
    if not VENV_PYTHON.exists():
        pytest.fail("README's commands run .venv/bin/python: create .venv first (make install)")
    if shutil.which("make") is None or shutil.which("curl") is None:
        pytest.fail("README's commands need make and curl on PATH")
    var_dir, home = tmp_path_factory.mktemp("var"), tmp_path_factory.mktemp("home")
    port = free_port()
    log = var_dir / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed", "run"],
            cwd=BASE_DIR,
            env=plain_environment(var_dir, home, PORT=str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                pytest.fail(f"make run exited with {process.returncode}:\n{log.read_text()[-6000:]}")
            try:
                with urllib.request.urlopen(f"http://{address}/accounts/login/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"make run did not serve http://{address}/ within 300 s:\n{log.read_text()[-6000:]}")
            time.sleep(0.5)
        yield address, var_dir, home
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_block(block: Block, instance) -> None:
    address, var_dir, home = instance
    before = {path.name for path in BASE_DIR.iterdir()}
    try:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script(block, address)],
            cwd=BASE_DIR,
            env=plain_environment(var_dir, home),
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        # Files the commands write in the checkout (batch.json, review.json) go with the test.
        for name in {path.name for path in BASE_DIR.iterdir()} - before:
            if (BASE_DIR / name).is_file():
                (BASE_DIR / name).unlink()
    assert done.returncode == 0, (
        f"README.md block at line {block.line} exited with {done.returncode}:\n{block.text}\n"
        f"--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    )
    outputs = done.stdout.split(f"\n{MARK}\n")
    assert len(outputs) == len(block.commands) + 1, done.stdout
    for index in block.expected:
        check_output(block, index, outputs[index])


BLOCKS = shell_blocks(README.read_text())
RUN = [block for block in BLOCKS if not is_listed(block)]


def test_readme_has_blocks_to_run_and_every_command_not_run_is_in_it():
    text = README.read_text()
    in_readme = {command for block in BLOCKS for command in block.commands} | set(re.findall(r"`([^`\n]+)`", text))

    assert RUN, "no README block found to run"
    assert set(NOT_RUN) <= in_readme, f"NOT_RUN names commands README no longer has: {set(NOT_RUN) - in_readme}"


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line-{block.line}" for block in BLOCKS])
def test_every_curl_shows_its_output_and_no_command_has_a_trailing_comment(block):
    """A curl that is refused still exits 0: its output is what shows it worked. A comment after a
    command on its line is passed to it as arguments by zsh (macOS's shell) without interactivecomments."""
    for index, command in enumerate(block.commands):
        if command.lstrip().startswith("curl"):
            assert index in block.expected, f"README.md line {block.line}: show what this curl prints:\n{command}"
        if "<<" not in command:
            for line in command.splitlines():
                assert not re.search(r"\s#", line), f"README.md line {block.line}: a comment after a command: {line}"


def test_commands_named_in_the_text_exist():
    """Commands quoted in README's prose (`make clean`, `python manage.py recompute_scorecards`...) name a
    make target, management command or `python -m opmodel` command that exists."""
    from django.core.management import get_commands

    from opmodel.__main__ import COMMANDS

    text = README.read_text()
    targets = set(re.findall(r"^([\w-]+):", (BASE_DIR / "Makefile").read_text(), re.M))
    spans = re.findall(r"`([^`\n]+)`", text) + [command for block in BLOCKS for command in block.commands]
    named = {
        "make target": {m for span in spans for m in re.findall(r"(?:^|\s)make ([\w-]+)", span)},
        "management command": {m for span in spans for m in re.findall(r"manage\.py ([\w-]+)", span)},
        "python -m opmodel command": {m for span in spans for m in re.findall(r"-m opmodel ([\w-]+)", span)},
    }
    known = {"make target": targets, "management command": set(get_commands()), "python -m opmodel command": COMMANDS}

    assert named["make target"] >= {"run", "test", "clean", "bench", "lint"}, named
    for kind, names in named.items():
        assert names <= set(known[kind]), f"README names a {kind} that does not exist: {names - set(known[kind])}"


def test_readme_blocks_run_as_printed_against_a_live_instance(instance):
    # In README's order, in one instance: later blocks may build on earlier ones, as a reader's would.
    for block in RUN:
        run_block(block, instance)


def test_make_run_points_email_links_at_its_port(instance):
    address, var_dir, home = instance
    done = subprocess.run(
        [str(VENV_PYTHON), "manage.py", "shell", "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=BASE_DIR,
        env=plain_environment(var_dir, home),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"http://{address}"


@pytest.mark.parametrize(
    ("comment", "output", "expected"),
    [
        ('{"received": 2, "created": 2}   <- note', '{"received":2,"created":2}', True),
        ('{"received": 2, "created": 2}', '{"received":2,"created":3}', False),
        ('{"received": 2}', '{"received":2,"created":2}', False),
        ('{"received": 2, ...}', '{"received":2,"created":2}', True),
        ('{"count": ..., "results": [{"slug": ..., ...}, ...]}', '{"count":3,"results":[{"slug":"a","x":1},{}]}', True),
        ('{"count": ..., "results": [{"slug": ..., ...}, ...]}', '{"count":0,"results":[]}', False),
        ('{"missing": [...], ...}', '{"missing":[],"other":1}', True),
        ('{"missing": []}', '{"missing":["a"]}', False),
    ],
)
def test_output_comments_are_compared_as_readme_describes(comment, output, expected):
    assert matches(expected_json(comment), json.loads(output)) is expected
