"""nox -s sign-file is all or nothing: a file whose new signature does not verify is left
byte for byte as it was (no stray copy beside it), so a rerun with what was missing signs it
rather than skipping it as already signed. Real osslsigncode, a private CA, a real TSA."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pki import PrivateCa
from reltest_util import error_lines
from signtest_util import Tsa, osslsigncode_verify, pfx_env
from tapbuild.formats import authenticode

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool("osslsigncode", "openssl")


def test_a_signature_that_does_not_verify_is_not_kept(
    pe_files, private_ca: PrivateCa, tsa: Tsa, tmp_path: Path, nox_run
) -> None:
    signer = private_ca.issue("atomic")
    folder = tmp_path / "out"
    folder.mkdir()
    files = [folder / "tap-windows-9.27.0-I000.exe", folder / "tapinstall.exe"]
    for f, arch in zip(files, ("i386", "amd64"), strict=True):
        shutil.copy(pe_files[(arch, "exe")], f)
    before = {f: f.read_bytes() for f in files}
    env = pfx_env(signer, tsa.url)
    tsa_ca = ["--tsa-ca", str(tsa.ca_pem)]

    # the private root is not given: the signatures are made, but do not verify
    res = nox_run("sign-file", *map(str, files), *tsa_ca, env=env)
    assert res.returncode != 0
    [line] = error_lines(res.stderr)
    assert "verification failed: tap-windows-9.27.0-I000.exe: " in line
    assert "the certificate chain is not trusted (pass --ca FILE)" in line
    assert {f: f.read_bytes() for f in files} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in files)

    # with the root, the same files are signed now (not skipped as already signed)
    res = nox_run("sign-file", *map(str, files), *tsa_ca, "--ca", str(private_ca.pem), env=env)
    assert res.returncode == 0, res.stderr
    for f in files:
        assert f"{f}: signed (sha256, timestamped)" in res.stderr
        assert authenticode.signatures(f)[0].signer_sha1 == signer.thumbprint
        v = osslsigncode_verify(f, private_ca.pem, "-TSA-CAfile", str(tsa.ca_pem))
        assert v.returncode == 0 and "Signature verification: ok" in v.stdout, v.stdout
    assert sorted(p.name for p in folder.iterdir()) == sorted(f.name for f in files)


def test_a_killed_run_leaves_the_file_and_the_next_run_clears_its_copy(
    pe_files, test_cert, tsa: Tsa, tmp_path: Path, nox_run
) -> None:
    """kill -9 while the file's copy is being timestamped (the server never answers): the
    file is untouched; the next run removes the copy the dead run left, says so, and signs."""
    folder = tmp_path / "out"
    folder.mkdir()
    exe = folder / "setup.exe"
    shutil.copy(pe_files[("amd64", "exe")], exe)
    original = exe.read_bytes()
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        proc = subprocess.Popen(
            [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "-s", "sign-file",
             "--", str(exe)],
            env=pfx_env(test_cert, url), cwd=ROOT, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not list(folder.glob(".setup.exe.sign-*/setup.exe")):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            time.sleep(0.5)  # the tool is waiting for its timestamp now
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    [stale] = list(folder.glob(".setup.exe.sign-*"))
    assert exe.read_bytes() == original

    res = nox_run("sign-file", str(exe), "--tsa-ca", str(tsa.ca_pem),
                  env=pfx_env(test_cert, tsa.url))  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert f"removed the stale signing copy {stale} (left by process" in res.stderr
    assert f"{exe}: signed (sha256, timestamped)" in res.stderr
    assert [p.name for p in folder.iterdir()] == ["setup.exe"]
