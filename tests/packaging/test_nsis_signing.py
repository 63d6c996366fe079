"""`nox -s package` with signing credentials, as a user's machine has them: any legal path
(spaces, quotes, ``$``, non-ASCII) for the clone, dist/, --out, --ca and the PFX; no
TAP_SIGN_PASSWORD in makensis's, the shell's or the hook's environment (read from /proc while
they run); nothing left behind in /tmp or the work folder, even when signing fails.

Real makensis, osslsigncode and sh; the processes are watched through /proc.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tapbuild.cli import package
from tapbuild.dev.sourcetree import copy_tree
from tapbuild.formats import authenticode
from tapbuild.package import nsis
from tapbuild.sign import testcert

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "x y 'q\" $HOME `id` é"  # a legal folder name a shell or NSIS would misread
SECRET = "pw with 'quotes\" and $dollar é"
pytestmark = pytest.mark.tool("makensis", "osslsigncode")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT", "TAP_SIGN_PASSWORD",
                 "TAP_SIGN_PASSWORD_FILE", "TAP_SIGN_PFX", "TAP_SIGN_CROSSCERT"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def _verify(exe: Path, ca: Path) -> None:
    sigs = authenticode.signatures(exe)
    assert len(sigs) == 1 and "TAP path test" in sigs[0].signer_subject
    proc = subprocess.run(
        ["osslsigncode", "verify", "-CAfile", str(ca), "-in", str(exe)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_launcher_passes_every_argument_through_sh(tmp_path: Path) -> None:
    """The launcher makensis runs hands the hook each argument unchanged, whatever it holds."""
    args = ["a b", "it's", 'say "hi"', "$HOME", "`id`", "é ü", "back\\slash\\", "%PATH%", ""]
    argv = [sys.executable, "-c", "import json, sys; print(json.dumps(sys.argv[1:]))", *args]
    command, name, script = nsis.launcher(argv, windows=False)
    assert command == "sh signhook.sh"  # all makensis parses: no path, no quote
    (tmp_path / name).write_bytes(script)
    out = subprocess.run(
        ["sh", "-c", f'{command} "file name.exe"'], cwd=tmp_path, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    assert json.loads(out) == [*args, "file name.exe"]
    assert (tmp_path / nsis.SIGNED_LIST).read_text() == "file name.exe\n"


def test_windows_launcher_command_line() -> None:
    """cmd.exe reads the launcher: every argument in double quotes, % doubled, the file
    appended by %*."""
    command, name, script = nsis.launcher(
        [r"C:\Program Files\Py\python.exe", "-m", "x", r"C:\a&b\ca.crt", "C:\\dir\\", "50%"],
        windows=True,
    )
    assert command == name == "signhook.cmd"
    assert script == (
        b"@chcp 65001 >nul\r\n"
        rb'@"C:\Program Files\Py\python.exe" "-m" "x" "C:\a&b\ca.crt" "C:\dir\\" "50%%" %*'
        b"\r\n"
    )


def test_signed_package_with_hostile_paths(
    make_dist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None
) -> None:
    """dist/, --out, --ca, the PFX and its password file, and the caller's folder all under a
    folder named with a space, both quotes, $, a backquote and é (issue 16, item 2)."""
    base = tmp_path / HOSTILE
    cert = testcert.make(base / "dir with space", "TAP path test", 2)
    for name, value in cert.environment().items():
        monkeypatch.setenv(name, value)
    dist = make_dist(base / "dist")
    monkeypatch.chdir(base)
    exe = package.package_main(
        ["--dist", str(dist), "--out", str(base / "out é"), "--no-timestamp",
         "--ca", str(cert.pem)],
        log=lambda s: None,
    )  # fmt: skip
    assert exe == base / "out é" / "tap-windows-9.27.0-I0.exe"
    _verify(exe, cert.pem)


def test_nox_package_from_a_clone_in_a_hostile_path(make_dist, tmp_path: Path) -> None:
    """The issue's reproduction: a clone in a folder with a space (and worse), relative
    paths, `nox -s package` with signing credentials."""
    clone = copy_tree(tmp_path / HOSTILE / "repo")
    cert = testcert.make(clone / "cert dir", "TAP path test", 2, password=SECRET)
    make_dist(clone / "dist")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SIGN_")}
    env |= {"TAP_SIGN_PFX": "cert dir/" + cert.pfx.name, "TAP_SIGN_PASSWORD": SECRET}
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-f", "noxfile.py", "-s", "package", "--",
         "--no-timestamp", "--ca", "cert dir/" + cert.pem.name],
        cwd=clone, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    exe = clone / "tap-windows-9.27.0-I0.exe"
    _verify(exe, cert.pem)
    assert SECRET not in proc.stdout + proc.stderr
    assert list((clone / "build" / "package").iterdir()) == []  # the private folder is gone


def _descendants(root: int) -> dict[int, int]:
    """pid -> parent pid of every process below ``root``."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    below: dict[int, int] = {}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if pid not in below and (ppid == root or ppid in below):
                below[pid] = ppid
                changed = True
    return below


Seen = dict[tuple[int, tuple[str, ...]], dict[str, str]]


def watch(argv: list[str], env: dict[str, str]) -> tuple[int, Seen]:
    """Run ``argv``, reading every descendant's command line and environment from /proc while
    it runs; returns the exit status and (pid, argv) -> environment of each program seen. (A
    child between fork and exec still shows ``argv``'s command line and environment: those
    observations are not the child's program and are left out.)"""
    seen: Seen = {}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        for pid in _descendants(proc.pid):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                raw = Path(f"/proc/{pid}/environ").read_bytes()
            except OSError:
                continue
            if not cmd:
                continue  # a zombie or a process between fork and exec
            environ = dict(e.split("=", 1) for e in os.fsdecode(raw).split("\0") if "=" in e)
            command = tuple(os.fsdecode(cmd).split("\0")[:-1])
            if list(command) != argv:
                seen.setdefault((pid, command), environ)
        time.sleep(0.002)
    return proc.returncode, seen


def _package_argv(dist: Path, out: Path, root: Path, *more: str) -> list[str]:
    code = (
        "import sys; from tapbuild.cli import package as packaging; from tapbuild.errors import TapError\n"
        f"packaging.ROOT = __import__('pathlib').Path({str(root)!r})\n"
        "try:\n"
        "    packaging.package_main(sys.argv[1:], log=lambda s: None)\n"
        "except TapError as e:\n"
        "    print(e, file=sys.stderr); sys.exit(1)\n"
    )
    return [sys.executable, "-c", code, "--dist", str(dist), "--out", str(out), "--no-timestamp",
            *more]  # fmt: skip


def test_no_child_sees_the_password(make_dist, tmp_path: Path) -> None:
    """TAP_SIGN_PASSWORD in the caller's environment (issue 16, item 10): makensis, the shell
    and the hook run without it, the hook reads it from a mode-0600 file, deleted at the end.
    The proxy variables do reach them (the hook's time-stamp requests go through the proxy)."""
    cert = testcert.make(tmp_path / "cert", "TAP path test", 2, password=SECRET)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SIGN_")}
    env |= {"TAP_SIGN_PFX": str(cert.pfx), "TAP_SIGN_PASSWORD": SECRET}
    env |= {"HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "example.invalid"}
    out = tmp_path / "out"
    argv = _package_argv(make_dist(), out, tmp_path / "root", "--ca", str(cert.pem))
    status, seen = watch(argv, env)
    assert status == 0
    _verify(out / "tap-windows-9.27.0-I0.exe", cert.pem)
    makensis = [cmd for _, cmd in seen if Path(cmd[0]).name == "makensis"]
    shells = [cmd for _, cmd in seen if cmd[:2] == ("sh", "-c")]
    hooks = [cmd for _, cmd in seen if "tapbuild.sign.hook" in cmd]
    assert makensis and shells and hooks, list(seen)
    for (_, cmd), environ in seen.items():
        assert "TAP_SIGN_PASSWORD" not in environ, cmd
        assert SECRET not in "\0".join(cmd) and SECRET not in "\0".join(environ.values()), cmd
    for (_, cmd), environ in seen.items():
        if cmd in makensis or cmd in hooks:
            assert environ.get("HTTPS_PROXY") == "http://127.0.0.1:9", cmd
            assert environ.get("no_proxy") == "example.invalid", cmd
    password_files = {cmd[cmd.index("--password-file") + 1] for cmd in hooks}
    assert len(password_files) == 1
    assert not Path(password_files.pop()).exists()  # deleted when packaging ended


def test_a_failed_signed_package_leaves_nothing(make_dist, tmp_path: Path) -> None:
    """Signing fails inside makensis (the credentials pass the early checks, but the only
    time-stamp server refuses connections): makensis's temporary uninstaller
    (/tmp/makensisXXXXXX), the password file and the private folder are all gone
    (issue 16, item 8)."""
    cert = testcert.make(tmp_path / "cert", "TAP path test", 2, password=SECRET)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SIGN_")}
    env |= {"TAP_SIGN_PFX": str(cert.pfx), "TAP_SIGN_PASSWORD": SECRET,
            "TAP_TIMESTAMP_URLS": "http://127.0.0.1:9/"}  # fmt: skip
    root = tmp_path / "root"
    argv = _package_argv(make_dist(), tmp_path / "out", root, "--ca", str(cert.pem))
    argv.remove("--no-timestamp")
    status, seen = watch(argv, env)
    assert status == 1
    hooks = [cmd for _, cmd in seen if "tapbuild.sign.hook" in cmd]
    assert hooks, list(seen)
    temporaries = {cmd[-1] for cmd in hooks}
    assert all(t.startswith("/tmp/makensis") for t in temporaries), temporaries
    assert not [t for t in temporaries if Path(t).exists()]
    assert list((root / "build" / "package").iterdir()) == []
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_private_folder_a_crash_left_is_removed(
    make_dist, tmp_path: Path, clean_env: None
) -> None:
    """kill -9 during packaging leaves the private folder (with the password file): the next
    run removes it, saying so; one whose owner still runs stays."""
    gone = subprocess.Popen(["true"])  # its pid is free once it has ended
    gone.wait()
    work = tmp_path / "root" / "build" / "package"
    stale = work / f"{nsis.PRIVATE_PREFIX}{gone.pid}-abc"
    stale.mkdir(parents=True)
    (stale / "password").write_text("left behind")
    live = work / f"{nsis.PRIVATE_PREFIX}{os.getppid()}-def"
    live.mkdir()
    logs: list[str] = []
    package.package_main(
        ["--dist", str(make_dist()), "--out", str(tmp_path / "out")], log=logs.append
    )
    assert not stale.exists() and live.exists()
    said = f"removed the stale packaging folder {stale} (left by process {gone.pid}, no longer"
    assert any(line.startswith(said) for line in logs), logs
