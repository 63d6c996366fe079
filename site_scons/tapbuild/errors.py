"""The one exception type of the project's Python code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class TapError(Exception):
    """A failure the user can act on.

    The message is one line: what was wrong, and what is accepted. It never contains a
    secret (password, PIN).
    """


@contextmanager
def naming(scratch: Path, real: Path) -> Iterator[None]:
    """A TapError raised inside names ``real`` where it said ``scratch``: work done in a
    temporary copy (of dist/, of an output folder) is reported where the user looks."""
    try:
        yield
    except TapError as exc:
        raise TapError(str(exc).replace(str(scratch), str(real))) from None
