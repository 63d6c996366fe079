"""tapbuild.cli.common, the one argparse base of the sessions' command lines: the one-line
errors of both parser kinds, --help through the session's log, and the shared options, read
the same way by every session that has them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tapbuild.cli import common, package, release, sign
from tapbuild.errors import TapError


def test_a_session_parser_error_names_the_session_and_its_help() -> None:
    p = common.session_parser("verify")
    common.add_dist(p, Path("/d"))
    with pytest.raises(TapError) as err:
        p.parse_args(["--bogus"])
    assert str(err.value) == (
        "nox -s verify -- : unrecognized arguments: --bogus; see nox -s verify -- --help"
    )
    assert p.parse_args([]).dist == Path("/d")
    assert p.parse_args(["--dist", "x"]).dist == Path("x")


def test_a_step_parser_error_ends_with_its_usage() -> None:
    p = common.step_parser("package", "Build it.")
    common.add_arch(p, "architectures (default: all)", "all")
    with pytest.raises(TapError) as err:
        p.parse_args(["--arch"])
    assert str(err.value) == (
        "nox -s package --: argument --arch: expected one argument; "
        "usage: nox -s package -- [-h] [--arch ARCH]"
    )
    assert p.parse_args([]).arch == "all"


def test_the_sessions_error_lines() -> None:
    with pytest.raises(TapError, match=r"^nox -s sign -- : argument --digest: invalid choice"):
        sign.main("sign", ["--digest", "md5"], print)
    with pytest.raises(TapError, match=r"^nox -s submission -- : unrecognized arguments: -x;"):
        release.main("submission", ["-x"], print)
    with pytest.raises(TapError, match=r"^nox -s prepare-msm --: the following arguments are"):
        package.prepare_msm_main([], print)
    for main, kind in (
        (sign.main, "signing"),
        (release.main, "release"),
        (package.main, "packaging"),
    ):
        with pytest.raises(TapError, match=rf"^unknown {kind} command 'x'; accepted: "):
            main("x", [], print)


def test_arch_values() -> None:
    assert common.arches("x64,i386") == ["i386", "amd64"]
    assert common.arches("all") == ["i386", "amd64", "arm64"]
    with pytest.raises(TapError, match=r"^--arch mips: unknown architecture 'mips'; accepted: "):
        common.arches("mips")


def test_help_goes_to_the_log() -> None:
    p = common.session_parser("timestamp")
    common.add_json(p)
    lines: list[str] = []
    assert not common.help_requested(p, ["--json", "r.json"], lines.append)
    assert lines == []
    assert common.help_requested(p, ["--json", "r.json", "-h"], lines.append)
    (text,) = lines
    assert text.startswith("usage: timestamp [-h] [--json FILE]")
    assert "nox -s timestamp -- [options]" in text


def _option_lines(help_text: str) -> dict[str, str]:
    """Each long option of a --help with what follows its name on its line."""
    return {
        m.group(1): m.group(2).strip()
        for m in re.finditer(r"^\s+(--[\w-]+)( [A-Z_]+)?", help_text, re.M)
        if m.group(2)
    }


def _help(session: str, capsys: pytest.CaptureFixture[str]) -> str:
    if session in sign.COMMANDS:
        lines: list[str] = []
        sign.main(session, ["--help"], lines.append)
        return "\n".join(lines)
    if session in release.COMMANDS:
        return release._parser(session).format_help()
    with pytest.raises(SystemExit):  # the packaging steps: argparse's own --help
        getattr(package, f"{session.replace('-', '_')}_main")(["--help"])
    return capsys.readouterr().out


@pytest.mark.parametrize("session", [*sign.COMMANDS, *release.COMMANDS, *package.COMMANDS])
def test_shared_options_read_the_same_everywhere(
    session: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dist, --override, --arch and --json take the same value in every session that has
    them (the base adds them)."""
    expected = {"--dist": "DIST", "--override": "OVERRIDE", "--arch": "ARCH", "--json": "FILE"}
    options = _option_lines(_help(session, capsys))
    if session not in ("testcert", "sign-file"):
        assert "--dist" in options, session
    for option, metavar in expected.items():
        if option in options:
            assert options[option] == metavar, (session, option)
