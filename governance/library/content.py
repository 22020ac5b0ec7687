"""Asset content per type: what makes it valid, and how it is shown.

Content is text: a prompt template with {{variables}}, an evaluation set as CSV or JSONL, a
playbook or security requirement in Markdown, a routing rule as YAML or JSON, a diagram as
Mermaid text, a dataset reference as YAML or JSON with a location.
"""

import csv
import difflib
import io
import json
import re

import yaml
from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

from governance.models import Asset

MAX_CONTENT = 200_000
VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
MERMAID_STARTS = (
    "graph",
    "flowchart",
    "sequenceDiagram",
    "stateDiagram",
    "classDiagram",
    "erDiagram",
    "journey",
    "gantt",
    "mindmap",
    "timeline",
)
# CommonMark without raw HTML: user content can never inject markup or scripts.
_markdown = MarkdownIt("commonmark", {"html": False})


def normalise(content: str) -> str:
    """Line ends as LF, whichever path sent the content (browsers post text areas with CRLF), so checksums
    and diffs do not depend on the client."""
    return content.replace("\r\n", "\n").replace("\r", "\n")


def validate(asset_type: str, content: str) -> None:
    """Raise ValidationError({"content": ...}) with a message a contributor can act on."""
    if not content.strip():
        raise ValidationError({"content": "The content is empty."})
    if len(content) > MAX_CONTENT:
        raise ValidationError({"content": f"At most {MAX_CONTENT:,} characters (got {len(content):,})."})
    check = _CHECKS.get(asset_type)
    if check:
        problem = check(content)
        if problem:
            raise ValidationError({"content": problem})


def prompt_variables(content: str) -> list[str]:
    return sorted(set(VARIABLE.findall(content)))


def _check_prompt(content: str) -> str:
    opened, closed = content.count("{{"), content.count("}}")
    if opened != closed:
        return f"Unbalanced variable braces: {opened} “{{{{” but {closed} “}}}}”."
    malformed = [m for m in re.findall(r"\{\{(.*?)\}\}", content) if not VARIABLE.fullmatch("{{" + m + "}}")]
    if malformed:
        return f"Variables are names like {{{{customer_message}}}}; not {{{{{malformed[0].strip()}}}}}."
    if not prompt_variables(content):
        return "A prompt template names its inputs as variables, e.g. {{ticket_text}}; none found."
    return ""


def _check_evaluation_set(content: str) -> str:
    lines = [line for line in content.splitlines() if line.strip()]
    if lines[0].lstrip().startswith("{"):
        for number, line in enumerate(lines, start=1):
            try:
                if not isinstance(json.loads(line), dict):
                    return f"JSONL line {number} is not an object."
            except json.JSONDecodeError as exc:
                return f"JSONL line {number} is not valid JSON: {exc.msg}."
        return ""
    try:
        rows = list(csv.reader(io.StringIO(content)))
    except csv.Error as exc:
        return f"Not valid CSV: {exc}."
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        return "An evaluation set needs a header row and at least one case (CSV), or JSONL objects."
    width = len(rows[0])
    uneven = next((n for n, r in enumerate(rows[1:], start=2) if len(r) != width), None)
    if uneven:
        return f"CSV row {uneven} has a different number of columns than the header ({width})."
    return ""


def _structured(content: str):
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        pass
    try:
        return yaml.safe_load(content)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValueError(f"Neither JSON nor YAML{where}: {getattr(exc, 'problem', exc)}.") from None


def _check_mapping(content: str, required: tuple[str, ...] = ()) -> str:
    try:
        data = _structured(content)
    except ValueError as exc:
        return str(exc)
    if not isinstance(data, dict):
        return "Expected a mapping of keys to values (a JSON object or YAML mapping)."
    missing = [key for key in required if key not in data]
    return f"Missing key(s): {', '.join(missing)}." if missing else ""


def _check_markdown(content: str) -> str:
    if not any(line.lstrip().startswith("#") for line in content.splitlines()):
        return "Start sections with Markdown headings, e.g. “# Escalation playbook”."
    return ""


def _check_mermaid(content: str) -> str:
    first = next(line.strip() for line in content.splitlines() if line.strip())
    if not first.startswith(MERMAID_STARTS):
        return f"Mermaid diagrams start with a diagram type such as {', '.join(MERMAID_STARTS[:3])}."
    return ""


_CHECKS = {
    Asset.Type.PROMPT_TEMPLATE: _check_prompt,
    Asset.Type.EVALUATION_SET: _check_evaluation_set,
    Asset.Type.PLAYBOOK: _check_markdown,
    Asset.Type.SECURITY_REQUIREMENT: _check_markdown,
    Asset.Type.MODEL_ROUTING_RULE: _check_mapping,
    Asset.Type.DATASET_REFERENCE: lambda content: _check_mapping(content, ("location",)),
    Asset.Type.WORKFLOW_DIAGRAM: _check_mermaid,
}


def render(asset_type: str, content: str) -> SafeString:
    """Safe HTML for the asset page: Markdown rendered, variables highlighted, evaluation sets as a table."""
    if asset_type in (Asset.Type.PLAYBOOK, Asset.Type.SECURITY_REQUIREMENT):
        html = _markdown.render(content)
        # Safe: markdown-it runs with html disabled (raw HTML is escaped, javascript: links are not linked).
        return mark_safe(html)  # noqa: S308  # nosec B703, B308
    if asset_type == Asset.Type.PROMPT_TEMPLATE:
        highlighted = VARIABLE.sub(lambda m: f'<mark class="var">{m.group(0)}</mark>', str(escape(content)))
        # Safe: the content is escaped first; the <mark> tags wrap matches of {{identifier}} only.
        highlighted = mark_safe(highlighted)  # noqa: S308  # nosec B703, B308
        return format_html('<pre class="content">{}</pre>', highlighted)
    if asset_type == Asset.Type.EVALUATION_SET and not content.lstrip().startswith("{"):
        rows = [r for r in csv.reader(io.StringIO(content)) if any(c.strip() for c in r)][:200]
        header = format_html_join("", "<th>{}</th>", ((c,) for c in rows[0]))
        body = format_html_join(
            "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in r)),) for r in rows[1:])
        )
        return format_html('<table class="eval"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', header, body)
    return format_html('<pre class="content">{}</pre>', content)


def diff(old: str, new: str, *, old_label: str, new_label: str) -> list[dict]:
    """Unified diff lines, each {"kind": "add" | "del" | "hunk" | "same", "text"}."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
    )
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    return [
        {"kind": kinds.get(line[:1], "same"), "text": line} for line in lines if not line.startswith(("+++", "---"))
    ]
