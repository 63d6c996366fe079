"""Splitting a Windows command line: the Microsoft C runtime's rules, and buffer bounds."""

from __future__ import annotations

import subprocess

import pytest
import tihost
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.tool("gcc")


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        # The examples of Microsoft's "Parsing C command-line arguments".
        ('"a b c" d e', ["a b c", "d", "e"]),
        ('"ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]),
        ('a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]),
        ('a\\\\\\"b c d', ['a\\"b', "c", "d"]),
        ('a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]),
        ('a"b"" c d', ['ab" c d']),
        # Blanks: spaces and tabs separate, runs of them are one separator.
        ("  hwids \t tap0901  ", ["hwids", "tap0901"]),
        ('install "C:\\Program Files\\TAP\\OemVista.inf" tap0901',
         ["install", "C:\\Program Files\\TAP\\OemVista.inf", "tap0901"]),
        # Empty arguments survive, unterminated quotes run to the end.
        ('remove "" x', ["remove", "", "x"]),
        ('find "tap 0901', ["find", "tap 0901"]),
        ("", []),
        # Backslashes not before a quote are literal, a trailing one too.
        ("update C:\\drv\\ x", ["update", "C:\\drv\\", "x"]),
        # Non-ASCII and astral characters pass through untouched.
        ("find Ünïcødé 🙂", ["find", "Ünïcødé", "🙂"]),
    ],
)  # fmt: skip
def test_split_examples(core: tihost.Core, cmdline: str, expected: list[str]) -> None:
    assert core.split("tapinstall.exe " + cmdline if cmdline else "tapinstall.exe") == [
        "tapinstall.exe",
        *expected,
    ]


@pytest.mark.parametrize(
    ("cmdline", "expected"),
    [
        (
            '"C:\\Program Files\\tapinstall.exe" hwids',
            ["C:\\Program Files\\tapinstall.exe", "hwids"],
        ),
        # argv[0] takes no escapes: the backslash before the quote stays, the quote ends it.
        ('"C:\\dir\\"x y', ["C:\\dir\\", "x", "y"]),
        ("C:\\a\\tapinstall.exe find", ["C:\\a\\tapinstall.exe", "find"]),
        ('""', [""]),
        ("", [""]),
        (" find", ["", "find"]),
    ],
)
def test_split_program_name(core: tihost.Core, cmdline: str, expected: list[str]) -> None:
    assert core.split(cmdline) == expected


ARG_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\x00", max_codepoint=0x1F600
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ARG_TEXT, max_size=8))
def test_split_round_trips_quoting(core: tihost.Core, args: list[str]) -> None:
    """Arguments quoted as Python quotes them for Windows come back unchanged."""
    line = subprocess.list2cmdline(args)
    assert core.split("tapinstall.exe " + line) == ["tapinstall.exe", *args]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=' \t"\\ab\u00e9', max_size=40))
def test_split_never_overruns(core: tihost.Core, cmdline: str) -> None:
    """Any line fits the advertised buffer sizes (the canaries in Core.split stay intact)."""
    args = core.split(cmdline)
    assert len(args) >= 1
    assert sum(len(a) for a in args) <= len(cmdline)
