"""Hardware id matching: case-blind, '*' wildcards, "<id>" and "root\\<id>", "@<instance>"."""

from __future__ import annotations

import re

import pytest
import tihost
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.tool("gcc")


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("tap0901", "tap0901", True),
        ("TAP0901", "tap0901", True),
        ("tap0901", "Tap0901", True),
        ("tap0901", "tap09011", False),
        ("tap0901", "tap090", False),
        ("tap*", "tap0901", True),
        ("*0901", "tap0901", True),
        ("t*p*1", "tap0901", True),
        ("t*p*2", "tap0901", False),
        ("*", "", True),
        ("", "", True),
        ("", "x", False),
        ("**a**", "bab", True),
        ("a*a*a", "aaaa", True),
        ("a*a*a", "aa", False),
        ("*X", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay", False),
        ("root\\*", "ROOT\\tap0901", True),
        # Only ASCII letters fold; other characters compare exactly.
        ("Ä", "ä", False),
        ("é", "é", True),
        ("?", "a", False),  # '?' is not a wildcard
    ],
)
def test_glob(core: tihost.Core, pattern: str, text: str, expected: bool) -> None:
    assert core.glob(pattern, text) is expected


def _reference(pattern: str, text: str) -> bool:
    def fold(s: str) -> str:
        return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)

    regex = ".*".join(re.escape(part) for part in fold(pattern).split("*"))
    return re.fullmatch(regex, fold(text), re.DOTALL) is not None


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="aAbB*\\", max_size=10), st.text(alphabet="aAbB*\\", max_size=14))
def test_glob_agrees_with_a_regex(core: tihost.Core, pattern: str, text: str) -> None:
    assert core.glob(pattern, text) is _reference(pattern, text)


@pytest.mark.parametrize(
    ("pattern", "hwids", "compat", "expected"),
    [
        ("tap0901", ["tap0901"], None, True),
        ("tap0901", ["root\\tap0901"], None, True),
        ("tap0901", ["ROOT\\TAP0901"], None, True),
        ("TAP0901", ["root\\tap0901"], None, True),
        ("tap0901", ["other", "tap0901"], None, True),
        ("tap0901", None, ["tap0901"], True),
        ("tap0901", ["pci\\tap0901"], None, False),
        ("tap0901", ["rootx\\tap0901"], None, False),
        ("tap0901", ["root\\"], None, False),
        ("tap0901", ["roo"], None, False),
        ("tap0901", [], None, False),
        ("tap0901", None, None, False),
        ("root\\tap0901", ["root\\tap0901"], None, True),
        ("root\\tap0901", ["tap0901"], None, False),
        ("tap09*", ["root\\tap0901"], None, True),
        ("*", ["anything"], None, True),
        ("*", [], None, False),
        ("wintun", ["tap0901"], ["root\\tap0901"], False),
    ],
)
def test_match_device_ids(
    core: tihost.Core,
    pattern: str,
    hwids: list[str] | None,
    compat: list[str] | None,
    expected: bool,
) -> None:
    assert core.match(pattern, "ROOT\\NET\\0000", hwids, compat) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("@ROOT\\NET\\0000", True),
        ("@root\\net\\0000", True),
        ("@ROOT\\NET\\*", True),
        ("@*\\0000", True),
        ("@ROOT\\NET\\0001", False),
        ("@tap0901", False),  # '@' matches instance ids, never hardware ids
        ("ROOT\\NET\\0000", False),  # without '@' the instance id is not looked at
    ],
)
def test_match_instance_id(core: tihost.Core, pattern: str, expected: bool) -> None:
    assert core.match(pattern, "ROOT\\NET\\0000", ["tap0901"]) is expected
