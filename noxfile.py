"""nox sessions: thin wrappers over the tapbuild package (site_scons/tapbuild).

Sessions run in the current environment (the project's virtualenv); they install nothing.
`nox -l` lists them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "site_scons"))

nox.options.sessions = ["lint", "tests"]
nox.options.default_venv_backend = "none"

PY = sys.executable


def _scons(session: nox.Session, *args: str) -> None:
    session.run(PY, "-m", "SCons", "-C", str(ROOT), *args, external=True)


@nox.session(python=False)
def build(session: nox.Session) -> None:
    """Build dist/ with SCons (arguments are passed on: arch=, config=, toolchain=, ...)."""
    _scons(session, f"-j{os.cpu_count() or 2}", *session.posargs)


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Run the whole test suite (arguments are passed on to pytest)."""
    session.run(PY, "-m", "pytest", *session.posargs, external=True)


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff on the Python code and clang-format on the C code (check only)."""
    from tapbuild.dev import lint as checks

    for command in checks.commands():
        session.run(*command, external=True)


@nox.session(python=False, default=False)
def analyze(session: nox.Session) -> None:
    """clang-tidy and clang's static analyzer on the C code, all arches (-- -jN, --config C)."""
    from tapbuild.dev import analyze as static
    from tapbuild.errors import TapError

    try:
        static.main(session.posargs, session.log)
    except TapError as exc:
        session.error(str(exc))


@nox.session(python=False, default=False)
def bench(session: nox.Session) -> None:
    """Build benchmark: cold three-arch build, no-op, one .c, against the bare commands."""
    from tapbuild.dev import buildbench

    jobs = int(session.posargs[0]) if session.posargs else (os.cpu_count() or 2)
    buildbench.run(jobs, session.log)


def _cli(session: nox.Session, module: str, command: str) -> None:
    """Run ``command`` of tapbuild.cli.<module> (sign, package, release: each has the same
    ``main(command, argv, log)``) with the session's arguments; a TapError is one line."""
    import importlib

    from tapbuild.errors import TapError

    cli = importlib.import_module(f"tapbuild.cli.{module}")
    try:
        cli.main(command, session.posargs, session.log)
    except TapError as exc:
        session.error(str(exc))


@nox.session(python=False, default=False)
def catalog(session: nox.Session) -> None:
    """Unsigned <id>.cat per arch in dist/ (-- --os ARCH=LIST, --member-hash, --override)."""
    _cli(session, "sign", "catalog")


@nox.session(python=False, default=False)
def sign(session: nox.Session) -> None:
    """Sign, timestamp and verify dist/ (-- --force|--append, --digest, --proxy, --backend)."""
    _cli(session, "sign", "sign")


@nox.session(python=False, default=False)
def timestamp(session: nox.Session) -> None:
    """Add RFC 3161 timestamps to signed but untimestamped files of dist/ (-- --proxy URL)."""
    _cli(session, "sign", "timestamp")


@nox.session(python=False, default=False)
def verify(session: nox.Session) -> None:
    """Verify dist/'s signatures, timestamps and catalogs (-- --ca FILE, --tsa-ca FILE)."""
    _cli(session, "sign", "verify")


@nox.session(python=False, default=False)
def testcert(session: nox.Session) -> None:
    """Self-signed code-signing certificate and PFX in testcert/ for test signing."""
    _cli(session, "sign", "testcert")


@nox.session(python=False, default=False)
def package(session: nox.Session) -> None:
    """NSIS installer <package>-<version>-I<build>.exe from dist/ (-- --dist, --arch, --override)."""
    _cli(session, "package", "package")


@nox.session(name="prepare-msm", python=False, default=False)
def prepare_msm(session: nox.Session) -> None:
    """dist/ for MSM packaging from two signed dists (-- --win7 DIR --win10 DIR)."""
    _cli(session, "package", "prepare-msm")


@nox.session(name="package-msm", python=False, default=False)
def package_msm(session: nox.Session) -> None:
    """Merge modules <package>-<version>-<arch>.msm from the prepare-msm layout (-- --arch, ...)."""
    _scons(session, "-Q", "msica")
    _cli(session, "package", "package-msm")


@nox.session(python=False, default=False)
def submission(session: nox.Session) -> None:
    """Attestation submission cabinets <name>-<arch>.cab from dist/, signed when set up."""
    _cli(session, "release", "submission")


@nox.session(python=False, default=False)
def extract(session: nox.Session) -> None:
    """Overlay attestation-signed zips' drivers/ onto dist/, keeping dist.<time> (-- ZIP...)."""
    _cli(session, "release", "extract")


@nox.session(name="sign-file", python=False, default=False)
def sign_file(session: nox.Session) -> None:
    """Sign, timestamp and verify any files, skipping signed ones (-- FILE...)."""
    _cli(session, "sign", "sign-file")


@nox.session(python=False, default=False)
def devinstall(session: nox.Session) -> None:
    """Windows: replace the installed driver with dist/'s and check its version."""
    _cli(session, "release", "devinstall")


@nox.session(python=False, default=False)
def fuzz(session: nox.Session) -> None:
    """libFuzzer (clang 14, ASan+UBSan) on each core harness for SECONDS (-- SECONDS)."""
    from tapbuild.dev import corefuzz
    from tapbuild.errors import TapError

    try:
        seconds = corefuzz.parse_seconds(session.posargs)
        session.log("# building the harnesses")
        exes = corefuzz.build(ROOT, ROOT / "build/fuzz/bin")
    except TapError as exc:
        session.error(str(exc))
    total = 0
    crashed = []
    for name, exe in exes.items():
        session.log(f"# fuzz_{name}: {seconds} s")
        result = corefuzz.run(name, exe, seconds, ROOT / "build/fuzz")
        total += result.executed
        session.log(f"fuzz_{name}: {result.executed} inputs executed")
        if result.crashed:
            crashed.append(name)
            print(result.log[-4000:])
    session.log(f"total: {total} inputs executed")
    if crashed:
        session.error(f"fuzz: crash in {', '.join(crashed)}; inputs in build/fuzz/artifacts/")


@nox.session(name="bench-sim", python=False, default=False)
def bench_sim(session: nox.Session) -> None:
    """Frames/s through the driver's glue and core under the simulator (wine), TAP and TUN,
    against the core alone in the same program (-- FRAMES)."""
    from tapbuild.dev import simbench
    from tapbuild.errors import TapError

    try:
        count = simbench.parse_args(session.posargs)
        _scons(session, "-j2", "arch=amd64", "driver-sim")
        print(simbench.run(ROOT / "build" / "sim" / "release" / "tapsim.exe", count), end="")
    except TapError as exc:
        session.error(str(exc))


@nox.session(name="bench-core", python=False, default=False)
def bench_core(session: nox.Session) -> None:
    """Packets per second through the core's TUN framing and DHCP responder (-- SECONDS)."""
    from tapbuild.dev import corebench
    from tapbuild.errors import TapError

    try:
        print(corebench.run(ROOT, corebench.parse_seconds(session.posargs)), end="")
    except TapError as exc:
        session.error(str(exc))
