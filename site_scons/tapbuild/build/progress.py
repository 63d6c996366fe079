"""``[n/N]`` before each short build line, on a terminal.

N is the number of targets the build looks at (every node with a builder under the targets
asked for); n counts them as SCons reaches them, so a partial rebuild climbs to N while
printing only the steps it runs, as CMake's percentages do. Off when the output is not a
terminal (logs, tests, ``verbose=1``): the short lines are then exactly as before.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any, TextIO


class Counter:
    """What SCons's ``Progress()`` calls for each target, and ``$TAP_PROGRESS`` prints."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def count(self, roots: Iterable[Any]) -> None:
        """N: the nodes with a builder at or under ``roots`` (scanned includes too)."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.has_builder():
                self.total += 1
                stack.extend(node.children())  # children() scans: cached for the build
        self.total = max(self.total, 1)

    def __call__(self, node: Any) -> None:
        if node.has_builder():
            with self._lock:
                if id(node) not in self._seen:
                    self._seen.add(id(node))
                    self.done += 1

    def prefix(self, target: Any, source: Any, env: Any, for_signature: bool) -> str:
        """``$TAP_PROGRESS``: ``[n/N] `` while counting, else nothing."""
        if for_signature or not self.total:
            return ""
        with self._lock:
            done = min(self.done, self.total)
        width = len(str(self.total))
        return f"[{done:>{width}}/{self.total}] "


def wanted(verbose: bool, stream: TextIO | None = None) -> bool:
    """Progress is shown on a terminal, with the short lines (not with verbose=1)."""
    out = stream or sys.stdout
    return not verbose and out.isatty()
