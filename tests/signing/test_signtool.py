"""signtool (Windows only): the exact command lines, and the temporary-store session."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from tapbuild.errors import TapError
from tapbuild.sign import signer, signtool
from tapbuild.sign.credentials import Credentials, PfxKey, Pkcs11Key, StoreKey
from tapbuild.sign.testcert import CertFiles
from tapbuild.toolrun import Secret

EXE = r"C:\EWDK\bin\x64\signtool.exe"
FILE = Path("dist/amd64/tap0901.sys")
RELAY = "http://127.0.0.1:50123/"
THUMB = "0123456789ABCDEF0123456789ABCDEF01234567"


def tool(key, cross: Path | None = None) -> signtool.SignTool:
    return signtool.SignTool(EXE, Credentials(key, cross))


def test_sign_by_subject() -> None:
    t = tool(StoreKey("OpenVPN Inc."))
    assert t.sign_command(FILE, "sha256", append=False, ts_url=RELAY) == [
        EXE, "sign", "/fd", "sha256", "/n", "OpenVPN Inc.", "/tr", RELAY, "/td", "sha256",
        str(FILE),
    ]  # fmt: skip


def test_sign_by_thumbprint_append_cross_certificate() -> None:
    t = tool(StoreKey("01 23 45 67 89 AB CD EF 01 23 45 67 89 AB CD EF 01 23 45 67"),
             Path("cross.cer"))  # fmt: skip
    assert t.sign_command(FILE, "sha1", append=True, ts_url=RELAY) == [
        EXE, "sign", "/fd", "sha1", "/sha1", THUMB, "/ac", "cross.cer", "/as",
        "/tr", RELAY, "/td", "sha1", str(FILE),
    ]  # fmt: skip


def test_sign_without_timestamp() -> None:
    assert tool(StoreKey(THUMB)).sign_command(FILE, "sha256", append=False, ts_url=None) == [
        EXE, "sign", "/fd", "sha256", "/sha1", THUMB, str(FILE)
    ]  # fmt: skip


def test_pfx_is_used_from_a_temporary_store_never_with_p(test_cert: CertFiles) -> None:
    from tapbuild.sign.credentials import load_pfx

    password = Secret(test_cert.password_file.read_text().strip())
    key = PfxKey(test_cert.pfx, password, load_pfx(test_cert.pfx, password))
    t = tool(key)
    with pytest.raises(TapError, match="sign inside session"):
        t.sign_command(FILE, "sha256", append=False, ts_url=RELAY)
    t.store, t.scripts = "TapSign-abc123", Path("C:/tmp/tapsign-x")
    argv = t.sign_command(FILE, "sha256", append=False, ts_url=RELAY)
    assert argv == [
        EXE, "sign", "/fd", "sha256", "/s", "TapSign-abc123", "/sha1", test_cert.thumbprint,
        "/tr", RELAY, "/td", "sha256", str(FILE),
    ]  # fmt: skip
    assert "/p" not in argv and "/f" not in argv
    assert password.reveal() not in " ".join(argv)
    assert t.import_command(test_cert.pfx) == [
        "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
        "-File", str(Path("C:/tmp/tapsign-x") / "import.ps1"),
        "-Pfx", str(test_cert.pfx), "-Store", "TapSign-abc123",
    ]  # fmt: skip
    assert t.remove_store_command() == [
        "powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
        "-File", str(Path("C:/tmp/tapsign-x") / "remove.ps1"), "-Store", "TapSign-abc123",
    ]  # fmt: skip


def test_scripts_read_the_password_from_stdin_and_delete_the_key() -> None:
    assert "[Console]::In.ReadLine()" in signtool.IMPORT_PS1
    assert "Import-PfxCertificate" in signtool.IMPORT_PS1
    assert "Remove-Item -DeleteKey" in signtool.REMOVE_PS1


def test_other_commands() -> None:
    t = tool(StoreKey(THUMB))
    assert t.timestamp_command(FILE, 1, "sha256", RELAY) == [
        EXE, "timestamp", "/tr", RELAY, "/td", "sha256", "/tp", "1", str(FILE)
    ]  # fmt: skip
    assert t.remove_command(FILE) == [EXE, "remove", "/s", str(FILE)]
    assert t.verify_command(FILE) == [EXE, "verify", "/pa", "/all", str(FILE)]
    cat = Path("dist/amd64/tap0901.cat")
    assert t.verify_command(FILE, cat) == [EXE, "verify", "/pa", "/c", str(cat), str(FILE)]


def test_pkcs11_needs_osslsigncode() -> None:
    t = tool(Pkcs11Key(Path("/usr/lib/x.so"), "pkcs11:object=c", "pkcs11:object=k", None))
    with pytest.raises(TapError, match="TAP_SIGN_PKCS11_\\* needs the osslsigncode backend"):
        t.key_args()


def test_backend_choice_off_windows() -> None:
    if sys.platform == "win32":
        pytest.skip("off-Windows behaviour")
    creds = Credentials(StoreKey("OpenVPN Inc."))
    with pytest.raises(TapError, match="--backend signtool runs on Windows only"):
        signer.choose_backend("auto", creds)
    with pytest.raises(TapError, match="--backend signtool runs on Windows only"):
        signer.choose_backend("signtool", None)


STUB = """#!{python}
import json, os, sys
data = sys.stdin.read()
with open({record!r}, "a") as f:
    f.write(json.dumps({{"argv": sys.argv[1:], "stdin": data}}) + "\\n")
importing = any(a.endswith("import.ps1") for a in sys.argv)
sys.exit(1 if importing and os.path.exists({fail!r}) else 0)
"""


def write_stub(bindir: Path, name: str, record: Path) -> None:
    """A stand-in for a Windows program: records argv and stdin; fails an import on request."""
    stub = bindir / name
    stub.write_text(STUB.format(python=sys.executable, record=str(record),
                                fail=str(bindir / "fail")))  # fmt: skip
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX stand-in for powershell.exe")
@pytest.mark.parametrize("import_fails", [False, True])
def test_session_imports_then_always_removes_the_store(
    test_cert: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, import_fails: bool
) -> None:
    from tapbuild.sign.credentials import load_pfx

    bindir = tmp_path / "bin"
    bindir.mkdir()
    record = tmp_path / "calls.jsonl"
    write_stub(bindir, "powershell.exe", record)
    if import_fails:
        (bindir / "fail").write_text("1")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    password = Secret(test_cert.password_file.read_text().strip())
    t = tool(PfxKey(test_cert.pfx, password, load_pfx(test_cert.pfx, password)))
    if import_fails:
        with (
            pytest.raises(TapError, match=r"importing tap-test\.pfx into a temporary"),
            t.session(),
        ):
            pass
    else:
        with t.session():
            assert t.store is not None and t.store.startswith("TapSign-")
            store = t.store
    calls = [json.loads(line) for line in record.read_text().splitlines()]
    imp, rem = calls
    assert imp["argv"][-4:-2] == ["-Pfx", str(test_cert.pfx)]
    assert imp["stdin"] == password.reveal() + "\n"  # the password only through stdin
    assert password.reveal() not in " ".join(imp["argv"] + rem["argv"])
    assert rem["argv"][-2] == "-Store" and rem["stdin"] == ""
    if not import_fails:
        assert rem["argv"][-1] == store
    assert t.store is None
