"""The time stamped on the records that say when something happened (audit events, asset versions).

It is the wall clock, except inside `story_time(when)`: the demo (seed_demo) plays its story through the
real services, each step on the day the story says, so what they record carries the story's dates.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_story_time: ContextVar[datetime | None] = ContextVar("story_time", default=None)


def now() -> datetime:
    return _story_time.get() or timezone.now()


@contextmanager
def story_time(when: datetime) -> Iterator[None]:
    token = _story_time.set(when)
    try:
        yield
    finally:
        _story_time.reset(token)
