"""format_html for the rows of long lists."""

import html

from django.utils.safestring import SafeData, SafeString, mark_safe


def format_row(format_string: str, *args) -> SafeString:
    """What format_html(format_string, *args) gives, in a third of the time, for the rows a list builds
    once per line (the portfolio table, the review lists).

    Safe values (SafeData: constants, pieces built by format_row) and integers go in as they are; every
    other value is escaped by html.escape, as django.utils.html.escape does, without that function's
    lazy-text wrapper, which took two thirds of a row's time. tests/test_html_rows.py compares the two.
    """
    return mark_safe(format_string.format(*map(_escaped, args)))  # noqa: S308 (every value escaped above)


def _escaped(value):
    if isinstance(value, SafeData) or type(value) is int:
        return value
    return html.escape(str(value))
