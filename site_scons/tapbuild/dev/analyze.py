"""Static analysis of the C code (`nox -s analyze`): the stand-in for Static Driver Verifier
and CodeQL.

clang-tidy (the pinned PyPI wheel: LLVM 22, the release zig's clang is) runs its checks, among
them the clang static analyzer's (``clang-analyzer-*``), over every C file the zig build
compiles in ``driver/`` (the glue and driver/core), ``tapinstall/`` and ``installer/msica/``,
once per target triple and configuration, with that compile's own command line:

- SCons writes them as a compilation database (``scons compiledb``: the ``compilation_db``
  tool, see SConstruct), so the flags are the build's, never a second list;
- zig's driver adds include directories and defines of its own (the mingw-w64 headers inside
  the ziglang package): ``zig cc -###`` tells them for each target, and they are given to
  clang-tidy explicitly;
- what only zig understands (``-mcpu=`` with zig's CPU names) and what only shapes the object
  file (debug info, output paths) is left out.

The checks are in ``.clang-tidy`` at the top of the tree. A finding is a failure; a false
positive is silenced at its line with ``NOLINTNEXTLINE(check): why`` (or ``NOLINT(...)``), and
a NOLINT comment without a check name and a reason is itself a finding.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tapbuild.arch import ARCHES
from tapbuild.build import zig
from tapbuild.dev.lint import pinned_tool
from tapbuild.errors import TapError
from tapbuild.paths import ROOT

# The source trees analyzed (paths relative to the top of the tree).
TREES = ("driver", "tapinstall", "installer/msica")
# Both configurations: debug compiles the driver's debug log (TAP_DEBUG=1, DBG=1). Every arch
# of tapbuild.arch.ARCHES is analyzed (scons arch=all).
CONFIGS = ("release", "debug")

# Arguments of a zig compile that clang-tidy does not take: the compile-only and output
# switches, debug-info and path-map flags (they shape the object file, not the code) and
# -mcpu=, which names one of zig's CPUs (-mgeneral-regs-only says the same to clang).
_DROP_ALONE = {"-c", "-g", "-gcodeview", "-gno-codeview-command-line"}
_DROP_WITH_VALUE = {"-o", "-target"}
_DROP_PREFIXES = ("-ffile-prefix-map=", "-fdebug-compilation-dir=", "-mcpu=")


@dataclass(frozen=True)
class Unit:
    """One compile to analyze: a source file with the clang arguments of one build."""

    source: Path
    path: str  # the source relative to the top of the tree (driver/core/tapc_mac.c)
    target: str  # zig's target triple (x86-windows-gnu, ...)
    config: str  # release or debug
    args: tuple[str, ...]  # clang driver arguments, the source file excluded

    @property
    def tree(self) -> str | None:
        """The one of TREES the source is in."""
        return next((t for t in TREES if self.path.startswith(f"{t}/")), None)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} [{self.check}]"


def compile_database(config: str, root: Path = ROOT) -> Path:
    """``scons compiledb`` for every arch: the database and the headers the build generates."""
    argv = [sys.executable, "-m", "SCons", "-C", str(root), "-Q"]
    argv += ["arch=all", f"config={config}", "toolchain=zig", "compiledb"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines() or ["failed without a message"]
        raise TapError(f"analyze: scons compiledb config={config}: {lines[-1]}")
    return root / "build" / config / "compile_commands.json"


@cache
def zig_implicit_args(target: str) -> tuple[str, ...]:
    """What ``zig cc -target TARGET`` gives clang beyond the command line: the clang triple,
    zig's include directories (clang's own headers and the mingw-w64 ones) and defines."""
    argv = [*zig.command(), "cc", "-target", target, "-x", "c", "-c", os.devnull]
    proc = subprocess.run(
        [*argv, "-o", os.devnull, "-###"], capture_output=True, text=True, check=False
    )
    cc1 = next((ln for ln in proc.stderr.splitlines() if '"-cc1"' in ln), None)
    if proc.returncode != 0 or cc1 is None:
        raise TapError(f"analyze: zig cc -target {target} -### printed no compiler command line")
    words = shlex.split(cc1)
    triple = words[words.index("-triple") + 1]
    args = [f"--target={triple}", "-nostdinc"]
    for flag, value in itertools.pairwise(words):
        if flag == "-isystem":
            args += ["-isystem", str(Path(value).resolve())]
        elif flag == "-D":
            args.append(f"-D{value}")
    args += [w for w in words if w.startswith("-Wno-")]
    return tuple(args)


def _clang_args(argv: Sequence[str], source: str) -> tuple[str, list[str]]:
    """The zig target and the clang arguments of one database command (zig's prefix gone)."""
    prefix = [*zig.command(), "cc"]
    if list(argv[: len(prefix)]) != prefix or "-target" not in argv:
        raise TapError(f"analyze: {source}: not a zig cc command in the database: {argv[0]}")
    words = list(argv[len(prefix) :])
    target = words[words.index("-target") + 1]
    args: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
        elif word in _DROP_WITH_VALUE or (
            word == "-Xclang" and words[i + 1].startswith("-object-file-name=")
        ):
            skip = True
        elif word in _DROP_ALONE or word.startswith(_DROP_PREFIXES) or word == source:
            continue
        else:
            args.append(word)
    return target, args


def units(database: Path, config: str, root: Path = ROOT) -> list[Unit]:
    """The database's compiles of files in TREES, as clang-tidy units."""
    try:
        entries = json.loads(database.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TapError(f"analyze: {database}: not a compilation database ({exc})") from None
    result = []
    for entry in entries:
        source = Path(entry["file"])
        if not source.is_relative_to(root):
            continue
        rel = source.relative_to(root).as_posix()
        if not any(rel.startswith(f"{t}/") for t in TREES):
            continue
        argv = shlex.split(entry["command"])
        target, args = _clang_args(argv, argv[-1])
        # Relative -I paths are relative to the database's directory (the top of the tree).
        args = [_absolute_include(a, Path(entry["directory"])) for a in args]
        args = [*zig_implicit_args(target), *args]
        result.append(Unit(source, rel, target, config, tuple(args)))
    return result


def _absolute_include(arg: str, directory: Path) -> str:
    if arg.startswith("-I") and not Path(arg[2:]).is_absolute():
        return f"-I{directory / arg[2:]}"
    return arg


def tidy_command(unit: Unit, root: Path = ROOT) -> list[str]:
    """The clang-tidy command line of one unit: the tree's .clang-tidy; findings in the
    project's own headers count, those in zig's (system) headers do not."""
    header_filter = re.escape(str(root)) + "/(" + "|".join(map(re.escape, TREES)) + ")/"
    return [
        pinned_tool("clang-tidy"),  # the PyPI wheel of the test extra
        f"--config-file={root / '.clang-tidy'}",
        f"--header-filter={header_filter}",
        "--quiet",
        str(unit.source),
        "--",
        *unit.args,
    ]


_DIAGNOSTIC = re.compile(r"^(.+?):(\d+):(\d+): (warning|error): (.*?)(?: \[([^\]]+)\])?$")


def parse_findings(output: str, root: Path = ROOT) -> list[Finding]:
    """The diagnostics in clang-tidy's output (notes, code excerpts and carets skipped)."""
    findings = []
    for line in output.splitlines():
        m = _DIAGNOSTIC.match(line)
        if not m:
            continue
        path = Path(m[1])
        shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else m[1]
        names = [c for c in (m[6] or "").split(",") if c and not c.startswith("-")]
        check = ",".join(names) or f"clang-diagnostic-{m[4]}"
        findings.append(Finding(shown, int(m[2]), int(m[3]), check, m[5]))
    return findings


def analyze_unit(unit: Unit, root: Path = ROOT) -> list[Finding]:
    """clang-tidy on one unit. A failed run without a diagnostic is a TapError."""
    proc = subprocess.run(tidy_command(unit, root), capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    findings = parse_findings(output, root)
    if proc.returncode != 0 and not findings:
        last = (output.strip().splitlines() or ["failed without a message"])[-1]
        raise TapError(f"analyze: clang-tidy {unit.source} ({unit.target}): {last}")
    return findings


# NOLINT, NOLINTNEXTLINE or NOLINTBEGIN: check names in parentheses, then a reason.
_NOLINT = re.compile(r"NOLINT(?:NEXTLINE|BEGIN|END)?")
_NOLINT_OK = re.compile(r"NOLINT(?:NEXTLINE|BEGIN|END)?\([\w.*,-]+\):?\s+\w")


def bare_nolints(files: Iterable[Path], root: Path = ROOT) -> list[Finding]:
    """NOLINT comments that do not name their checks and say why."""
    findings = []
    for path in files:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            for m in _NOLINT.finditer(line):
                if m[0] == "NOLINTEND" or _NOLINT_OK.match(line, m.start()):
                    continue
                findings.append(
                    Finding(
                        path.relative_to(root).as_posix(),
                        number,
                        m.start() + 1,
                        "tap-nolint",
                        f"{m[0]} must name its checks and say why: {m[0]}(check): reason",
                    )
                )
    return findings


def source_files(root: Path = ROOT) -> list[Path]:
    """The .c and .h files of TREES (a scratch copy of the tree has no git to ask)."""
    return sorted(p for tree in TREES for p in (root / tree).rglob("*.[ch]"))


def coverage(all_units: Sequence[Unit]) -> list[str]:
    """What the analysis must cover and does not: each tree for every target and config."""
    have = {(u.tree, u.target, u.config) for u in all_units}
    return [
        f"{tree} for {arch.zig_target} ({config})"
        for config in {u.config for u in all_units} or CONFIGS
        for arch in ARCHES.values()
        for tree in TREES
        if (tree, arch.zig_target, config) not in have
    ]


def analyze(
    all_units: Sequence[Unit],
    jobs: int,
    log: Callable[[str], object] = print,
    root: Path = ROOT,
) -> tuple[list[Finding], int]:
    """Every unit through clang-tidy (``jobs`` at a time): the findings, each once, sorted
    (a header's are found by every file that includes it), and how many units had any."""
    found: set[Finding] = set()
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for unit, result in zip(
            all_units, pool.map(lambda u: analyze_unit(u, root), all_units), strict=True
        ):
            log(f"TIDY   {unit.target:<19} {unit.config:<7} {unit.path}: {len(result)} finding(s)")
            found.update(result)
            failed += bool(result)
    return sorted(found), failed


USAGE = "accepted: -jN, --config release|debug, and .c files of " + ", ".join(
    f"{t}/" for t in TREES
)


def main(argv: Sequence[str], log: Callable[[str], object] = print, root: Path = ROOT) -> None:
    """`nox -s analyze [-- -jN] [--config release|debug] [FILE.c ...]`: every compile of the
    trees (or of the files named), for every arch; raises a TapError when anything is found
    (the findings printed first)."""
    jobs = os.cpu_count() or 2
    configs: Sequence[str] = CONFIGS
    files: list[str] = []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if re.fullmatch(r"-j[1-9]\d*", arg):
            jobs = int(arg[2:])
        elif arg == "--config" and args and args[0] in CONFIGS:
            configs = [args.pop(0)]
        elif arg.endswith(".c") and not arg.startswith("-"):
            files.append(Path(arg).as_posix().removeprefix("./"))
        else:
            raise TapError(f"analyze: unexpected argument {arg!r}; {USAGE}")
    all_units = []
    for config in configs:
        log(f"# scons compiledb config={config} arch=all: the zig build's compile commands")
        all_units += units(compile_database(config, root), config, root)
    if files:
        unknown = [f for f in files if f not in {u.path for u in all_units}]
        if unknown:
            raise TapError(f"analyze: {unknown[0]}: not compiled by the build; {USAGE}")
        all_units = [u for u in all_units if u.path in files]
    else:
        missing = coverage(all_units)
        if missing:
            raise TapError(f"analyze: the compilation database has no compile of {missing[0]}")
    log(f"# clang-tidy: {len(all_units)} compiles ({', '.join(configs)}), {jobs} at a time")
    findings, failed = analyze(all_units, jobs, log, root)
    bare = bare_nolints(source_files(root), root)
    findings = bare + findings
    for finding in findings:
        print(finding)
    # The closing line: compiles analyzed without a finding, and with (a bare NOLINT counts).
    print(f"analyze: {len(all_units) - failed} passed, {failed + len(bare)} failed")
    if findings:
        raise TapError(
            f"analyze: {len(findings)} finding(s); fix them or, for a false positive, "
            "silence it at its line: /* NOLINTNEXTLINE(check): why */"
        )
    log("analyze: no findings")
