"""Shared pytest configuration.

``@pytest.mark.tool("name", ...)`` marks a test that needs external programs. Where one is
missing the test skips with the reason, except when ``TAP_REQUIRE_TOOLS=1`` (set by .ci/run):
then a missing tool is a failure, so CI never skips for want of something it could install.
"""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="tool"):
        missing = [t for t in mark.args if shutil.which(t) is None]
        if not missing:
            continue
        reason = f"needs {', '.join(missing)} (installed by .ci/run)"
        if os.environ.get("TAP_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
