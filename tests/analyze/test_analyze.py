"""`nox -s analyze`: clang-tidy with the build's own flags finds real defects, covers every
arch and every source tree, and fails the session when it finds one.

Everything runs in scratch copies of the tree (the compilation database and the generated
headers are written there), with the real zig, SCons and the pinned clang-tidy.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tapbuild.arch import ARCHES
from tapbuild.dev import analyze
from tapbuild.dev.sourcetree import copy_tree
from tapbuild.errors import TapError

HERE = Path(__file__).resolve().parent
BUGGY = HERE / "buggy.c"
TARGETS = {a.zig_target for a in ARCHES.values()}


def expected_bugs() -> set[tuple[int, str]]:
    """(line, check) of every ``BUG check`` comment of buggy.c."""
    lines = BUGGY.read_text(encoding="utf-8").splitlines()
    return {
        (number, m[1])
        for number, line in enumerate(lines, 1)
        for m in re.finditer(r"BUG ([\w.-]+)", line)
    }


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("analyze"))


@pytest.fixture(scope="module")
def units(tree: Path) -> list[analyze.Unit]:
    """The units of both configurations, from `scons compiledb` in the copy."""
    result = []
    for config in analyze.CONFIGS:
        result += analyze.units(analyze.compile_database(config, tree), config, tree)
    return result


def test_every_file_of_every_tree_for_every_arch(tree: Path, units: list[analyze.Unit]) -> None:
    """Each .c file of driver/ (glue, runtime, core), tapinstall/ and installer/msica/ is
    analyzed once per target triple and configuration, nothing else."""
    assert analyze.coverage(units) == []
    sources = {p.relative_to(tree).as_posix() for p in analyze.source_files(tree)}
    c_files = {s for s in sources if s.endswith(".c")}
    assert {u.tree for u in units} == set(analyze.TREES)
    for config in analyze.CONFIGS:
        for target in TARGETS:
            got = sorted(u.path for u in units if u.target == target and u.config == config)
            assert got == sorted(c_files), (target, config)
    assert any(p.startswith("driver/core/") for p in c_files)


def test_units_carry_the_builds_flags(units: list[analyze.Unit], tree: Path) -> None:
    """The flags are the zig build's (from the compilation database), plus zig's own include
    directories; zig-only arguments are gone."""
    triples = {"x86-windows-gnu": "i386", "x86_64-windows-gnu": "x86_64"}
    triples["aarch64-windows-gnu"] = "aarch64"
    for unit in units:
        args = unit.args
        assert f"--target={triples[unit.target]}-unknown-windows-gnu" in args
        assert "-Werror" in args and "-ffreestanding" in args
        assert not any(a.startswith(("-mcpu=", "-ffile-prefix-map=")) for a in args)
        assert "-o" not in args and "-c" not in args and str(unit.source) not in args
        system = [args[i + 1] for i, a in enumerate(args) if a == "-isystem"]
        assert any(p.endswith("any-windows-any") for p in system)
        if unit.tree == "driver":
            # The kernel flags and the patched ddk headers before zig's.
            assert "-mgeneral-regs-only" in args and "-DNDIS_MINIPORT_DRIVER" in args
            includes = [a for a in args if a.startswith("-I")]
            assert f"-I{tree / 'build/zig-ddk'}" in includes
            debug = "-DTAP_DEBUG=1" if unit.config == "debug" else "-DTAP_DEBUG=0"
            assert debug in args
        else:
            assert "-DUNICODE" in args and "-mgeneral-regs-only" not in args


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_buggy_file_is_found(target: str, units: list[analyze.Unit], tree: Path) -> None:
    """buggy.c analyzed with a driver/core file's flags: every marked defect is reported,
    nothing else, and clang-tidy exits non-zero."""
    model = next(u for u in units if u.target == target and u.path == "driver/core/tapc_mac.c")
    unit = analyze.Unit(BUGGY, "tests/analyze/buggy.c", target, model.config, model.args)
    proc = subprocess.run(
        analyze.tidy_command(unit, tree), capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    findings = analyze.parse_findings(proc.stdout + proc.stderr)
    found = {(f.line, check) for f in findings for check in f.check.split(",")}
    assert expected_bugs() <= found
    assert {f.line for f in findings} == {line for line, _ in expected_bugs()}
    assert all(f.path == "tests/analyze/buggy.c" for f in findings)


def test_session_fails_and_lists_the_finding(tmp_path: Path) -> None:
    """A defective file in driver/core fails `nox -s analyze` (non-zero exit) with its findings
    listed, for all three arches; the file named alone is all that is analyzed."""
    tree = copy_tree(tmp_path / "tree")
    shutil.copy(BUGGY, tree / "driver/core/tapc_zz_buggy.c")
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(tree / "noxfile.py"), "-s", "analyze", "--",
         "--config", "release", "driver/core/tapc_zz_buggy.c"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    for line, check in expected_bugs():
        assert re.search(rf"^driver/core/tapc_zz_buggy\.c:{line}:\d+: .*{re.escape(check)}", output, re.M), (line, check, output)  # fmt: skip
    analyzed = re.findall(r"TIDY +(\S+) +release +(\S+): (\d+) finding", output)
    assert sorted(t for t, _, _ in analyzed) == sorted(TARGETS)
    assert {path for _, path, _ in analyzed} == {"driver/core/tapc_zz_buggy.c"}
    assert "finding(s); fix them" in output
    assert re.search(r"^analyze: 0 passed, 3 failed$", output, re.M), output


def test_fresh_tree_kernel_file_is_clean(tmp_path: Path) -> None:
    """In a tree never built, the session generates what the compiles include (zig's patched
    ddk headers, tap_product.h) and a driver file analyzes clean on all three arches."""
    tree = copy_tree(tmp_path / "tree")
    logged: list[str] = []
    analyze.main(["--config", "release", "driver/driver.c"], logged.append, root=tree)
    assert (tree / "build/zig-ddk").is_dir()
    assert sum(line.startswith("TIDY") for line in logged) == len(TARGETS)
    assert logged[-1] == "analyze: no findings"


def test_nolint_must_name_checks_and_say_why(tmp_path: Path) -> None:
    src = tmp_path / "driver" / "x.c"
    src.parent.mkdir()
    src.write_text(
        "int a; /* NOLINT */\n"
        "/* NOLINTNEXTLINE(bugprone-branch-clone) */\n"
        "/* NOLINTNEXTLINE(bugprone-branch-clone): both values are 0 by definition */\n"
        "/* NOLINTBEGIN(cert-dcl37-c): the WDK's names */\n"
        "/* NOLINTEND(cert-dcl37-c) */\n",
        encoding="utf-8",
    )
    found = analyze.bare_nolints(analyze.source_files(tmp_path), tmp_path)
    assert [(f.path, f.line, f.check) for f in found] == [
        ("driver/x.c", 1, "tap-nolint"),
        ("driver/x.c", 2, "tap-nolint"),
    ]


def test_the_tree_has_no_bare_nolint() -> None:
    assert analyze.bare_nolints(analyze.source_files()) == []


@pytest.mark.parametrize("argv", [["--bogus"], ["-j0"], ["--config", "fast"], ["driver/nothere.c"]])
def test_bad_arguments_are_one_line(argv: list[str], tree: Path) -> None:
    with pytest.raises(TapError) as exc:
        analyze.main(argv, root=tree)
    message = str(exc.value)
    assert "\n" not in message and "accepted:" in message
