"""Fixtures for the release tests.

The signing tests' fixtures are reused, not redefined: real PE files built with zig
(``pe_files``), a dist/ layout of them (``make_dist``), the ``nox -s testcert`` certificate
(``test_cert``) and a real RFC 3161 responder (``tsa``). Added here: zips as Partner Center
returns them, and a tapinstall.exe signed through the project's signing API.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tools import require

SIGNING_TESTS = Path(__file__).resolve().parents[1] / "signing"
if str(SIGNING_TESTS) not in sys.path:
    sys.path.insert(0, str(SIGNING_TESTS))  # signtest_util, imported by the signing fixtures

_spec = importlib.util.spec_from_file_location("signing_fixtures", SIGNING_TESTS / "conftest.py")
assert _spec is not None and _spec.loader is not None
_signing_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_signing_fixtures)

pe_files = _signing_fixtures.pe_files
make_dist = _signing_fixtures.make_dist
test_cert = _signing_fixtures.test_cert
tsa = _signing_fixtures.tsa
private_ca = _signing_fixtures.private_ca

from signtest_util import base_env, pfx_env  # noqa: E402
from tapbuild.sign import signer, testcert  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def signed_exes(
    pe_files: dict[tuple[str, str], Path],
    test_cert: testcert.CertFiles,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """arch -> a tapinstall.exe (the zig-built PE) signed with the test certificate through
    tapbuild.sign.signer (no timestamp: the trust check of extract does not ask for one)."""
    require("osslsigncode")
    out = tmp_path_factory.mktemp("signed-exe")
    exes: dict[str, Path] = {}
    for (arch, kind), src in pe_files.items():
        if kind != "exe":
            continue
        dst = out / arch / "tapinstall.exe"
        dst.parent.mkdir()
        shutil.copy(src, dst)
        exes[arch] = dst
    env = pfx_env(test_cert, "")
    signer.sign_files(list(exes.values()), signer.SignOptions(timestamp=False), env)
    return exes


NoxRun = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def nox_run() -> NoxRun:
    """Run ``nox -s SESSION -- ARGS`` as a user would, in a clean signing environment."""

    def run(
        session: str, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "nox",
                "-f",
                str(ROOT / "noxfile.py"),
                "-s",
                session,
                "--",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env if env is not None else base_env(),
            check=False,
            cwd=ROOT,
        )

    return run
