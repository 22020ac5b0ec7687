"""opmodel.html.format_row, the row builder of long lists, gives exactly what format_html gives."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from opmodel.html import format_row

lazy_text = lazy(lambda: "<lazy & 'text'>", str)

VALUES = [
    "plain",
    "<script>alert('x')</script> & \"quoted\"",
    "",
    0,
    -12,
    True,
    None,
    3.25,
    Decimal("1234.50"),
    date(2026, 12, 5),
    mark_safe("<b>already safe</b>"),  # noqa: S308 (a constant)
    lazy_text(),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_each_value_as_format_html_writes_it(value):
    template = '<td title="{}">{}</td>'
    assert format_row(template, value, value) == format_html(template, value, value)


def test_the_result_is_safe_and_nests_without_escaping_twice():
    inner = format_row("<b>{}</b>", "a < b")
    outer = format_row("<td>{}</td>", inner)
    assert isinstance(outer, SafeString)
    assert outer == "<td><b>a &lt; b</b></td>"
