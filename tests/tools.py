"""External programs the tests need: skip where one is missing, fail in CI.

(``tests/`` is on sys.path through tests/conftest.py: ``from tools import require``.)
``@pytest.mark.tool("name")`` does the same for a whole test; ``require`` serves fixtures.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require(*names: str) -> None:
    """Skip (or, with TAP_REQUIRE_TOOLS=1 as .ci/run sets, fail) unless every program is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if not missing:
        return
    reason = f"needs {', '.join(missing)} (installed by .ci/run)"
    if os.environ.get("TAP_REQUIRE_TOOLS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)
