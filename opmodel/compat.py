"""What the code uses from Python 3.11 on, for Python 3.10 too (Django 5.2 supports 3.10 to 3.13).

When the oldest supported Python is 3.11, these become `from datetime import UTC` and
`datetime.fromisoformat`.
"""

import sys
from datetime import datetime, timezone

from django.utils.dateparse import parse_datetime

UTC = timezone.utc  # datetime.UTC from Python 3.11 on

if sys.version_info >= (3, 11):
    parse_iso_datetime = datetime.fromisoformat
else:

    def parse_iso_datetime(value: str) -> datetime:
        """Python 3.10's fromisoformat reads only isoformat()'s own output (no "Z" suffix, no
        3-digit fractions); Django's parser reads those too. ValueError when it is no timestamp."""
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"Invalid isoformat string: {value!r}")
        return parsed
