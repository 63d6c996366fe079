"""`nox -s package`: the NSIS installer built with real makensis, read back with 7-Zip."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pefile
import pytest
from pkgtest_util import extract_7z, list_7z, nsis_header, sha256, utf16
from tapbuild.arch import ARCHES
from tapbuild.errors import TapError
from tapbuild.package import nsis
from tapbuild.product import resource
from tapbuild.product.names import PackageNames, load_names

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.tool("makensis", "7z")


def _build(names: PackageNames, dist: Path, tmp: Path, **kw: object) -> Path:
    return nsis.build(names, dist, tmp / "out", tmp / "work", **kw)  # type: ignore[arg-type]


def _override(tmp: Path, **values: object) -> Path:
    path = tmp / "override.py"
    path.write_text("".join(f"{k} = {v!r}\n" for k, v in values.items()))
    return path


def test_installer_carries_every_arch_and_picks_at_run_time(make_dist, tmp_path: Path) -> None:
    names = load_names()
    dist = make_dist()
    exe = _build(names, dist, tmp_path)
    assert exe.name == "tap-windows-9.27.0-I0.exe"
    assert exe.parent == tmp_path / "out"

    listed = list_7z(exe)
    for f in ("bin/tapinstall.exe", "driver/OemVista.inf", "driver/tap0901.sys"):
        assert listed.count(f) == 3, (f, listed)  # one per architecture
    for f in ("bin/addtap.bat", "bin/deltapall.bat", "include/tap-windows.h", "Uninstall.exe"):
        assert listed.count(f) == 1, (f, listed)

    # Every architecture's files are inside, byte for byte.
    extracted = {sha256(p) for p in extract_7z(exe, tmp_path / "x")}
    for arch in ARCHES:
        for f in nsis.arch_files(names):
            assert sha256(dist / arch / f) in extracted, (arch, f)
    assert sha256(dist / "include" / "tap-windows.h") in extracted

    # The run-time choice and the install-or-update logic are in the script.
    header = nsis_header(exe)
    for text in (
        "TAP Virtual Ethernet Adapter",
        "TAP Utilities",
        "TAP SDK",
        '" hwids tap0901',
        '" update "',
        '" install "',
        r"Software\Microsoft\Windows\CurrentVersion\Uninstall\TAP-Windows",
        "QuietUninstallString",
    ):
        assert utf16(text) in header, text


def test_machine_types_per_arch(make_dist, tmp_path: Path) -> None:
    """The three tapinstall.exe inside are for three different machines, as in dist/."""
    dist = make_dist()
    exe = _build(load_names(), dist, tmp_path)
    machines = set()
    for p in extract_7z(exe, tmp_path / "x"):
        if p.name.startswith("tapinstall"):
            pe = pefile.PE(str(p), fast_load=True)
            machines.add(pe.FILE_HEADER.Machine)
            pe.close()
    assert machines == {a.pe_machine for a in ARCHES.values()}


def test_license_has_crlf_line_ends(make_dist, tmp_path: Path) -> None:
    exe = _build(load_names(), make_dist(), tmp_path)
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8").replace("\r\n", "\n")
    assert "\r" not in license_text
    header = nsis_header(exe)
    assert utf16(license_text.replace("\n", "\r\n")) in header
    staged = (nsis.stage(tmp_path / "staged", load_names()) / "LICENSE.txt").read_bytes()
    assert staged.count(b"\r\n") == license_text.count("\n") and b"\n" not in staged.replace(
        b"\r\n", b""
    )


def test_utilities_are_crlf_batch_files_with_the_id(make_dist, tmp_path: Path) -> None:
    names = load_names()
    exe = _build(names, make_dist(), tmp_path)
    carried = {p.name: p.read_bytes() for p in extract_7z(exe, tmp_path / "x")}
    for bat in ("addtap.bat", "deltapall.bat"):
        data = (nsis.stage(tmp_path / "staged", names) / bat).read_bytes()
        assert carried[bat] == data
        assert b"\n" not in data.replace(b"\r\n", b""), bat
        assert b"tapinstall.exe" in data and b" tap0901" in data


def test_version_information(make_dist, tmp_path: Path) -> None:
    exe = _build(load_names(), make_dist(), tmp_path)
    pe = pefile.PE(str(exe))
    fixed = pe.VS_FIXEDFILEINFO[0]
    assert (fixed.ProductVersionMS, fixed.ProductVersionLS) == ((9 << 16) | 27, 0)
    strings = resource.read_strings(pe)
    pe.close()
    assert strings["ProductName"] == "TAP-Windows"
    assert strings["ProductVersion"] == "9.27.0"
    assert strings["FileVersion"] == "9.27.0.0"
    assert strings["CompanyName"] == "OpenVPN Technologies, Inc."


def test_reproducible(make_dist, tmp_path: Path) -> None:
    names = load_names()
    dist = make_dist()
    a = nsis.build(names, dist, tmp_path / "a", tmp_path / "wa")
    b = nsis.build(names, dist, tmp_path / "b", tmp_path / "wb")
    assert a.read_bytes() == b.read_bytes()


def test_catalogs_are_carried_when_present(make_dist, tmp_path: Path) -> None:
    exe = _build(load_names(), make_dist(catalogs=True), tmp_path)
    assert list_7z(exe).count("driver/tap0901.cat") == 3


def test_a_catalog_that_no_longer_matches_is_refused(make_dist, tmp_path: Path) -> None:
    dist = make_dist(catalogs=True)
    inf = dist / "arm64" / "OemVista.inf"
    inf.write_bytes(inf.read_bytes() + b"; edited after signing\r\n")
    with pytest.raises(TapError) as exc:
        _build(load_names(), dist, tmp_path)
    assert str(exc.value) == (
        f"{dist / 'arm64'}: tap0901.cat: OemVista.inf changed since the catalog was made "
        "(sha1 hash differs); sign dist/ again (nox -s sign) or rebuild it (scons) for an "
        "unsigned package"
    )
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("component_id", ["tap9", "tapvendorwithaverylongid_0123456"])
def test_component_id_override_renames_everything(
    make_dist, tmp_path: Path, component_id: str
) -> None:
    names = load_names(_override(tmp_path, PRODUCT_TAP_WIN_COMPONENT_ID=component_id))
    exe = _build(names, make_dist(component_id=component_id), tmp_path)
    assert exe.name == f"tap-windows-{component_id}-9.27.0-I0.exe"
    listed = list_7z(exe)
    assert listed.count(f"driver/{component_id}.sys") == 3
    assert "driver/tap0901.sys" not in listed
    header = nsis_header(exe)
    key = rf"Software\Microsoft\Windows\CurrentVersion\Uninstall\TAP-Windows ({component_id})"
    assert utf16(key) in header
    assert utf16(f'" hwids {component_id}') in header
    assert utf16(r"Uninstall\TAP-Windows" + "\0") not in header


def test_subset_of_arches(make_dist, tmp_path: Path) -> None:
    dist = make_dist(arches=("amd64",))
    exe = _build(load_names(), dist, tmp_path, arches=["amd64"])
    assert list_7z(exe).count("driver/tap0901.sys") == 1


def test_missing_inputs_one_clear_line(make_dist, tmp_path: Path) -> None:
    dist = make_dist()
    (dist / "arm64" / "tapinstall.exe").unlink()
    (dist / "include" / "tap-windows.h").unlink()
    with pytest.raises(TapError) as err:
        _build(load_names(), dist, tmp_path)
    msg = str(err.value)
    assert "\n" not in msg
    assert "arm64/tapinstall.exe" in msg and "include/tap-windows.h" in msg
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_makensis_failure_leaves_nothing(make_dist, tmp_path: Path) -> None:
    """A broken input (a directory where a bitmap goes) fails makensis: no half file."""
    names = load_names()
    dist = make_dist()
    with pytest.raises(TapError, match="makensis failed"):
        nsis.build(names, dist, tmp_path / "out", tmp_path / "work", makensis="/bin/false")
    assert list((tmp_path / "out").iterdir()) == []


def test_signing_hook_signs_installer_and_uninstaller(make_dist, tmp_path: Path) -> None:
    """makensis runs the hook for the uninstaller and for the installer, each in place."""
    log = tmp_path / "hook.log"
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import sys\n"
        "p = sys.argv[1]\n"
        "data = open(p, 'rb').read()\n"
        f"open({str(log)!r}, 'a').write(f'{{len(data)}} {{data[:2]!r}}\\n')\n"
    )
    exe = _build(load_names(), make_dist(), tmp_path, sign_command=[sys.executable, str(hook)])
    calls = log.read_text().splitlines()
    assert len(calls) == 2, calls  # the uninstaller, then the installer
    assert all(c.endswith("b'MZ'") for c in calls)
    assert int(calls[1].split()[0]) == exe.stat().st_size


@pytest.mark.tool("osslsigncode")
@pytest.mark.parametrize("relative", [False, True])
def test_package_session_signs_through_tapbuild_signing(
    make_dist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    """Credentials in TAP_SIGN_* (password in a file): `package` signs installer and
    uninstaller through the signing API, which verifies each against the given root. Paths
    relative to the caller's folder work too (makensis runs the hook in another folder)."""
    from tapbuild.cli import package
    from tapbuild.formats import authenticode
    from tapbuild.sign import testcert

    cert = testcert.make(tmp_path / "cert", "TAP hook test", 2)
    for name in ("TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT", "TAP_SIGN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)

    def given(path: str | Path) -> str:
        return str(Path(path).relative_to(tmp_path)) if relative else str(path)

    if relative:
        monkeypatch.chdir(tmp_path)
    for name, value in cert.environment().items():
        monkeypatch.setenv(name, given(value))
    logs: list[str] = []
    exe = package.package_main(
        ["--dist", given(make_dist()), "--out", given(tmp_path / "out"), "--no-timestamp",
         "--ca", given(cert.pem)],
        log=logs.append,
    )  # fmt: skip
    exe = exe.resolve()
    assert "signing installer and uninstaller" in logs
    steps = [line[:5] for line in logs if line.startswith("[")]
    assert steps == ["[1/3]", "[2/3]", "[3/3]"], logs  # the session narrates its steps
    assert logs[-1] == f"[3/3] wrote {exe}"
    sigs = authenticode.signatures(exe)
    assert len(sigs) == 1 and "TAP hook test" in sigs[0].signer_subject
    assert sigs[0].digest == "sha256"
    verify = subprocess.run(
        ["osslsigncode", "verify", "-CAfile", str(cert.pem), "-in", str(exe)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert cert.password_file.read_text().strip() not in "\n".join(logs)


def test_a_signing_failure_names_its_cause(
    make_dist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tapbuild.cli import package

    for name in ("TAP_SIGN_PKCS11_MODULE", "TAP_SIGN_SUBJECT", "TAP_SIGN_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAP_SIGN_PFX", str(tmp_path / "gone.pfx"))
    monkeypatch.setenv("TAP_SIGN_PASSWORD", "not-shown-anywhere")
    with pytest.raises(TapError) as err:
        package.package_main(
            ["--dist", str(make_dist()), "--out", str(tmp_path / "out"), "--no-timestamp"]
        )
    # credentials are checked before makensis runs (issue 16): the cause comes first
    assert str(err.value).startswith(f"TAP_SIGN_PFX={tmp_path / 'gone.pfx'}: no such file")
    assert "gone.pfx" in str(err.value) and "not-shown-anywhere" not in str(err.value)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
