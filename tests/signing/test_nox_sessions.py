"""The nox sessions as a user runs them: secrets never on a command line or in the output,
one-line errors, non-zero exits, dist/ untouched on failure."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from signtest_util import Proxy, Token, Tsa, base_env, pfx_env, token_env, tree_bytes
from tapbuild.formats import authenticode
from tapbuild.sign.testcert import CertFiles

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool("osslsigncode", "openssl", "tinyproxy")


def nox(session: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", session, "--", *args],
        capture_output=True, text=True, env=env, check=False, cwd=ROOT,
    )  # fmt: skip


class ProcWatch:
    """Polls every process's command line (and a signing tool's environment) while active."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.leaks: list[str] = []
        self.tool_runs: set[int] = set()
        self.stop = threading.Event()

    def scan(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                cmdline = Path(entry.path, "cmdline").read_bytes()
                if b"osslsigncode" in cmdline.split(b"\0")[0]:
                    self.tool_runs.add(int(entry.name))
                    if self.secret in Path(entry.path, "environ").read_bytes():
                        self.leaks.append(f"environ of {entry.name}")
            except OSError:
                continue
            if self.secret in cmdline:
                self.leaks.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))

    def run(self) -> None:
        while not self.stop.is_set():
            self.scan()


@contextmanager
def watching(secret: str) -> Iterator[ProcWatch]:
    w = ProcWatch(secret)
    t = threading.Thread(target=w.run, daemon=True)
    t.start()
    try:
        yield w
    finally:
        w.stop.set()
        t.join()


def test_testcert_bad_input_and_an_existing_certificate(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for args, expected in (
        (["--days", "0"], "testcert: --days 0: not accepted; accepted: 1 or more days"),
        (["--dir", str(a_file)], f"testcert: --dir {a_file}: cannot make the folder"),
    ):
        res = nox("testcert", "--dir", str(tmp_path / "new"), *args, env=base_env())
        assert res.returncode != 0 and expected in last_error_line(res), res.stderr
        assert "Traceback" not in res.stderr
    made = tmp_path / "made"
    assert nox("testcert", "--dir", str(made), env=base_env()).returncode == 0
    first = {p.name: p.read_bytes() for p in made.iterdir()}
    thumbprint = hashlib.sha1((made / "tap-test.cer").read_bytes()).hexdigest().upper()
    # a second run (scripts run testcert before every test signing) keeps it and says where
    res = nox("testcert", "--dir", str(made), env=base_env())
    assert res.returncode == 0, res.stderr
    assert (
        f"kept the test certificate already in {made}: {made / 'tap-test.pfx'} (thumbprint "
        f"{thumbprint}), {made / 'tap-test.cer'}, {made / 'tap-test.pem'}; --force replaces it"
    ) in res.stderr
    assert f"export TAP_SIGN_PFX={made / 'tap-test.pfx'}" in res.stderr
    assert {p.name: p.read_bytes() for p in made.iterdir()} == first
    res = nox("testcert", "--dir", str(made), "--force", env=base_env())
    assert res.returncode == 0 and "wrote " in res.stderr, res.stderr
    assert (made / "tap-test.pfx").read_bytes() != first["tap-test.pfx"]
    # a half-there certificate is not reused silently
    (made / "tap-test.cer").unlink()
    res = nox("testcert", "--dir", str(made), env=base_env())
    assert res.returncode != 0
    assert "is there but not tap-test.cer; give --force to replace it" in last_error_line(res)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_password_never_on_a_command_line_or_in_output(
    make_dist, test_cert: CertFiles, tsa: Tsa, dead_url: str, proxy: Proxy
) -> None:
    dist = make_dist()
    password = test_cert.password_file.read_text().strip()
    # the password in the environment variable this time (not the file)
    env = pfx_env(test_cert, f"{dead_url} {tsa.url}", HTTP_PROXY=proxy.url)
    del env["TAP_SIGN_PASSWORD_FILE"]
    env["TAP_SIGN_PASSWORD"] = password
    with watching(password) as w:
        res = nox("sign", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert w.tool_runs, "the watcher never saw osslsigncode running"
    assert w.leaks == []
    assert password not in res.stdout + res.stderr
    for arch in ("i386", "amd64", "arm64"):
        assert authenticode.signatures(dist / arch / "tap0901.cat")[0].timestamped


def test_pin_never_on_a_command_line(make_dist, softhsm: Token, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    env = token_env(softhsm, tsa.url)
    with watching(softhsm.pin) as w:
        res = nox("sign", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert w.tool_runs and w.leaks == []
    assert f"PIN {softhsm.pin}" not in res.stdout + res.stderr


def last_error_line(res: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in (res.stdout + res.stderr).splitlines() if "Session" in ln]
    return lines[-1] if lines else ""


def test_missing_credentials(make_dist, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    res = nox("sign", "--dist", str(dist), env=base_env(TAP_TIMESTAMP_URLS=tsa.url))
    assert res.returncode != 0
    assert "no signing credentials: set TAP_SIGN_PFX" in last_error_line(res)
    assert tree_bytes(dist) == before


def test_wrong_password_one_line(make_dist, test_cert: CertFiles, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    before = tree_bytes(dist)
    env = pfx_env(test_cert, tsa.url)
    del env["TAP_SIGN_PASSWORD_FILE"]
    env["TAP_SIGN_PASSWORD"] = "Not-The-Password-123"
    res = nox("sign", "--dist", str(dist), env=env)
    assert res.returncode != 0
    assert "wrong password" in last_error_line(res)
    assert "Not-The-Password-123" not in res.stdout + res.stderr
    assert tree_bytes(dist) == before


def test_force_with_append_is_refused(make_dist, test_cert: CertFiles, tsa: Tsa) -> None:
    dist = make_dist(("amd64",))
    res = nox("sign", "--dist", str(dist), "--force", "--append", env=pfx_env(test_cert, tsa.url))
    assert res.returncode != 0
    assert "not allowed with argument" in last_error_line(res)


def test_catalog_then_sign_then_verify(make_dist, test_cert: CertFiles, tsa: Tsa) -> None:
    dist = make_dist()
    env = pfx_env(test_cert, tsa.url)
    res = nox("catalog", "--dist", str(dist), "--os", "amd64=10,server2016", env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "amd64/tap0901.cat: made (sha256 members)" in res.stderr
    assert "i386/tap0901.cat: made (sha1 members)" in res.stderr
    assert not authenticode.is_signed(dist / "amd64" / "tap0901.cat")
    res = nox("sign", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    # the unsigned catalog made by `catalog` is current, so `sign` signs it as it is
    assert "amd64/tap0901.cat: made" not in res.stderr
    res = nox("verify", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), env=env)
    assert res.returncode == 0 and "verified 9 files" in res.stderr, res.stdout + res.stderr
    # verify without credentials: the chain must then reach a given root
    res = nox("verify", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), env=base_env())
    assert res.returncode != 0 and "not trusted" in last_error_line(res)
    res = nox("verify", "--dist", str(dist), "--tsa-ca", str(tsa.ca_pem), "--ca",
              str(test_cert.pem), env=base_env())  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr


def test_testcert_session(tmp_path: Path) -> None:
    res = nox("testcert", "--dir", str(tmp_path), "--days", "30", env=base_env())
    assert res.returncode == 0, res.stdout + res.stderr
    assert "export TAP_SIGN_PFX=" in res.stderr
    password = (tmp_path / "tap-test.password").read_text().strip()
    assert password not in res.stdout + res.stderr
    assert (tmp_path / "tap-test.password").stat().st_mode & 0o077 == 0
    assert {p.name for p in tmp_path.iterdir()} == {
        "tap-test.pfx", "tap-test.password", "tap-test.cer", "tap-test.pem"
    }  # fmt: skip


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs /proc")
def test_the_watcher_sees_a_short_lived_leak() -> None:
    """Control: a secret on a short-lived command line (0.2 s) is caught by the watcher."""
    with watching("Leaky-Secret-42") as w:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.2)", "Leaky-Secret-42"],
                       check=True)  # fmt: skip
    assert any("Leaky-Secret-42" in leak for leak in w.leaks)
