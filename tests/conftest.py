"""Shared pytest configuration.

``@pytest.mark.tool("name", ...)`` marks a test that needs external programs. Where one is
missing the test skips with the reason, except when ``TAP_REQUIRE_TOOLS=1`` (set by .ci/run):
then a missing tool is a failure, so CI never skips for want of something it could install.
"""

from __future__ import annotations

import pytest
from tools import require


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="tool"):
        require(*mark.args)
