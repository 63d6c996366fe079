"""Build the layout probe against the installed WDK with clang-cl and compare (Windows CI).

    python tests/layout/check_wdk.py [--arch all|i386,amd64,arm64] [--kit-include DIR]
                                     [--clang-cl PATH] [--workdir DIR]

The probe is the one tests/layout/test_layout.py builds with zig (layoutprobe.py), in "wdk"
mode: through driver/decl/tapkernel.h it includes the real ntddk.h/ndis.h and asserts every
size, alignment and offset of tests/layout/wdk/<arch>.json; bit-fields are read back from the
object. The constants probe of test_constants.py asserts every value of wdk/constants.json and
every array length of wdk/arrays.json against the same headers. decl_usage.c, which
test_decl_usage.py compiles with zig, must compile here too. Exit status 0 when every
architecture matches, 1 on a mismatch (one line per problem), 2 on bad input (no WDK, no
clang-cl).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "site_scons"))

from layoutprobe import (
    bitfield_mismatches,
    constants_source,
    load_arrays,
    load_constants,
    load_expected,
    probe_source,
)
from tapbuild.arch import ARCHES, parse_arches
from tapbuild.errors import TapError

CLANG_TARGETS = {
    "i386": "i686-pc-windows-msvc",
    "amd64": "x86_64-pc-windows-msvc",
    "arm64": "aarch64-pc-windows-msvc",
}
ARCH_DEFINES = {"i386": "_X86_", "amd64": "_AMD64_", "arm64": "_ARM64_"}
KITS_ROOT = Path(r"C:\Program Files (x86)\Windows Kits\10\Include")
LLVM_CLANG_CL = Path(r"C:\Program Files\LLVM\bin\clang-cl.exe")


def _version_key(path: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in path.name.split("."))
    except ValueError:
        return (-1,)


def find_kit_include(given: Path | None, environ: dict[str, str]) -> Path:
    """The versioned WDK include directory (it holds km/ndis.h)."""
    candidates: list[Path] = []
    if given is not None:
        candidates = [given]
    else:
        sdk, version = environ.get("WindowsSdkDir"), environ.get("WindowsSDKVersion")
        if sdk and version:
            candidates.append(Path(sdk) / "Include" / version.strip("\\/"))
        if KITS_ROOT.is_dir():
            candidates += sorted(KITS_ROOT.iterdir(), key=_version_key, reverse=True)
    for candidate in candidates:
        if (candidate / "km" / "ndis.h").is_file():
            return candidate
    where = given or KITS_ROOT
    raise TapError(
        f"{where}: no WDK headers (km/ndis.h) found; install the WDK or pass "
        "--kit-include <Windows Kits>/10/Include/<version>"
    )


def find_clang_cl(given: Path | None) -> Path:
    found = given or (Path(w) if (w := shutil.which("clang-cl")) else None)
    if found is None and LLVM_CLANG_CL.is_file():
        found = LLVM_CLANG_CL
    if found is None or not found.is_file():
        raise TapError(
            f"clang-cl: not found ({given or 'PATH'}); install LLVM or pass --clang-cl PATH"
        )
    return found


def clang_cl_command(
    arch: str, clang_cl: Path, kit_include: Path, source: Path, obj: Path
) -> list[str]:
    """The kernel-mode compile of the probe for one arch against the WDK."""
    major, minor = ARCHES[arch].min_windows
    decl = Path(__file__).resolve().parents[2] / "driver" / "decl"
    return [
        str(clang_cl),
        f"--target={CLANG_TARGETS[arch]}",
        "/nologo",
        "/c",
        "/kernel",
        "/W0",
        f"/D{ARCH_DEFINES[arch]}=1",
        f"/D_WIN32_WINNT=0x{major:02X}{minor:02X}",
        f"/DNTDDI_VERSION=0x{major:02X}{minor:02X}0000",
        f"/I{decl}",
        f"/I{kit_include / 'km'}",
        f"/I{kit_include / 'shared'}",
        f"/I{kit_include / 'km' / 'crt'}",
        f"/Fo{obj}",
        str(source),
    ]


def check(arch: str, clang_cl: Path, kit_include: Path, workdir: Path) -> list[str]:
    """Problems found for one arch (empty: the WDK has the tables' layouts)."""
    source_text, bitfields = probe_source(load_expected(arch), "wdk", arch)
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"probe-{arch}.c"
    obj = workdir / f"probe-{arch}.obj"
    source.write_text(source_text)
    obj.unlink(missing_ok=True)
    cmd = clang_cl_command(arch, clang_cl, kit_include, source, obj)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        errors = [
            line for line in proc.stdout.splitlines() + proc.stderr.splitlines() if "error" in line
        ]
        return [f"{arch}: {line}" for line in errors] or [
            f"{arch}: clang-cl exit {proc.returncode}"
        ]
    problems = [f"{arch}: {p}" for p in bitfield_mismatches(obj.read_bytes(), bitfields)]
    # The constants and array lengths, as test_constants.py asserts them with zig.
    constants = workdir / f"constants-{arch}.c"
    constants.write_text(constants_probe(arch))
    # The same declaration usage that test_decl_usage.py compiles with zig.
    usage = Path(__file__).resolve().parent / "decl_usage.c"
    for source in (constants, usage):
        obj = workdir / f"{source.stem}-{arch}.obj"
        cmd = clang_cl_command(arch, clang_cl, kit_include, source, obj)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            out = proc.stdout.splitlines() + proc.stderr.splitlines()
            problems += [f"{arch}: {source.name}: {ln}" for ln in out if "error" in ln] or [
                f"{arch}: {source.name}: clang-cl exit {proc.returncode}"
            ]
    return problems


def constants_probe(arch: str) -> str:
    """The C text asserting every WDK constant and array length of wdk/ for ``arch``."""
    return constants_source(load_constants(), load_arrays(), arch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="all")
    parser.add_argument("--kit-include", type=Path)
    parser.add_argument("--clang-cl", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("build") / "layout-wdk")
    args = parser.parse_args(argv)
    try:
        arches = parse_arches(args.arch)
        kit = find_kit_include(args.kit_include, dict(os.environ))
        clang_cl = find_clang_cl(args.clang_cl)
    except TapError as exc:
        print(f"check_wdk: {exc}", file=sys.stderr)
        return 2
    print(f"check_wdk: WDK {kit}, {clang_cl}")
    problems: list[str] = []
    for arch in arches:
        found = check(arch.name, clang_cl, kit, args.workdir)
        print(f"check_wdk: {arch.name}: {'OK' if not found else f'{len(found)} problem(s)'}")
        problems += found
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
