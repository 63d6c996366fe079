"""README.md and docs/ against the code: every option the docs give a nox session exists in
that session's parser and every option of the parser is documented on its page; the SCons
variables table against tapbuild.build.options; every relative link and #anchor resolves; the
README's Quick start is the command CI runs. Reads text and --help only: no build."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tapbuild.build import options
from tapbuild.cli import package, release, sign
from tapbuild.dev import analyze

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

# Each session with argparse options, and the page that documents it.
SESSIONS = {
    "catalog": "signing.md",
    "sign": "signing.md",
    "timestamp": "signing.md",
    "verify": "signing.md",
    "testcert": "signing.md",
    "sign-file": "release.md",
    "submission": "release.md",
    "extract": "release.md",
    "devinstall": "development.md",
    "package": "packaging.md",
    "prepare-msm": "packaging.md",
    "package-msm": "packaging.md",
}
# Options in the docs that belong to other programs than the nox sessions.
FOREIGN = {
    "--help": "every parser's",
    "--add-architecture": "dpkg (testing.md)",
    "--list-all": "p11tool (signing.md)",
    "--provider": "p11tool (signing.md)",
    "--module": "pkcs11-tool (signing.md)",
    "--sdk": "the old buildtap.py (building.md)",
}
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SESSION = re.compile(r"nox -s ([a-z][a-z-]*) --(?![\w-])")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def _help(session: str) -> str:
    """The session's --help text, got the way the noxfile runs the session."""
    if session in sign.COMMANDS:
        lines: list[str] = []
        sign.main(session, ["--help"], lines.append)
        return "\n".join(lines)
    if session in release.COMMANDS:
        lines = []
        with pytest.MonkeyPatch.context() as mp:  # devinstall refuses to run off Windows
            mp.setattr(release.devinstall, "refuse_off_windows", lambda: None)
            release.main(session, ["--help"], lines.append)
        return "\n".join(lines)
    out = io.StringIO()
    main = getattr(package, f"{session.replace('-', '_')}_main")
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main(["--help"])
    return out.getvalue()


@functools.cache
def parser_options(session: str) -> frozenset[str]:
    """The long options of the session's parser, from the options part of its --help."""
    found: set[str] = set()
    for line in _help(session).splitlines():
        m = re.match(r"\s+(?:-\w, )?(--[\w-]+)", line)
        if m:
            found.add(m.group(1))
    found.discard("--help")
    assert found, f"no options parsed from {session}'s --help"
    return frozenset(found)


def test_sessions_cover_every_command_line() -> None:
    """SESSIONS lists every command of the three CLI modules the noxfile dispatches to."""
    packaging_steps = {
        n.removesuffix("_main").replace("_", "-") for n in dir(package) if n.endswith("_main")
    }
    assert set(SESSIONS) == {*sign.COMMANDS, *release.COMMANDS, *packaging_steps}


def smoke_options() -> set[str]:
    """tests/windows/tap_smoke.py's options, from its --help."""
    spec = importlib.util.spec_from_file_location("tap_smoke", ROOT / "tests/windows/tap_smoke.py")
    assert spec and spec.loader
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        smoke.parse(["--help"])
    return {m.group(1) for m in re.finditer(r"^\s+(?:-\w, )?(--[\w-]+)", out.getvalue(), re.M)}


def test_smoke_script_options() -> None:
    """The Windows smoke script's options in testing.md are its parser's, all of them."""
    page = text(DOCS / "testing.md")
    documented = {
        o for line in page.splitlines() if "tap_smoke.py" in line for o in OPTION.findall(line)
    }
    parser = smoke_options() - {"--help"}
    assert documented <= parser, sorted(documented - parser)
    assert parser <= set(OPTION.findall(page)), sorted(parser - set(OPTION.findall(page)))


def text(page: Path) -> str:
    """The page without link targets (their anchors look like options)."""
    return re.sub(r"\]\([^)]*\)", "]", page.read_text(encoding="utf-8"))


def fenced(lines: list[str]) -> Iterator[tuple[bool, str]]:
    """(inside a ``` block, line) for each line."""
    inside = False
    for line in lines:
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        yield inside, line


def session_mentions(page: Path) -> Iterator[tuple[str, str]]:
    """(session, what follows its `nox -s NAME --`): in code lines up to a comment, in code
    spans (also across lines), and in table rows whose first cell names the session."""
    lines = text(page).splitlines()
    prose = []
    for inside, line in fenced(lines):
        if inside:
            for m in SESSION.finditer(line):
                yield m.group(1), re.split(r"\s#|\s::|&&|;", line[m.end() :])[0]
        else:
            prose.append(line)
            cells = line.split(" | ")
            if line.startswith("|") and len(cells) > 1:
                m = SESSION.search(cells[0])
                if m:
                    yield m.group(1), " | ".join(cells[1:]) + cells[0][m.end() :]
    for span in re.findall(r"`([^`]+)`", "\n".join(prose)):
        for m in SESSION.finditer(span):
            yield m.group(1), span[m.end() :]
    # a table whose header names a session: every option of its first column is that session's
    header_session = None
    for inside, line in fenced(lines):
        if inside or not line.startswith("|"):
            header_session = None
            continue
        first = line.split(" | ")[0]
        if header_session is None:
            m = SESSION.search(first)
            header_session = m.group(1) if m else ""
        elif header_session:
            yield header_session, first


@pytest.mark.parametrize("session", SESSIONS)
def test_every_parser_option_is_documented(session: str) -> None:
    """Each option of the parser is given to that very session somewhere in the docs (a
    synopsis, an example, or a row of its options table), and its page documents it."""
    page = DOCS / SESSIONS[session]
    assert f"nox -s {session}" in page.read_text(encoding="utf-8"), f"{page.name}: no {session}"
    given = {
        option
        for doc in PAGES
        for name, rest in session_mentions(doc)
        if name == session
        for option in OPTION.findall(rest)
    }
    missing = sorted(parser_options(session) - given)
    assert not missing, f"the docs never give nox -s {session} its {missing}"
    missing = sorted(parser_options(session) - set(OPTION.findall(text(page))))
    assert not missing, f"{page.name} does not document nox -s {session}'s {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_options_given_to_a_session_exist(page: Path) -> None:
    wrong = []
    for session, rest in session_mentions(page):
        if session in SESSIONS:
            accepted = parser_options(session) | {"--help"}
        elif session == "analyze":  # parses its few arguments by hand
            accepted = set(OPTION.findall(analyze.USAGE))
        else:  # build, tests (their arguments go to scons, pytest), bench*, fuzz
            accepted = set()
        wrong += [f"nox -s {session} -- {o}" for o in OPTION.findall(rest) if o not in accepted]
    assert not wrong, f"{page.name}: options its parser does not have: {sorted(set(wrong))}"


def test_every_documented_option_exists_somewhere() -> None:
    known = set(FOREIGN).union(
        *(parser_options(s) for s in SESSIONS),
        OPTION.findall(analyze.USAGE),  # nox -s analyze parses its few arguments by hand
        smoke_options(),
    )
    unknown = {
        f"{page.name}: {o}" for page in PAGES for o in OPTION.findall(text(page)) if o not in known
    }
    assert not unknown, f"options no parser has: {sorted(unknown)}"


def test_scons_variables_table() -> None:
    """docs/building.md's Variables table names exactly the variables of `scons -h`, with
    every accepted value of the closed ones; README names them all."""
    page = (DOCS / "building.md").read_text(encoding="utf-8")
    section = page.split("## Variables", 1)[1].split("\n## ", 1)[0]
    rows = {
        m.group(1): line for line in section.splitlines() if (m := re.match(r"\| `(\w+)=", line))
    }
    shown = re.findall(r"^  (\w+)=  ", options.help_text(), re.M)
    assert shown == list(options.NAMES)
    assert sorted(rows) == sorted(shown)
    for name, values in (("config", options.CONFIGS), ("toolchain", options.TOOLCHAINS)):
        for value in values:
            assert f"`{value}`" in rows[name], f"building.md: {name}= lacks {value}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [n for n in shown if f"`{n}=`" not in readme] == []
    for target in re.findall(r"(?:\(default\)|^\s+)\s*([a-z][\w-]+) \(", options.help_text(), re.M):
        assert f"`{target}`" in page, f"building.md does not name the target {target}"


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The page's heading anchors; GitHub numbers repeats -1, -2, ..."""
    found: set[str] = set()
    for inside, line in fenced(page.read_text(encoding="utf-8").splitlines()):
        m = re.match(r"#{1,6} (.*)", line)
        if m and not inside:
            base = anchor = slug(m.group(1))
            n = 0
            while anchor in found:
                n += 1
                anchor = f"{base}-{n}"
            found.add(anchor)
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve(page: Path) -> None:
    body = "\n".join(
        line for inside, line in fenced(page.read_text(encoding="utf-8").splitlines()) if not inside
    )
    bad = []
    for target in LINK.findall(body):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            bad.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not bad, f"{page.name}: {bad}"


def test_every_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [p.name for p in DOCS.glob("*.md") if f"(docs/{p.name})" not in readme] == []


def test_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    build = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/scons -j2"
    tests = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/nox -s tests"
    assert build in quick.splitlines() and tests in quick.splitlines()
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert tests.replace("pip install -e", "pip install -q -e") in ci.splitlines()
    assert len(readme.splitlines()) <= 200
