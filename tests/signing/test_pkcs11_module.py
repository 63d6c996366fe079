"""TAP_SIGN_PKCS11_MODULE is loaded when the credentials are read: a file that is not a
shared library, or a library that is not a PKCS#11 module, gives one line naming the path
before anything is signed (not the signing tool's ``Engine "pkcs11" set.``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from signtest_util import Token, Tsa, token_env, tree_bytes
from tapbuild.errors import TapError
from tapbuild.sign import credentials

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool("osslsigncode", "openssl", "softhsm2-util", "p11tool")


@pytest.fixture(scope="module")
def not_pkcs11(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real shared library (built with zig for this host) that is no PKCS#11 module."""
    d = tmp_path_factory.mktemp("lib")
    (d / "plain.c").write_text("int plain_function(void) { return 42; }\n")
    subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", "-shared", "-o", str(d / "libplain.so"),
         str(d / "plain.c")],
        check=True, capture_output=True,
    )  # fmt: skip
    return d / "libplain.so"


def _nox_sign(dist: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "sign", "--",
         "--dist", str(dist), "--no-timestamp"],
        capture_output=True, text=True, env=env, check=False, cwd=ROOT,
    )  # fmt: skip


def test_a_file_that_is_not_a_library(make_dist, softhsm: Token, tsa: Tsa, tmp_path) -> None:
    module = tmp_path / "token module.so"
    module.write_text("this is not a shared library\n")
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    res = _nox_sign(dist, token_env(softhsm, tsa.url, TAP_SIGN_PKCS11_MODULE=str(module)))
    assert res.returncode != 0
    [line] = [ln for ln in res.stderr.splitlines() if "Session sign" in ln]
    assert f"TAP_SIGN_PKCS11_MODULE={module}: the module could not be loaded (" in line
    assert "accepted: the token's PKCS#11 library" in line
    assert "Engine" not in res.stderr and "# signing with" not in res.stderr
    assert tree_bytes(dist) == before


def test_a_library_that_is_not_pkcs11(softhsm: Token, not_pkcs11: Path) -> None:
    env = token_env(softhsm, "", TAP_SIGN_PKCS11_MODULE=str(not_pkcs11))
    with pytest.raises(TapError) as err:
        credentials.from_environment(env)
    assert str(err.value) == (
        f"TAP_SIGN_PKCS11_MODULE={not_pkcs11}: not a PKCS#11 module (no C_GetFunctionList); "
        "accepted: the token's PKCS#11 library (.so/.dll, e.g. libsofthsm2.so)"
    )
    # the real module passes; verifying alone does not load it
    assert credentials.from_environment(token_env(softhsm, "")).key.module == softhsm.module
    credentials.from_environment(env, signing=False)
